"""The supervisor's forms: dispatch a new order, reassign one, save an SLA policy version.

Validators read raw form values and return (clean, errors) with error codes from
server/labels.py; every referenced row must be in the caller's scope.
"""

from datetime import timedelta

from .. import scope, times
from ..db import like, one, rows
from ..fields import choice, scoped_id, text
from ..ids import now_utc
from ..scope import Caller
from . import model, rules, sla
from .board import assignable_orgs, technicians

DISPATCHABLE = tuple(t for t in rules.TYPES if t != "exception_report")


def sites_matching(db, caller: Caller, q: str, limit: int = 20) -> list[dict]:
    """Sites in scope whose code or name contains `q` (for the search-as-you-type select)."""
    where, params = scope.sites(caller)
    sql = (
        "SELECT site.id, site.code, site.name FROM site"
        f" WHERE site.deleted_at IS NULL AND {where}"
        " AND (site.code LIKE ? ESCAPE '\\' OR site.name LIKE ? ESCAPE '\\')"
        " ORDER BY site.code LIMIT ?"
    )
    return rows(db, sql, [*params, like(q), like(q), limit])


def validate_assignment(db, caller: Caller, data: dict, errors: dict) -> dict:
    """A technician and/or a team or contractor, each in scope; at least one of them.

    A technician without an organisation is dispatched with their own team or contractor,
    so the order stays on the board of whoever supervises that organisation.
    """
    techs = {t["id"]: t for t in technicians(db, caller)}
    orgs = {o["id"] for o in assignable_orgs(db, caller)}
    assignee = text(data, "assignee_id") or None
    org = text(data, "assigned_org_id") or None
    if assignee and assignee not in techs:
        errors["assignee_id"] = "out_of_scope"
    if org and org not in orgs:
        errors["assigned_org_id"] = "out_of_scope"
    if not assignee and not org:
        errors["assigned_org_id"] = "assignment_required"
    if assignee in techs and not org:
        org = techs[assignee]["org_id"]
    return {"assignee_id": assignee, "assigned_org_id": org}


def _local_time(raw: str, tz: str) -> str | None:
    """A local date-time from a form (no offset: the user's zone) as stored UTC; None if bad."""
    try:
        return times.to_stored(times.local_form_time(raw, tz))
    except (ValueError, OverflowError):  # 0001-01-01T00:00 in Shanghai is before year 1 UTC
        return None


def _zone(tz: str | None) -> str:
    if tz:
        return tz
    from ..i18n import select_timezone

    return select_timezone()


def validate_due(data: dict, clean: dict, errors: dict, tz: str | None, now: str) -> None:
    """The type's SLA inputs: a due time (optional: else the policy's default for the grade)
    for on-demand, accompanying and inspection orders, after now and within a year; a
    severity for rectifications (default: major). Ignored for the other types."""
    raw, wo_type = text(data, "due_at"), clean.get("wo_type")
    if raw and wo_type in sla.DUE_AT_DISPATCH:
        due = _local_time(raw, _zone(tz))
        if due is None:
            errors["due_at"] = "invalid_datetime"
        elif (
            not now
            < due
            <= times.to_stored(times.from_stored(now) + timedelta(minutes=sla.MAX_MINUTES))
        ):
            errors["due_at"] = "out_of_range"
        else:
            clean["due_at"] = due
    severity = text(data, "severity")
    if wo_type == "rectification":
        if severity and severity not in sla.SEVERITIES:
            errors["severity"] = "invalid_choice"
        clean["severity"] = severity or sla.DEFAULT_SEVERITY


def validate_dispatch(
    db, caller: Caller, data: dict, tz: str | None = None, now: str | None = None
) -> tuple[dict, dict]:
    """Read the dispatch form: type, site and optional customer in scope, title, grade, and
    the type's due time or severity (validate_due)."""
    errors: dict = {}
    clean = {key: text(data, key) for key in ("wo_type", "title", "description", "sla_grade")}
    choice(clean, errors, "wo_type", DISPATCHABLE)
    if not clean["title"]:
        errors["title"] = "required"
    if clean["sla_grade"] and clean["sla_grade"] not in sla.GRADES:
        errors["sla_grade"] = "invalid_choice"
    validate_due(data, clean, errors, tz, now or now_utc())
    clean["site_id"] = scoped_id(db, caller, data, errors, "site", required=True)
    clean["customer_id"] = scoped_id(db, caller, data, errors, "customer")
    clean.update(validate_assignment(db, caller, data, errors))
    return clean, errors


def validate_conversion(db, caller: Caller, report: dict, data: dict) -> tuple[dict, dict]:
    """Read the convert form of an exception report: the new order's type, its site (only
    when the report names none: one in scope) and its technician and/or team."""
    from .links import CONVERT_TO

    errors: dict = {}
    clean = {"wo_type": text(data, "wo_type")}
    choice(clean, errors, "wo_type", CONVERT_TO)
    clean["site_id"] = None
    if not report["site_id"]:
        clean["site_id"] = scoped_id(db, caller, data, errors, "site", required=True)
    clean.update(validate_assignment(db, caller, data, errors))
    return clean, errors


def dispatch(db, actor_id, clean: dict, at: str | None = None) -> dict:
    """Create the order for a valid dispatch form; it belongs to its site's organisation."""
    site = one(db, "SELECT org_id, customer_id FROM site WHERE id = ?", [clean["site_id"]])
    fields = {k: v for k, v in clean.items() if v not in (None, "")}
    fields.setdefault("customer_id", site["customer_id"])
    return model.create_order(db, actor_id, org_id=site["org_id"], at=at or now_utc(), **fields)


def validate_policy(data: dict, tz: str) -> tuple[dict, dict]:
    """Read the policy form: fault limits per grade, due minutes per type and grade or
    severity, effective from (local date-time), a note."""
    limits, errors = sla.validate_limits(data)
    due, due_errors = sla.validate_due(data)
    errors.update(due_errors)
    raw = text(data, "effective_from")
    effective = now_utc()
    if raw:
        effective = _local_time(raw, tz)
        if effective is None:
            errors["effective_from"] = "invalid_datetime"
    clean = {"limits": limits, "due": due, "effective_from": effective, "note": text(data, "note")}
    return clean, errors


def policy_history(db) -> list[dict]:
    """Every policy version, newest first, with its limits per grade and who saved it."""
    versions: dict[int, dict] = {}
    for r in sla.LIMITS_POLICY.history(db):
        entry = versions.setdefault(
            r["version"],
            dict(
                version=r["version"],
                effective_from=r["effective_from"],
                note=r["note"],
                created_at=r["created_at"],
                created_by_name=r["created_by_name"],
                limits={},
            ),
        )
        entry["limits"][r["sla_grade"]] = r
    for r in rows(db, "SELECT * FROM sla_due_policy ORDER BY version DESC"):
        entry = versions.setdefault(
            r["version"],
            dict(
                version=r["version"],
                effective_from=r["effective_from"],
                note=r["note"],
                created_at=r["created_at"],
                created_by_name=None,
                limits={},
            ),
        )
        entry.setdefault("due", {}).setdefault(r["wo_type"], {})[r["band"]] = r["due_minutes"]
    for entry in versions.values():
        entry["limits"] = {g: entry["limits"][g] for g in sla.GRADES if g in entry["limits"]}
        entry.setdefault("due", {})
    return sorted(versions.values(), key=lambda v: -v["version"])
