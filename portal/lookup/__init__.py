from flask import Blueprint

bp = Blueprint("lookup", __name__, url_prefix="/lookup")
api_bp = Blueprint("api", __name__, url_prefix="/api/v1")

from portal.lookup import api, views  # noqa: E402, F401 - registers the routes
