from flask import Blueprint

bp = Blueprint("lookup", __name__, url_prefix="/lookup")

from portal.features.lookup import views  # noqa: E402, F401 - registers the routes
