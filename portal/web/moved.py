"""URLs that moved, answered with 308 to where they are now (308 keeps the method and the body).

URL prefixes name their packages (CONTRIBUTING.md): ``/e/<id>/decision/...`` became
``/e/<id>/deferral/...`` and ``/e/<id>/commitment/...`` became ``/e/<id>/applications/...``.
Links already sent and bookmarks keep working. Nothing is looked up here: the new URL checks
access, so an employer that is not the user's, or does not exist, is a 404 there as anywhere.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, redirect, request
from werkzeug.wrappers import Response

from portal.web.permissions import PUBLIC, permission

bp = Blueprint("moved", __name__)

METHODS = ["GET", "POST"]


# The decorator nearest the function registers first: the bare prefix, which
# url_for("moved.<name>", employer_id=...) then builds.
@bp.route("/e/<int:employer_id>/decision/<path:rest>", methods=METHODS)
@bp.route("/e/<int:employer_id>/decision/", defaults={"rest": ""}, methods=METHODS)
@permission(PUBLIC)
def decision(employer_id: int, rest: str) -> Response:
    return _moved(f"/e/{employer_id}/deferral/", rest)


@bp.route("/e/<int:employer_id>/commitment/<path:rest>", methods=METHODS)
@bp.route("/e/<int:employer_id>/commitment/", defaults={"rest": ""}, methods=METHODS)
@permission(PUBLIC)
def commitment(employer_id: int, rest: str) -> Response:
    return _moved(f"/e/{employer_id}/applications/", rest)


def _moved(prefix: str, rest: str) -> Response:
    """Redirect to ``prefix`` + the rest of the old path, with the query string as it came."""
    location = request.script_root + prefix + quote(rest)
    if request.query_string:
        location += "?" + request.query_string.decode("latin-1")
    return redirect(location, code=308)
