"""How every failure is answered: JSON `{error, message}` under /api/, a page elsewhere.

- A busy database (the write lock held past the busy timeout) or a full disk is retryable:
  503 with Retry-After, code `database_busy` or `storage_full`. Nothing was written.
- Under /api/ every HTTP error (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503)
  is JSON with a snake_case code; 429 and 503 carry Retry-After.
- Bodies larger than the endpoint's limit are refused from Content-Length before anything
  reads them (413); see `limits` below and docs/operations.md.
- JSON that nests too deep is malformed JSON (400), like any other parse error. NaN and
  Infinity parse (as Python's json does): each endpoint's checks refuse them where a number
  is expected, so one bad figure in one mutation is that mutation's rejection, not the
  push's (docs/sync-protocol.md).
"""

import json
import logging
import sqlite3
import time

from flask import Flask, current_app, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge

from sync.transactions import DatabaseUnavailable, unavailable

log = logging.getLogger("fieldbook.errors")

# Bytes a request body may have, by endpoint (refused with 413 before it is read). Endpoints
# not listed get MAX_CONTENT_LENGTH (sized for the CSV imports).
ENDPOINT_LIMITS = {
    "auth_api.issue_token": "AUTH_MAX_BYTES",
    "auth_api.refresh_token": "AUTH_MAX_BYTES",
    "auth_api.revoke_self": "AUTH_MAX_BYTES",
    "auth.login": "AUTH_MAX_BYTES",
    "auth.change_password": "AUTH_MAX_BYTES",
    "sync_api.push": "PUSH_MAX_BYTES",
    "sync_api.pull": "PULL_MAX_BYTES",
    "blobs_api.upload": "BLOB_REQUEST_MAX_BYTES",
    "push.subscribe": "AUTH_MAX_BYTES",
    "push.unsubscribe": "AUTH_MAX_BYTES",
}

# When a write last failed for want of space: /healthz reports the database unwritable for a
# while after, even if the disk check alone looks fine (a quota, a full WAL volume).
FULL_REMEMBERED_S = 120


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with nesting too deep for the parser a parse error instead of a crash."""

    def loads(self, s, **kwargs):
        try:
            return json.loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deep") from exc


def json_object() -> dict:
    """The request's JSON body, which must be an object; 400 with the reason otherwise."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("expected a JSON object body")
    return body


def json_text(body: dict, key: str, default: str = "", max_length: int = 200) -> str:
    """A text field of a JSON body: a string of at most max_length that UTF-8 can encode
    (a lone surrogate cannot be stored) and without NUL; 400 with the reason otherwise."""
    value = body.get(key, default)
    if not isinstance(value, str) or len(value) > max_length:
        raise BadRequest(f"{key} must be text of at most {max_length} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(f"{key} is not valid Unicode text") from None
    if "\x00" in value:
        raise BadRequest(f"{key} must not contain NUL")
    return value


def wants_json() -> bool:
    """API paths answer JSON; so does any request that asks only for JSON."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


def _code(exc: HTTPException) -> str:
    return (exc.name or "error").lower().replace(" ", "_").replace("'", "")


def _answer(status: int, code: str, message: str, retry_after: int | None = None):
    if wants_json():
        response = jsonify(error=code, message=message)
    else:
        response = current_app.response_class(
            render_template("errors/error.html", status=status, code=code, message=message),
            mimetype="text/html",
        )
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


def unavailable_answer(exc: DatabaseUnavailable):
    """503 with Retry-After for a busy database or a full disk."""
    if exc.code == "storage_full":
        current_app.extensions["fieldbook_last_full"] = time.monotonic()
        log.error("write refused, storage full: %s", exc.message)
    else:
        log.warning("write refused, database busy")
    return _answer(503, exc.code, exc.message, exc.retry_after)


def recently_full() -> bool:
    """Did a write fail for want of space in the last FULL_REMEMBERED_S seconds?"""
    at = current_app.extensions.get("fieldbook_last_full", 0.0)  # per app, not per process
    return at > 0 and time.monotonic() - at < FULL_REMEMBERED_S


def _http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400:
        return exc  # a redirect raised as an exception
    retry = int(getattr(exc, "retry_after", None) or 60) if exc.code == 429 else None
    if wants_json():
        message = exc.description or exc.name
        if isinstance(exc, RequestEntityTooLarge):
            message = "the request body is larger than this endpoint accepts"
    else:
        # A page: templates/errors/error.html says what happened in the reader's language,
        # with the way home; the exception's English description stays out of it.
        message = ""
    response = _answer(exc.code, _code(exc), str(message), retry)
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _database_error(exc: sqlite3.OperationalError):
    retry = unavailable(exc)
    if retry is not None:
        return unavailable_answer(retry)
    return _internal(exc)


def _os_error(exc: OSError):
    retry = unavailable(exc)
    if retry is not None:
        return unavailable_answer(retry)
    return _internal(exc)


def _internal(exc: Exception):
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    log.exception("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    if current_app.testing and current_app.config.get("PROPAGATE_INTERNAL_ERRORS", True):
        raise exc
    return _answer(500, "internal_error", "server error; it has been logged")


def _limit_body():
    """Refuse a body over the endpoint's limit from its Content-Length, before reading it."""
    key = ENDPOINT_LIMITS.get(request.endpoint or "")
    limit = current_app.config[key] if key else current_app.config["MAX_CONTENT_LENGTH"]
    request.max_content_length = limit  # also bounds a chunked body as it is read
    if request.content_length is not None and limit and request.content_length > limit:
        raise RequestEntityTooLarge()


def init_app(app: Flask) -> None:
    """Install the JSON parser, the body limits and the error handlers."""
    app.json = StrictJSONProvider(app)
    app.before_request(_limit_body)
    app.register_error_handler(DatabaseUnavailable, unavailable_answer)
    app.register_error_handler(sqlite3.OperationalError, _database_error)
    app.register_error_handler(OSError, _os_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _internal)
