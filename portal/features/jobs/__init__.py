from flask import Blueprint

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

from portal.features.jobs import views  # noqa: E402, F401 - registers the routes on bp
