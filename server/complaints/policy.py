"""The complaint policy: categories, time limits and working hours, versioned.

Each version (table complaint_policy, server/policies.py) holds the complaint categories
(a versioned list: a category left out of a newer version stays on the complaints that have
it), the first-response and resolution limits in working hours by severity × the customer's
service grade, the working hours of the business calendar, and the warning threshold (the
share of a limit run before a clock shows `warning`). A complaint is timed by the version in
force at its received time, so a later edit never rewrites an earlier complaint's due times.

**Every limit is our default, not the operator's** (its documents give none): see
docs/complaints.md. Without a matching rule the fallback is stated, never guessed: no version
in force → DEFAULTS (version 0); a customer without a grade, or with one the version lacks →
the `standard` grade's limits; a severity the version lacks → its `fallback` limits.
"""

from .. import policies
from ..times import LOCAL_ZONE_NAME

SEVERITIES = ("low", "medium", "high", "critical")
GRADES = ("diamond", "gold", "silver", "bronze", "standard")
CATEGORIES = (
    "network_quality",
    "dedicated_line_fault",
    "billing",
    "service_attitude",
    "product",
    "other",
)
CLOCKS = ("first_response", "resolution")


def _limits(first_response: tuple, resolution: tuple) -> dict:
    return {
        grade: {"first_response": f, "resolution": r}
        for grade, f, r in zip(GRADES, first_response, resolution, strict=True)
    }


# Ours: working hours, diamond → standard.
DEFAULTS = {
    "categories": list(CATEGORIES),
    "limits": {
        "critical": _limits((1, 1, 2, 2, 4), (8, 12, 16, 24, 24)),
        "high": _limits((2, 2, 4, 4, 8), (16, 24, 24, 32, 40)),
        "medium": _limits((4, 4, 8, 8, 8), (24, 32, 40, 40, 48)),
        "low": _limits((8, 8, 16, 16, 16), (40, 48, 56, 72, 72)),
    },
    "fallback": {"first_response": 8, "resolution": 40},
    "hours": {
        "opens": "09:00",
        "closes": "18:00",
        "weekdays": [0, 1, 2, 3, 4],
        "tz": LOCAL_ZONE_NAME,
    },
    "warn_ratio": 0.8,
}
POLICY = policies.Policy("complaint_policy", defaults=DEFAULTS)


def in_force(db, at: str) -> dict:
    """The version in force at `at` (a stored time or a day): {version, rules, ...}; DEFAULTS
    as version 0 when none is."""
    found = POLICY.in_force(db, at)
    return found or {"version": 0, "rules": DEFAULTS, "effective_from": "2000-01-01"}


def of_version(db, version: int) -> dict:
    """A stored version by number; DEFAULTS for 0 or a number not stored."""
    found = POLICY.latest(db, version=version) if version else None
    return found or {"version": 0, "rules": DEFAULTS, "effective_from": "2000-01-01"}


def limits(rules: dict, severity: str, grade: str | None) -> dict:
    """{first_response, resolution, basis} in working hours for a severity and service grade,
    and which rule gave them: `grade` (the table's cell), `standard` (no such grade: the
    standard grade's) or `fallback` (no such severity)."""
    by_grade = rules["limits"].get(severity)
    if not by_grade:
        return {**rules["fallback"], "basis": "fallback"}
    if grade in by_grade:
        return {**by_grade[grade], "basis": "grade"}
    if "standard" in by_grade:
        return {**by_grade["standard"], "basis": "standard"}
    return {**rules["fallback"], "basis": "fallback"}


def categories(db, at: str) -> list[str]:
    """The categories offered at `at` (the version in force)."""
    return list(in_force(db, at)["rules"]["categories"])
