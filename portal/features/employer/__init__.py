from flask import Blueprint

bp = Blueprint("employer", __name__, url_prefix="/e/<int:employer_id>")

from portal.features.employer import views  # noqa: E402, F401 - registers the routes on bp
