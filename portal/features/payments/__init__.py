from flask import Blueprint

bp = Blueprint("payments", __name__, url_prefix="/payments")

from portal.features.payments import views  # noqa: E402, F401 - registers the routes on bp
