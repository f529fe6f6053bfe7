"""Named sets of work-order statuses, each defined here once with its rule (the statuses
themselves and their moves: server/work_orders/rules.py). The device gets them in the pull's
config (STATUS_SETS) and pwa/statuses.js keeps the same values as its defaults.

An order moves dispatched → accepted → en_route → on_site → resolved → submitted →
approved → closed; a reviewer may return it (returned → resubmitted); it may be cancelled.
"""

# Not yet on site: the SLA arrival clock still runs (arrival reminders).
BEFORE_ARRIVAL = ("dispatched", "accepted", "en_route")

# Field work under way: the SLA clocks run and the dispatch board ranks it first.
RUNNING = (*BEFORE_ARRIVAL, "on_site")

# Still with the field: it may be handed to another technician or organisation.
REASSIGNABLE = (*RUNNING, "returned")

# Not handed in yet: the order is still the technician's to work on (the device's list of
# open orders, pwa/orders.js); dispatched counts, it waits for them to accept it.
WITH_FIELD = ("dispatched", "accepted", "en_route", "on_site", "resolved", "returned")

# The field work is done (restored at least): its appointment shows as done.
DONE = ("resolved", "submitted", "approved", "closed")

# The report was handed in, whatever the review says since (inspection completion).
REPORTED = ("submitted", "approved", "closed", "returned")

# A reviewer approved it (and it may have been closed since): it passed review.
APPROVED = ("approved", "closed")

# Over: nothing more happens to it (last on the dispatch board).
FINISHED = ("closed", "cancelled")


def for_device() -> dict[str, list[str]]:
    """The work-order status sets the device uses, by the names pwa/statuses.js reads."""
    return {"order_with_field": list(WITH_FIELD), "order_done": list(DONE)}
