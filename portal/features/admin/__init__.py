from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from portal.features.admin import jobs, views  # noqa: E402, F401 - registers routes and jobs
