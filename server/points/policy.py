"""The customer points policy (积分政策): earn rate and qualification levels, versioned.

A month's points are earned with the version in force for that month (the latest
`effective_from` month ≤ it; the higher version on a tie). Levels are named thresholds of
qualifying points (earned plus adjusted; redemptions do not lower a customer's level).
"""

import re

from .. import policies

DEFAULTS = {
    "points_per_yuan": 1.0,
    "levels": [
        {"name": "普通", "min_points": 0},
        {"name": "银卡", "min_points": 5000},
        {"name": "金卡", "min_points": 20000},
        {"name": "钻石", "min_points": 100000},
    ],
}
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_RATE = 1000.0


POLICY = policies.Policy("points_policy", id_prefix="points-v")


def in_force(db, month: str) -> dict:
    """The policy version for a month ('YYYY-MM')."""
    return POLICY.in_force(db, month)


def history(db) -> list[dict]:
    """Every version, newest first."""
    return POLICY.history(db)


def level_of(levels: list[dict], qualifying: int) -> tuple[dict | None, dict | None]:
    """(the level reached, the next level) for a number of qualifying points."""
    reached, following = None, None
    for level in sorted(levels, key=lambda x: x["min_points"]):
        if qualifying >= level["min_points"]:
            reached = level
        elif following is None:
            following = level
    return reached, following


def validate(form, this_month: str) -> tuple[dict, dict]:
    """A new version from the form: points per yuan, levels (one 'name, points' a line),
    effective month (this month or later: earlier months keep the points they earned)."""
    errors: dict = {}
    clean: dict = {"note": policies.note(form, 500)}
    try:
        rate = float(str(form.get("points_per_yuan") or "").strip())
        if not 0 <= rate <= MAX_RATE or rate != rate:
            errors["points_per_yuan"] = "out_of_range"
        clean["points_per_yuan"] = rate
    except ValueError:
        errors["points_per_yuan"] = "invalid_number"
    levels = []
    for line in str(form.get("levels") or "").splitlines():
        if not line.strip():
            continue
        name, _sep, points = line.rpartition(",")
        try:
            levels.append({"name": name.strip()[:50], "min_points": int(points.strip())})
        except ValueError:
            errors["levels"] = "levels_order"
    mins = [lv["min_points"] for lv in levels]
    if (
        not levels
        or any(not lv["name"] for lv in levels)
        or mins != sorted(set(mins))
        or mins[0] < 0
    ):
        errors["levels"] = "levels_order"
    clean["levels"] = levels
    month = str(form.get("effective_from") or "").strip()
    if error := policies.month_error(month if MONTH.match(month) else None, this_month):
        errors["effective_from"] = error
    clean["effective_from"] = month
    return clean, errors


def save(db, actor_id, clean: dict) -> int:
    """Store a new version; return its number."""
    rules = {"points_per_yuan": clean["points_per_yuan"], "levels": clean["levels"]}
    values = {"rules": rules, "effective_from": clean["effective_from"], "note": clean["note"]}
    return POLICY.save(
        db,
        actor_id,
        values,
        lambda version: {**rules, "version": version, "from": clean["effective_from"]},
    )
