"""Flask-Login glue: the session user, and the device (bearer) user for the API."""

from functools import wraps

from flask import current_app, g, jsonify, request
from flask_login import UserMixin

from ..db import get_db
from ..extensions import login_manager
from ..scope import Caller
from . import model, tokens, websessions


class SessionUser(UserMixin):
    """The signed-in user. The cookie's id is a web_session secret (websessions), so ending
    the row on the server ends the session wherever the cookie was copied to."""

    def __init__(self, row: dict, caller: Caller, secret: str):
        self.row = row
        self.caller = caller
        self.secret = secret

    def get_id(self):
        return self.secret

    @property
    def is_active(self):
        return bool(self.row["active"])


def start_session(user: dict) -> SessionUser:
    """Open a server-side session for a user who just proved who they are."""
    db = get_db()
    secret = websessions.start(
        db, user["id"], request.remote_addr, request.headers.get("User-Agent")
    )
    return SessionUser(user, model.caller(db, user["id"]), secret)


@login_manager.user_loader
def load_user(secret: str):
    db, cfg = get_db(), current_app.config
    found = websessions.live(
        db, secret, idle_minutes=cfg["SESSION_IDLE_MINUTES"], max_hours=cfg["SESSION_MAX_HOURS"]
    )
    if found is None:
        return None
    row = model.get(db, found["user_id"])
    if row is None or not row["active"]:
        return None
    return SessionUser(row, model.caller(db, row["id"]), secret)


def token_required(view):
    """Require a valid device access token (Authorization: Bearer …); 401 with a reason."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return jsonify(error="missing_token", message="Authorization: Bearer required"), 401
        row = tokens.user_for_access(get_db(), token.strip())
        if row is None:
            return jsonify(error="invalid_token", message="expired, revoked or unknown"), 401
        g.api_user = row
        g.api_caller = model.caller(get_db(), row["id"])
        return view(*args, **kwargs)

    return wrapped
