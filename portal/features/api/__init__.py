from flask import Blueprint

from portal.web import api_tokens

# Other systems call these URLs and endpoint names ("api.classification"): keep both as they are.
bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Calls with a token: one audit row each, refused ones too (portal/web/api_tokens.py).
bp.after_request(api_tokens.note_status)
bp.teardown_request(api_tokens.record_call)

from portal.features.api import views  # noqa: E402, F401 - registers the routes on bp
