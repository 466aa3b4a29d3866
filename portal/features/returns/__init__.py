from flask import Blueprint

bp = Blueprint("returns", __name__, url_prefix="/returns")

from portal.features.returns import views  # noqa: E402, F401 - registers the routes on bp
