from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")

from portal.features.review import views  # noqa: E402, F401 - registers the routes on bp
