"""Named sets of visit statuses, each defined here once with its rule. The device gets them in
the pull's config (STATUS_SETS, server/sync_api/views.py) and pwa/statuses.js keeps the same
values as its defaults.

A visit moves planned → in_progress (checked in) → completed (checked out) → approved, or is
returned for rework (and resubmitted: completed again), or cancelled.
"""

# The contact took place: the customer was met or spoken to, whatever the review says.
# It answers "when did we last contact this customer" (the visit policy's due days, its
# overdue reminders, pwa/ui.js lastVisitDay). Checked in is enough; cancelled and planned
# visits never took place.
TOOK_PLACE = ("completed", "approved", "in_progress", "returned")

# The visit was checked out: its report exists, reviewed or not. A returned visit was
# checked out and then sent back, so it still counts as kept (visit-plan completion).
CHECKED_OUT = ("completed", "approved", "returned")

# The visit is done and stands: checked out and not (or no longer) returned. It counts
# toward a task (server/tasks/rules.py, pwa/tasks.js) and makes its appointment done; a
# returned visit counts again once it is resubmitted.
DONE = ("completed", "approved")


def for_device() -> dict[str, list[str]]:
    """The visit status sets the device uses, by the names pwa/statuses.js reads."""
    return {
        "visit_took_place": list(TOOK_PLACE),
        "visit_checked_out": list(CHECKED_OUT),
        "visit_done": list(DONE),
    }
