"""The sync health page: who is sitting on unsent work, whose device is silent or short of
space or wrong about the time. Supervisors (their subtree) and admins."""

from datetime import UTC, datetime

from flask import Blueprint, request
from flask_babel import format_timedelta

from .. import scope
from ..db import get_db
from ..statistics.filters import scoped_org
from ..statistics.queries import org_choices
from ..web import caller, paginate, render, roles_required
from . import model

bp = Blueprint("sync_health", __name__, url_prefix="/sync-health")


def _filters() -> tuple[dict, dict]:
    args, errors = request.args, {}
    clean = {
        "org": args.get("org", "").strip(),
        "role": args.get("role", "").strip(),
        "problems": args.get("problems") == "1",
        "org_path": None,
    }
    if clean["role"] and clean["role"] not in model.FIELD_ROLES:
        errors["role"], clean["role"] = "invalid_choice", ""
    if clean["org"]:
        org = scoped_org(get_db(), scope.orgs(caller()), clean["org"])
        if org is None:
            errors["org"], clean["org"] = "unknown_org", ""
        else:
            clean["org_path"] = org["path"]
    return clean, errors


@bp.get("/")
@roles_required("supervisor", "admin")
def index():
    filters, errors = _filters()
    now = datetime.now(UTC)
    sql, params = model.query(caller(), filters, now)
    listing = paginate(sql, params, model.ORDER)
    for row in listing.items:
        age = model.unsent_age(row, now)
        row["unsent_age"] = format_timedelta(age, add_direction=False) if age else ""
        row["storage_pct"] = model.storage_share(row)
        row["device_label"] = model.device_label(row["device_name"])
    return render(
        "sync_health/index.html",
        "sync_health/_devices.html",
        listing=listing,
        filters=filters,
        errors=errors,
        orgs=org_choices(get_db(), caller()),
        roles=model.FIELD_ROLES,
    )
