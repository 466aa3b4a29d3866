from flask import Blueprint

bp = Blueprint("returns", __name__, url_prefix="/returns")

from portal.features.returns import jobs, views  # noqa: E402, F401 - registers routes and jobs
