from flask import Blueprint

bp = Blueprint("reductions", __name__, url_prefix="/e/<int:employer_id>/reductions")

from portal.features.reductions import views  # noqa: E402, F401 - registers the routes on bp
