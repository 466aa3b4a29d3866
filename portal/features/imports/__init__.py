from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/imports")

from portal.features.imports import jobs, views  # noqa: E402, F401 - registers routes and jobs
