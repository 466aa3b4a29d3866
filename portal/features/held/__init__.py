from flask import Blueprint

bp = Blueprint("held", __name__, url_prefix="/held")

from portal.features.held import views  # noqa: E402, F401 - registers the routes on bp
