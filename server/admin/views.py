"""The admin blueprint; its views register on it (split by noun: orgs, users, audit log)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import audit, orgs, users  # noqa: E402, F401  (the views register on bp)
