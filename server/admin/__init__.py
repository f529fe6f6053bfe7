"""Administration screens: the organisation tree, users and the audit log (split by noun)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import audit, orgs, users  # noqa: E402, F401  (the views register on bp)
