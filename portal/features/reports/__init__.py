from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from portal.features.reports import jobs, views  # noqa: E402, F401 - registers routes and jobs
