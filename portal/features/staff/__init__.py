from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from portal.features.staff import views  # noqa: E402, F401 - registers the routes on bp
