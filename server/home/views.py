"""Home page (what the caller may open) and /healthz."""

from flask import Blueprint, jsonify
from flask_login import login_required

from .. import APP_VERSION
from ..db import get_db
from ..migrations import schema_version
from ..web import render

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    return render("home/index.html")


@bp.get("/healthz")
def healthz():
    """Database reachable, schema version, app version. 503 when the database is not."""
    try:
        db = get_db()
        db.execute("SELECT 1").fetchone()
        version = schema_version(db)
    except Exception as exc:  # noqa: BLE001 - any database failure means unhealthy
        return jsonify(status="error", database=str(exc), app_version=APP_VERSION), 503
    return jsonify(status="ok", database="ok", schema_version=version, app_version=APP_VERSION)
