"""Score weights: a versioned policy per role. A month is scored with the version in force on
its first day (the latest effective_from ≤ that day; the higher version on a tie)."""

import json

from ..db import one, rows
from ..ids import now_utc, uuid7
from ..records import audit
from . import indicators, months

ROLES = ("account_manager", "technician")
DEFAULTS = {
    "account_manager": {
        "visit_plan_completion": 25,
        "a_class_coverage": 20,
        "follow_ups_on_time": 15,
        "satisfaction": 20,
        "visit_review_pass": 10,
        "visit_report_timeliness": 10,
    },
    "technician": {
        "sla_arrival": 20,
        "sla_restore": 20,
        "inspection_completion": 20,
        "first_time_fix": 15,
        "order_review_pass": 15,
        "order_report_timeliness": 10,
    },
}
# Technicians' version 2 (migration m022, from 2026-12 when the weights were not edited yet):
# order_on_time judges the due times of on-demand, accompanying and rectification orders;
# the fault clocks give it 10. Our defaults, as the rest.
TECHNICIAN_V2 = {
    "sla_arrival": 15,
    "sla_restore": 15,
    "order_on_time": 10,
    "inspection_completion": 20,
    "first_time_fix": 15,
    "order_review_pass": 15,
    "order_report_timeliness": 10,
}
MAX_WEIGHT = 100


def _out(row: dict | None) -> dict | None:
    if row is not None:
        row["weights"] = json.loads(row["weights"])
    return row


def in_force(db, role: str, month: str) -> dict:
    """The policy version that scores `month` for `role`."""
    first = months.parse(month).first
    return _out(
        one(
            db,
            "SELECT * FROM score_policy WHERE role = ? AND effective_from <= ?"
            " ORDER BY effective_from DESC, version DESC LIMIT 1",
            [role, first],
        )
    )


def version(db, role: str, number: int) -> dict | None:
    """One stored version of a role's weights."""
    return _out(
        one(db, "SELECT * FROM score_policy WHERE role = ? AND version = ?", [role, number])
    )


def history(db) -> list[dict]:
    """Every version, newest first, with who saved it."""
    found = rows(
        db,
        "SELECT p.*, u.display_name AS created_by_name FROM score_policy p"
        " LEFT JOIN app_user u ON u.id = p.created_by ORDER BY p.role, p.version DESC",
    )
    return [_out(r) for r in found]


def validate(form, now: str) -> tuple[dict, dict]:
    """A new version from a form: role, weight.<indicator> (0–100), effective month.

    The month may not be earlier than the current one: months already scored keep the
    policy they were scored with.
    """
    errors, clean = {}, {}
    role = form.get("role", "")
    if role not in ROLES:
        return {}, {"role": "invalid_choice"}
    clean["role"], clean["weights"] = role, {}
    for spec in indicators.for_role(role):
        raw = (form.get(f"weight.{spec.key}") or "").strip()
        try:
            weight = float(raw)
        except ValueError:
            errors[f"weight.{spec.key}"] = "invalid_number" if raw else "required"
            continue
        if not 0 <= weight <= MAX_WEIGHT:
            errors[f"weight.{spec.key}"] = "out_of_range"
        clean["weights"][spec.key] = int(weight) if weight.is_integer() else weight
    if not errors and not any(clean["weights"].values()):
        errors["weights"] = "weights_all_zero"
    month = months.parse((form.get("effective_month") or "").strip())
    if month is None:
        errors["effective_month"] = "invalid_month"
    elif month.text < months.current(now):
        errors["effective_month"] = "policy_in_past"
    else:
        clean["effective_from"] = month.first
    clean["note"] = (form.get("note") or "").strip()[:200]
    return clean, errors


def save(db, actor_id, role: str, weights: dict, effective_from: str, note: str = "") -> int:
    """Store a new version of a role's weights; return its number."""
    with db.atomic():
        latest = db.execute(
            "SELECT coalesce(max(version), 0) FROM score_policy WHERE role = ?", [role]
        ).fetchone()[0]
        row_id = uuid7()
        db.execute(
            "INSERT INTO score_policy (id, version, role, weights, effective_from, note,"
            " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                row_id,
                latest + 1,
                role,
                json.dumps(weights),
                effective_from,
                note,
                now_utc(),
                actor_id,
            ],
        )
        after = {"role": role, "version": latest + 1, "weights": weights, "from": effective_from}
        audit(db, actor_id, "create", "score_policy", row_id, None, after)
    return latest + 1
