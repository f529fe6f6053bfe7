"""Device token endpoints (JSON). No cookies, so no CSRF; rate-limited like the login form."""

from flask import Blueprint, current_app, g, jsonify, request

from ..db import get_db
from ..errors import json_object, json_text
from ..extensions import csrf, limiter
from . import signin, tokens
from .session import token_required

bp = Blueprint("auth_api", __name__, url_prefix="/api/auth")
csrf.exempt(bp)


def _lifetimes() -> dict:
    cfg = current_app.config
    return dict(access_hours=cfg["ACCESS_TOKEN_HOURS"], refresh_days=cfg["REFRESH_TOKEN_DAYS"])


def _public_user(row: dict) -> dict:
    keys = ("id", "username", "display_name", "role", "org_id", "locale", "timezone")
    return {k: row.get(k) for k in keys}


@bp.post("/token")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def issue_token():
    """Sign a device in: username, password, device_name → a token pair and the user."""
    body = json_object()
    db = get_db()
    username, password = json_text(body, "username"), json_text(body, "password", max_length=1024)
    device_name = json_text(body, "device_name", "device", max_length=100)
    result = signin.attempt(
        db, username, password, channel="device", ip=request.remote_addr, cfg=current_app.config
    )
    if result.refused == "locked":
        message = "too many failed sign-ins for this account; try again later"
        response = jsonify(error="account_locked", message=message, retry_after=result.retry_after)
        response.headers["Retry-After"] = str(result.retry_after)
        return response, 429
    user = result.user
    if user is None:
        return jsonify(error="invalid_credentials", message="wrong username or password"), 401
    if user["must_change_password"]:
        message = "choose a new password at /account/password, then sign in with it"
        return jsonify(error="password_change_required", message=message), 403
    pair = tokens.issue(db, user["id"], device_name, **_lifetimes())
    return jsonify(pair | {"user": _public_user(user)})


@bp.post("/refresh")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def refresh_token():
    """Rotate a token pair with the refresh token; 401 when it is no longer good."""
    body = json_object()
    spent = json_text(body, "refresh_token", max_length=200)
    pair = tokens.refresh(get_db(), spent, ip=request.remote_addr, **_lifetimes())
    if pair is None:
        return jsonify(error="invalid_refresh", message="sign in again"), 401
    return jsonify(pair)


@bp.get("/me")
@token_required
def me():
    """Who the token belongs to."""
    return jsonify(user=_public_user(g.api_user))


@bp.post("/revoke")
@token_required
def revoke_self():
    """Sign this device out (revokes the token used for the call)."""
    tokens.revoke(get_db(), g.api_user["id"], g.api_user["id"], g.api_user["token_id"])
    return jsonify(revoked=True)
