from flask import Blueprint

bp = Blueprint("hall", __name__)

from portal.hall import acting, views  # noqa: E402, F401 - registers the routes and hooks on bp
