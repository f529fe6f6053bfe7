"""Work-order lifecycles as server state machines, one per type.

Every type moves forward through field steps done by the technician, then review steps done
by a supervisor:

    dispatched → accepted → en_route → on_site → resolved → submitted → approved → closed
                                                             submitted → returned → submitted

Inspections and rectifications may go from accepted straight to on_site (no travel step for a
site on the round), accompanying work has no "resolved" of its own (the third-party crew's
job is done when they leave: resolved means that), and an exception report is filed already
submitted. A supervisor may cancel any order not yet submitted. A transition not in the table
is refused with a reason: nothing reaches an illegal state.
"""

TYPES = (
    "fault_repair",
    "on_demand",
    "inspection",
    "accompanying",
    "rectification",
    "exception_report",
)
STATUSES = (
    "dispatched",
    "accepted",
    "en_route",
    "on_site",
    "resolved",
    "submitted",
    "approved",
    "returned",
    "closed",
    "cancelled",
)
FIELD_STEPS = {
    "accept": "accepted",
    "travel": "en_route",
    "arrive": "on_site",
    "resolve": "resolved",
    "submit": "submitted",
}
REVIEW_STEPS = {
    "approve": "approved",
    "return": "returned",
    "close": "closed",
    "cancel": "cancelled",
}

_FULL = {
    "dispatched": {"accepted", "cancelled"},
    "accepted": {"en_route", "cancelled"},
    "en_route": {"on_site", "cancelled"},
    "on_site": {"resolved", "cancelled"},
    "resolved": {"submitted", "on_site"},
    "submitted": {"approved", "returned"},
    "returned": {"submitted", "on_site"},
    "approved": {"closed"},
    "closed": set(),
    "cancelled": set(),
}


def _with(extra: dict) -> dict:
    table = {k: set(v) for k, v in _FULL.items()}
    for status, targets in extra.items():
        table[status] |= targets
    return table


TRANSITIONS = {
    "fault_repair": _with({}),
    "on_demand": _with({}),
    "accompanying": _with({}),
    "inspection": _with({"accepted": {"on_site"}}),
    "rectification": _with({"accepted": {"on_site"}}),
    "exception_report": {
        "submitted": {"approved", "returned"},
        "returned": {"submitted"},
        "approved": {"closed"},
        "closed": set(),
        "cancelled": set(),
    },
}
INITIAL = {t: ("submitted" if t == "exception_report" else "dispatched") for t in TYPES}
# Statuses in which the field's edits are late edits for a supervisor.
FROZEN = {"approved", "closed", "cancelled"}
# Statuses in which the technician works on the order (field edits apply).
WORKING = {"accepted", "en_route", "on_site", "resolved", "returned"}


class IllegalTransition(ValueError):
    """A transition the state machine does not allow; the message says why."""


def check(wo_type: str, current: str, target: str) -> None:
    """Raise IllegalTransition unless `wo_type` may move from `current` to `target`."""
    table = TRANSITIONS.get(wo_type)
    if table is None:
        raise IllegalTransition(f"unknown work-order type {wo_type!r}")
    if target not in STATUSES:
        raise IllegalTransition(f"unknown status {target!r}")
    if target not in table.get(current, set()):
        allowed = ", ".join(sorted(table.get(current, set()))) or "nothing"
        raise IllegalTransition(
            f"a {wo_type} order that is {current} cannot become {target} (allowed: {allowed})"
        )


def can(wo_type: str, current: str, target: str) -> bool:
    """True when the transition is allowed."""
    try:
        check(wo_type, current, target)
    except IllegalTransition:
        return False
    return True
