"""The churn policy: versioned, editable rules. The newest version is in force; a warning
keeps the version and the figures it was made with, so a later version leaves it as it was."""

import json

from ..db import one, rows
from ..ids import now_utc, uuid7
from ..records import audit

# Version 1 (m012_retention inserts the same): the two 30 % drop rules are the documents';
# the contract window, the weights, the single-product factor and the levels are our defaults.
DEFAULTS = {
    "arpu_drop_pct": 30,
    "usage_drop_pct": 30,
    "contract_window_days": 60,
    "weights": {"arpu_drop": 1.0, "usage_drop": 1.0, "contract_end": 1.0},
    "single_product_factor": 1.5,
    "warn_at": 1.0,
    "high_at": 1.5,
}
RULES = ("arpu_drop", "usage_drop", "contract_end")
# (key, minimum, maximum) of each number a version sets.
LIMITS = {
    "arpu_drop_pct": (1, 100),
    "usage_drop_pct": (1, 100),
    "contract_window_days": (1, 730),
    "single_product_factor": (1, 10),
    "warn_at": (0.01, 100),
    "high_at": (0.01, 100),
}
WEIGHT_LIMITS = (0, 10)


def _out(row: dict | None) -> dict | None:
    if row is not None:
        row["rules"] = {**DEFAULTS, **json.loads(row["rules"])}
    return row


def current(db) -> dict:
    """The version in force: the newest."""
    return _out(one(db, "SELECT * FROM churn_policy ORDER BY version DESC LIMIT 1"))


def history(db) -> list[dict]:
    """Every version, newest first, with who saved it."""
    found = rows(
        db,
        "SELECT p.*, u.display_name AS created_by_name FROM churn_policy p"
        " LEFT JOIN app_user u ON u.id = p.created_by ORDER BY p.version DESC",
    )
    return [_out(r) for r in found]


def _number(form, key: str, low: float, high: float, errors: dict):
    raw = (form.get(key) or "").strip()
    try:
        value = float(raw)
    except ValueError:
        errors[key] = "invalid_number" if raw else "required"
        return None
    if not low <= value <= high:
        errors[key] = "out_of_range"
        return None
    return int(value) if value.is_integer() else value


def validate(form) -> tuple[dict, dict]:
    """A new version from a form: the thresholds, the window, weights and the levels."""
    errors: dict = {}
    rules: dict = {"weights": {}}
    for key, (low, high) in LIMITS.items():
        rules[key] = _number(form, key, low, high, errors)
    for rule in RULES:
        rules["weights"][rule] = _number(form, f"weight.{rule}", *WEIGHT_LIMITS, errors)
    if "contract_window_days" not in errors and rules["contract_window_days"] is not None:
        rules["contract_window_days"] = int(rules["contract_window_days"])
    if not errors and rules["high_at"] < rules["warn_at"]:
        errors["high_at"] = "high_below_warn"
    if not errors and not any(rules["weights"].values()):
        errors["weights"] = "weights_all_zero"
    note = (form.get("note") or "").strip()[:200]
    return {"rules": rules, "note": note}, errors


def save(db, actor_id, rules: dict, note: str = "") -> int:
    """Store a new version; return its number. Earlier warnings keep theirs."""
    with db.atomic():
        latest = db.execute("SELECT coalesce(max(version), 0) FROM churn_policy").fetchone()[0]
        row_id = uuid7()
        db.execute(
            "INSERT INTO churn_policy (id, version, rules, note, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [row_id, latest + 1, json.dumps(rules), note, now_utc(), actor_id],
        )
        audit(
            db, actor_id, "create", "churn_policy", row_id, None, {"version": latest + 1, **rules}
        )
    return latest + 1
