"""The audit log (admins only): who changed what and when, before/after shown as a diff."""

import json

from flask import request

from ..db import get_db, like, rows
from ..i18n import select_timezone
from ..labels import LABELS
from ..times import day_start_utc
from ..web import paginate, render, roles_required
from .views import bp

# Every write changes these; the diff shows what the person changed. Hashes never show.
BOOKKEEPING = frozenset({"version", "created_at", "updated_at", "updated_by", "password_hash"})
FILTERS = ("entity", "action", "entity_id", "user", "date_from", "date_to")
EXACT = (("entity", "a.entity"), ("action", "a.action"), ("entity_id", "a.entity_id"))
SQL = (
    "SELECT a.id, a.at, a.user_id, a.action, a.entity, a.entity_id, a.before, a.after,"
    " u.username, u.display_name FROM audit_log a LEFT JOIN app_user u ON u.id = a.user_id"
)


def changed_fields(before: str | None, after: str | None) -> list[dict]:
    """The fields an audit entry changed (name, before, after), bookkeeping left out."""
    old = json.loads(before) if before else {}
    new = json.loads(after) if after else {}
    return [
        {"field": name, "before": old.get(name), "after": new.get(name)}
        for name in {**old, **new}
        if name not in BOOKKEEPING and old.get(name) != new.get(name)
    ]


def field_label(name: str) -> str:
    """A changed column as people read it: the audit log's label, else the customer history's,
    else the name in words (a column no label names yet is never shown as its raw name)."""
    for kind in ("audit_field", "changed_field"):
        found = LABELS[kind].get(name)
        if found is not None:
            return str(found)
    return name.replace("_", " ")


# Enum columns whose label kind is not named "<entity>_<column>" or "<column>".
VALUE_KINDS = {("work_order", "status"): "wo_status", ("task", "status"): "task_state"}


def value_label(entity: str, field: str, value):
    """An enum value as people read it (its column's label kind), else None: other values
    show as they are stored."""
    if not isinstance(value, str):
        return None
    for kind in (VALUE_KINDS.get((entity, field)), f"{entity}_{field}", field):
        names = LABELS.get(kind) if kind else None
        if names and value in names:
            return str(names[value])
    return None


def _date_clauses(filters: dict, errors: dict) -> tuple[list, list]:
    where, params = [], []
    bounds = (("date_from", "a.at >= ?", 0), ("date_to", "a.at < ?", 1))
    for field, clause, days_after in bounds:
        if not filters[field]:
            continue
        try:
            params.append(day_start_utc(filters[field], select_timezone(), days_after))
            where.append(clause)
        except ValueError:
            errors[field] = "invalid_date"
    return where, params


def _listing(filters: dict, errors: dict):
    where, params = _date_clauses(filters, errors)
    for key, column in EXACT:
        if filters[key]:
            where.append(f"{column} = ?")
            params.append(filters[key])
    if filters["user"]:
        where.append("(u.username LIKE ? ESCAPE '\\' OR u.display_name LIKE ? ESCAPE '\\')")
        params += [like(filters["user"])] * 2
    page = paginate(f"{SQL} WHERE {' AND '.join(['1', *where])}", params, "a.id DESC")
    for entry in page.items:
        entry["changes"] = changed_fields(entry.pop("before"), entry.pop("after"))
        for change in entry["changes"]:
            change["label"] = field_label(change["field"])
            for side in ("before", "after"):
                change[f"{side}_label"] = value_label(
                    entry["entity"], change["field"], change[side]
                )
    return page


@bp.get("/audit")
@roles_required("admin")
def audit():
    filters = {k: request.args.get(k, "").strip() for k in FILTERS}
    errors = {}
    page = _listing(filters, errors)
    db = get_db()
    return render(
        "admin/audit.html",
        "admin/_audit.html",
        listing=page,
        filters=filters,
        errors=errors,
        entities=[
            r["entity"] for r in rows(db, "SELECT DISTINCT entity FROM audit_log ORDER BY 1")
        ],
        actions=[
            r["action"] for r in rows(db, "SELECT DISTINCT action FROM audit_log ORDER BY 1")
        ],
    )
