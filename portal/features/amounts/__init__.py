from flask import Blueprint

bp = Blueprint("amounts", __name__, url_prefix="/e/<int:employer_id>/amounts")

from portal.features.amounts import views  # noqa: E402, F401 - registers the routes on bp
