from flask import Blueprint

from portal.core.extensions import csrf
from portal.web import api_tokens

# Other systems call these URLs and endpoint names ("api.classification"): keep both as they are.
bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Calls with a token: one audit row each, refused ones too (portal/web/api_tokens.py).
bp.after_request(api_tokens.note_status)
bp.teardown_request(api_tokens.record_call)
# A call is its bearer token, never a cookie: no session to forge a request with, so the
# pages' CSRF check does not apply (POST /api/v1/collections would be refused by it).
csrf.exempt(bp)

from portal.features.api import views  # noqa: E402, F401 - registers the routes on bp
