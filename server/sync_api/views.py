"""Sync endpoints. Bearer-token authorised; JSON in and out; no cookies, so no CSRF."""

import gzip
import json

from flask import Blueprint, current_app, g, jsonify, request

from sync.errors import ProtocolError
from sync.pull import process_pull
from sync.push import process_push

from .. import metrics
from ..auth.session import token_required
from ..db import get_db
from ..extensions import csrf
from ..ids import now_utc
from ..times import local_day
from ..visits import policy as visit_policy
from ..visits import statuses as visit_statuses
from ..work_orders import statuses as order_statuses

bp = Blueprint("sync_api", __name__, url_prefix="/api/sync")
csrf.exempt(bp)

CONFIG_KEYS = (
    "VISIT_FAR_METERS",
    "VISIT_LOW_ACCURACY_METERS",
    "HELD_PER_CLIENT_PER_HOUR",
    "HELD_PER_USER_PER_HOUR",
    "CUSTOMER_MOVE_HOLD_METERS",
)
DEVICE_CONFIG_KEYS = (
    "VISIT_FAR_METERS",
    "VISIT_LOW_ACCURACY_METERS",
    "CUSTOMER_MOVE_HOLD_METERS",
)


def _registry():
    return current_app.extensions["sync_registry"]


def _json_body():
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes: not a body we can read
        body = None
    if body is None:
        raise ProtocolError("bad_request", "expected a JSON body")
    return body


def _respond(status: int, body: dict):
    try:
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:  # a stored result echoing a lone surrogate: escape it
        payload = json.dumps(body, separators=(",", ":")).encode()
    if "gzip" in request.headers.get("Accept-Encoding", "") and len(payload) > 1024:
        response = current_app.response_class(gzip.compress(payload, 5), status=status)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = current_app.response_class(payload, status=status)
    response.headers["Content-Type"] = "application/json"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Accept-Encoding"
    if status == 503 and "retry_after" in body:
        response.headers["Retry-After"] = str(body["retry_after"])
    return response


@bp.errorhandler(ProtocolError)
def protocol_error(exc: ProtocolError):
    return jsonify(exc.as_dict()), exc.status


def _process(process, **extra) -> tuple[int, dict]:
    """Run a sync engine step (sync/) for the signed-in device on its JSON body."""
    who = {"user_id": g.api_user["id"], "caller": g.api_caller}
    return process(get_db(), _registry(), **who, body=_json_body(), now=now_utc(), **extra)


def _config(keys) -> dict:
    return {key: current_app.config[key] for key in keys}


@bp.post("/push")
@token_required
def push():
    """Apply the device's mutations in order. See docs/sync-protocol.md."""
    status, body = _process(process_push, extra={"config": _config(CONFIG_KEYS)})
    metrics.observe_push(status, body)
    return _respond(status, body)


@bp.post("/pull")
@token_required
def pull():
    """Changes in the caller's scope since the cursor. See docs/sync-protocol.md."""
    status, body = _process(process_pull)
    if status == 200:  # settings the device needs offline (visit policy, GPS thresholds)
        body["config"] = _config(DEVICE_CONFIG_KEYS)
        body["config"]["VISIT_POLICY"] = visit_policy.for_device(get_db(), local_day())
        body["config"]["STATUS_SETS"] = {
            **visit_statuses.for_device(),
            **order_statuses.for_device(),
        }
    metrics.observe_pull(status)
    return _respond(status, body)
