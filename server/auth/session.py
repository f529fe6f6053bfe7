"""Flask-Login glue: the session user, and the device (bearer) user for the API."""

from functools import wraps

from flask import g, jsonify, request
from flask_login import UserMixin

from ..db import get_db
from ..extensions import login_manager
from ..scope import Caller
from . import model, tokens


class SessionUser(UserMixin):
    """The signed-in user. The session id carries a generation so disabling ends sessions."""

    def __init__(self, row: dict, caller: Caller):
        self.row = row
        self.caller = caller

    def get_id(self):
        return f"{self.row['id']}:{self.row['session_gen']}"

    @property
    def is_active(self):
        return bool(self.row["active"])


@login_manager.user_loader
def load_user(session_id: str):
    user_id, _, gen = session_id.partition(":")
    row = model.get(get_db(), user_id)
    if row is None or not row["active"] or str(row["session_gen"]) != gen:
        return None
    return SessionUser(row, model.caller(get_db(), user_id))


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
