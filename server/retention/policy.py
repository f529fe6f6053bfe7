"""The churn policy: versioned, editable rules. The newest version is in force; a warning
keeps the version and the figures it was made with, so a later version leaves it as it was."""

from .. import policies

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


POLICY = policies.Policy("churn_policy", defaults=DEFAULTS)


def current(db) -> dict:
    """The version in force: the newest."""
    return POLICY.latest(db)


def history(db) -> list[dict]:
    """Every version, newest first, with who saved it."""
    return POLICY.history(db)


def _number(form, key: str, low: float, high: float, errors: dict):
    value, error = policies.number(form.get(key), low, high)
    if error:
        errors[key] = error
        return None
    return value


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
    return {"rules": rules, "note": policies.note(form)}, errors


def save(db, actor_id, rules: dict, note: str = "") -> int:
    """Store a new version; return its number. Earlier warnings keep theirs."""
    values = {"rules": rules, "note": note}
    return POLICY.save(db, actor_id, values, lambda version: {"version": version, **rules})
