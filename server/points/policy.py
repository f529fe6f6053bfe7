"""The customer points policy (积分政策): earn rate and qualification levels, versioned.

A month's points are earned with the version in force for that month (the latest
`effective_from` month ≤ it; the higher version on a tie). Levels are named thresholds of
qualifying points (earned plus adjusted; redemptions do not lower a customer's level).
"""

import json
import re

from .. import records
from ..db import one, rows
from ..ids import now_utc

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


def _out(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {**row, "rules": json.loads(row["rules"])}


def in_force(db, month: str) -> dict:
    """The policy version for a month ('YYYY-MM')."""
    return _out(
        one(
            db,
            "SELECT * FROM points_policy WHERE effective_from <= ?"
            " ORDER BY effective_from DESC, version DESC LIMIT 1",
            [month],
        )
    )


def history(db) -> list[dict]:
    """Every version, newest first."""
    return [_out(r) for r in rows(db, "SELECT * FROM points_policy ORDER BY version DESC")]


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
    clean: dict = {"note": str(form.get("note") or "").strip()[:500]}
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
    if not MONTH.match(month):
        errors["effective_from"] = "invalid_month"
    elif month < this_month:
        errors["effective_from"] = "policy_in_past"
    clean["effective_from"] = month
    return clean, errors


def save(db, actor_id, clean: dict) -> int:
    """Store a new version; return its number."""
    rules = {"points_per_yuan": clean["points_per_yuan"], "levels": clean["levels"]}
    with db.atomic():
        latest = db.execute("SELECT coalesce(max(version), 0) FROM points_policy").fetchone()[0]
        version = latest + 1
        db.execute(
            "INSERT INTO points_policy (id, version, rules, effective_from, note, created_at,"
            " created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                f"points-v{version}",
                version,
                json.dumps(rules, ensure_ascii=False),
                clean["effective_from"],
                clean["note"],
                now_utc(),
                actor_id,
            ],
        )
        records.audit(
            db,
            actor_id,
            "create",
            "points_policy",
            f"points-v{version}",
            None,
            {**rules, "version": version, "from": clean["effective_from"]},
        )
    return version
