from flask import Blueprint

bp = Blueprint("deferral", __name__, url_prefix="/e/<int:employer_id>/deferral")

from portal.features.deferral import views  # noqa: E402, F401 - registers the routes on bp
