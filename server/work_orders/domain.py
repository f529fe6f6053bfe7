"""The work_orders domain's declaration: maintenance work orders with SLA clocks."""

from flask_babel import lazy_gettext as _l

from ..domain import Domain

DOMAIN = Domain(
    "work_orders",
    blueprints=("work_orders.views:bp",),
    sync="work_orders.sync",
    labels={
        "wo_type": {
            "fault_repair": _l("Fault repair"),
            "on_demand": _l("On-demand job"),
            "inspection": _l("Inspection"),
            "accompanying": _l("Accompanying work"),
            "rectification": _l("Rectification"),
            "exception_report": _l("Exception report"),
        },
        "wo_status": {
            "dispatched": _l("Dispatched"),
            "accepted": _l("Accepted"),
            "en_route": _l("En route"),
            "on_site": _l("On site"),
            "resolved": _l("Resolved"),
            "submitted": _l("Submitted"),
            "approved": _l("Approved"),
            "returned": _l("Returned"),
            "closed": _l("Closed"),
            "cancelled": _l("Cancelled"),
        },
        "sla_state": {
            "met": _l("Met"),
            "breached": _l("Breached"),
            "running": _l("Running"),
            "n/a": _l("Not applicable"),
        },
        "sla_clock": {
            "response_due_at": _l("Response"),
            "arrival_due_at": _l("Arrival"),
            "restore_due_at": _l("Restore"),
        },
        "time_flag": {
            "future": _l("Time in the future"),
            "before_dispatch": _l("Time before dispatch"),
            "too_fast": _l("Faster than travel allows"),
        },
        "photo_stage": {
            "before": _l("Before"),
            "after": _l("After"),
            "evidence": _l("Evidence"),
        },
        "check_in_flag": {
            "ok": _l("GPS OK"),
            "far": _l("Far from site"),
            "low_accuracy": _l("Low accuracy"),
            "no_fix": _l("No GPS fix"),
            "no_site_location": _l("Site location not recorded"),
        },
        "wo_conflict_reason": {
            "reassigned": _l("Sent after the order was reassigned"),
            "approved": _l("Sent after approval"),
            "closed": _l("Sent after closing"),
            "cancelled": _l("Sent after cancellation"),
            "stale_base": _l("Edited an older version"),
        },
        "severity": {
            "critical": _l("Critical"),
            "major": _l("Major"),
            "minor": _l("Minor"),
        },
        "due_clock": {"restore_due_at": _l("Due")},
    },
)
