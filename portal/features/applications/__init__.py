from flask import Blueprint

bp = Blueprint("applications", __name__, url_prefix="/e/<int:employer_id>/applications")

from portal.features.applications import deferral2020, views  # noqa: E402, F401 - registers the routes on bp
