"""Reminders before every deadline, by e-mail and on the portal (issue 13)."""

from flask import Blueprint

bp = Blueprint("reminders", __name__, url_prefix="/reminders")

from portal.features.reminders import jobs, views  # noqa: E402, F401 - routes and jobs
