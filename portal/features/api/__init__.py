from flask import Blueprint

# Other systems call these URLs and endpoint names ("api.classification"): keep both as they are.
bp = Blueprint("api", __name__, url_prefix="/api/v1")

from portal.features.api import views  # noqa: E402, F401 - registers the routes on bp
