"""The complaint's state machine: which step moves a complaint from which status to which.

received → classified → investigating → handled → feedback_given (how the customer was told,
their reaction) → archived. `reopen` takes a complaint whose customer is not satisfied from
feedback_given or archived back to investigating, with a reason. `pause` puts an open
complaint into waiting_for_customer, which stops its clocks (server/complaints/clock.py);
`resume` takes it back to the status it was paused from. Every step is a history row
(model.STEP_ACTIONS), so who did what and when is never lost.
"""

OPEN = ("received", "classified", "investigating")
PAUSED = "waiting_for_customer"
DONE = ("handled", "feedback_given", "archived")  # the resolution clock has been met
STATUSES = (*OPEN, PAUSED, *DONE)
# action → (statuses it starts from, the status it leads to); pause and resume are below.
MOVES = {
    "classify": (("received",), "classified"),
    "investigate": (("received", "classified"), "investigating"),
    "handle": (("investigating",), "handled"),
    "give_feedback": (("handled",), "feedback_given"),
    "archive": (("feedback_given",), "archived"),
    "reopen": (("feedback_given", "archived"), "investigating"),
}
ACTIONS = (*MOVES, "pause", "resume")
NEEDS_REASON = ("reopen", "pause")


def next_status(status: str, action: str, paused_from: str | None = None) -> str | None:
    """The status `action` leads to from `status`, or None when the move is not allowed."""
    if action == "pause":
        return PAUSED if status in OPEN else None
    if action == "resume":
        return (paused_from or "investigating") if status == PAUSED else None
    starts, to = MOVES.get(action, ((), None))
    return to if status in starts else None


def actions_from(status: str) -> list[str]:
    """The actions allowed from `status`, in ACTIONS order (the detail page's buttons)."""
    return [a for a in ACTIONS if next_status(status, a) is not None]
