"""Push endpoints for devices (bearer token, JSON) and the "Notifications" account page
(session, CSRF-protected forms): a user sees and removes their subscribed devices and sets
their quiet hours."""

from flask import Blueprint, abort, current_app, flash, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth.session import token_required
from ..db import get_db
from ..errors import json_text
from ..extensions import csrf
from ..web import render
from . import endpoints, preferences, subscriptions, vapid

bp = Blueprint("push", __name__)


def _device_view(sub: dict) -> dict:
    keys = ("id", "device_name", "created_at", "last_sent_at", "last_error")
    return {k: sub.get(k) for k in keys}


def _json_object() -> dict:
    """The request's JSON object; anything else (a list, a string, bad JSON) as empty."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _texts(body: dict, *keys: str) -> None:
    """Each given field, when present and not null, is storable text (400 otherwise)."""
    for key in keys:
        if body.get(key) is not None:
            json_text(body, key, max_length=endpoints.MAX_ENDPOINT)


@bp.get("/api/push/key")
@token_required
def public_key():
    """The server's VAPID public key, the browser's applicationServerKey."""
    return jsonify(public_key=vapid.application_server_key(vapid.load_or_create(current_app)))


@bp.get("/api/push/subscriptions")
@token_required
def device_list():
    """The caller's own subscribed devices."""
    found = subscriptions.list_for(get_db(), g.api_user["id"])
    return jsonify(subscriptions=[_device_view(s) for s in found])


@bp.post("/api/push/subscriptions")
@csrf.exempt
@token_required
def subscribe():
    """Store this device's PushSubscription (JSON as the browser gives it) for the caller."""
    body = _json_object()
    _texts(body, "endpoint", "device_name")
    _texts(body.get("keys") if isinstance(body.get("keys"), dict) else {}, "p256dh", "auth")
    config = current_app.config
    clean, errors = subscriptions.validate(
        body, config["PUSH_ENDPOINT_HOSTS"], config["PUSH_ALLOW_PRIVATE_ADDRESSES"]
    )
    if errors:
        message = "not a usable subscription: " + ", ".join(sorted(errors))
        return jsonify(error="invalid_subscription", message=message, fields=errors), 400
    sub = subscriptions.save(get_db(), g.api_user["id"], g.api_user.get("token_id"), clean)
    return jsonify(subscription=_device_view(sub)), 201


@bp.post("/api/push/unsubscribe")
@csrf.exempt
@token_required
def unsubscribe():
    """Forget this device's subscription (at sign-out, or notifications turned off)."""
    body = _json_object()
    _texts(body, "endpoint")
    endpoint = str(body.get("endpoint") or "")
    if not subscriptions.remove_endpoint(get_db(), g.api_user["id"], endpoint):
        return jsonify(error="not_found", message="no such subscription of yours"), 404
    return jsonify(removed=True)


@bp.delete("/api/push/subscriptions/<sub_id>")
@csrf.exempt
@token_required
def device_remove(sub_id):
    """Remove one of the caller's devices by id; another user's is a 404."""
    if not subscriptions.remove(get_db(), g.api_user["id"], sub_id):
        return jsonify(error="not_found", message="no such subscription of yours"), 404
    return jsonify(removed=True)


def _page(errors=None, form=None, status=200):
    db, user_id = get_db(), current_user.row["id"]
    hours = form or preferences.quiet_hours(db, current_app.config, user_id)
    return render(
        "push/notifications.html",
        "push/_devices.html",
        status=status,
        devices=subscriptions.list_for(db, user_id),
        form=hours,
        errors=errors or {},
    )


@bp.get("/account/notifications")
@login_required
def notifications():
    return _page()


@bp.post("/account/notifications/<sub_id>/remove")
@login_required
def remove(sub_id):
    if not subscriptions.remove(get_db(), current_user.row["id"], sub_id):
        abort(404)
    flash(_("Device removed: it gets no more notifications."))
    return _page()


@bp.post("/account/notifications/quiet-hours")
@login_required
def quiet_hours():
    clean, errors = preferences.validate(request.form)
    if errors:
        return _page(errors, dict(request.form), status=400)
    preferences.save(get_db(), current_user.row["id"], clean)
    flash(_("Quiet hours saved."))
    return _page()
