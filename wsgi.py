"""WSGI entry point: ``gunicorn wsgi:app``."""

import gc

from portal import create_app

app = create_app()
# What start-up built (modules, mappers, catalogues, policy files) lives as long as the worker:
# keep it out of the collector's full passes, which otherwise walk it again and again.
gc.freeze()
