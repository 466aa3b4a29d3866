"""Friendly error pages (and JSON for the API) with a request id; never a traceback."""

from __future__ import annotations

from flask import Flask, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

MESSAGES = {
    400: _l("The request could not be understood. Go back and try again."),
    403: _l("You do not have permission to see this page."),
    404: _l("Page not found. Check the address, or go back to the start."),
    405: _l("This page cannot be used that way."),
    413: _l("The upload is too large."),
    429: _l("Too many requests. Wait a minute and try again."),
    500: _l("Sorry, something went wrong on our side. Try again later."),
}
TITLES = {
    400: _l("Bad request"),
    403: _l("Permission denied"),
    404: _l("Page not found"),
    405: _l("Not allowed"),
    413: _l("Too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
}


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)


def handle_http_error(error: HTTPException):
    code = error.code or 500
    if code not in MESSAGES:
        return error
    return _respond(code, error)


def handle_unexpected_error(error: Exception):
    from flask import current_app

    current_app.logger.exception("unhandled error (request %s)", g.get("request_id"))
    return _respond(500, InternalServerError())


def _respond(code: int, error: HTTPException):
    from portal.extensions import db

    db.session.rollback()
    request_id = g.get("request_id", "-")
    if request.path.startswith("/api/"):
        body = {"error": str(MESSAGES[code]), "status": code, "request_id": request_id}
        response = jsonify(body)
    else:
        response = render_template(
            "errors/error.html",
            code=code,
            title=TITLES[code],
            message=MESSAGES[code],
            request_id=request_id,
        )
    headers = error.get_headers() if hasattr(error, "get_headers") else []
    extra = [(k, v) for k, v in headers if k.lower() not in {"content-type", "content-length"}]
    return response, code, extra
