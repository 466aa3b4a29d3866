from flask import Blueprint

bp = Blueprint("reference", __name__, url_prefix="/reference")

from portal.features.reference import views  # noqa: E402, F401 - registers the routes on bp
