"""Score weights: a versioned policy per role. A month is scored with the version in force on
its first day (the latest effective_from ≤ that day; the higher version on a tie)."""

from .. import policies
from ..db import one
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
POLICY = policies.Policy("score_policy", rules="weights", numbered_by=("role",))


def in_force(db, role: str, month: str) -> dict:
    """The policy version that scores `month` for `role`."""
    return POLICY.in_force(db, months.parse(month).first, role=role)


def version(db, role: str, number: int) -> dict | None:
    """One stored version of a role's weights."""
    return POLICY.load(
        one(db, "SELECT * FROM score_policy WHERE role = ? AND version = ?", [role, number])
    )


def history(db) -> list[dict]:
    """Every version, newest first, with who saved it."""
    return POLICY.history(db)


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
        weight, error = policies.number(form.get(f"weight.{spec.key}"), 0, MAX_WEIGHT)
        if error:
            errors[f"weight.{spec.key}"] = error
        if weight is not None:
            clean["weights"][spec.key] = weight
    if not errors and not any(clean["weights"].values()):
        errors["weights"] = "weights_all_zero"
    month = months.parse((form.get("effective_month") or "").strip())
    if first := policies.first_day(month, months.current(now), errors):
        clean["effective_from"] = first
    clean["note"] = policies.note(form)
    return clean, errors


def save(db, actor_id, role: str, weights: dict, effective_from: str, note: str = "") -> int:
    """Store a new version of a role's weights; return its number."""
    values = {"role": role, "weights": weights, "effective_from": effective_from, "note": note}
    return POLICY.save(
        db,
        actor_id,
        values,
        lambda version: {
            "role": role,
            "version": version,
            "weights": weights,
            "from": effective_from,
        },
    )
