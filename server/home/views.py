"""Home page (what the caller may open) and /healthz."""

from datetime import UTC, datetime

from flask import Blueprint, current_app, jsonify
from flask_login import login_required

from .. import APP_VERSION
from ..db import get_db
from ..i18n import select_timezone
from ..migrations import schema_version
from ..web import caller, render
from . import desk, health

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    """Supervisors and admins get today's counts; field users the way to the field app."""
    tiles = None
    if caller().role in ("supervisor", "admin"):
        tiles = desk.counts(get_db(), caller(), datetime.now(UTC), select_timezone())
    return render("home/index.html", tiles=tiles)


@bp.get("/healthz")
def healthz():
    """Database readable and writable, schema version, app version; 503 when it is not.

    Writable means: the write lock can be taken, the disks of the database and the photos
    have HEALTH_MIN_FREE_BYTES free, and no write failed for want of space just now."""
    try:
        db = get_db()
        version = schema_version(db)
        problem = health.write_problem(db, current_app.config)
    except Exception as exc:
        return jsonify(status="error", database=str(exc), app_version=APP_VERSION), 503
    if problem:
        body = dict(status="error", database=problem, schema_version=version)
        return jsonify(**body, app_version=APP_VERSION), 503
    return jsonify(status="ok", database="ok", schema_version=version, app_version=APP_VERSION)
