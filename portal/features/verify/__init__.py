from flask import Blueprint

bp = Blueprint("verify", __name__, url_prefix="/verify")

from portal.features.verify import views  # noqa: E402, F401 - registers the routes on bp
