from flask import Blueprint

bp = Blueprint("hall", __name__)

from portal.features.hall import acting, views  # noqa: E402, F401 - registers the routes and hooks on bp
