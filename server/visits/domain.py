"""The visits domain: customer visits, their photos, follow-ups and logged contacts."""

from flask_babel import lazy_gettext as _l

from ..domain import Domain

DOMAIN = Domain(
    "visits",
    blueprints=("visits.views:bp", "visits.followup_views:bp"),
    sync="visits.sync",
    labels={
        "visit_status": {
            "planned": _l("Planned"),
            "in_progress": _l("In progress"),
            "completed": _l("Completed"),
            "approved": _l("Approved"),
            "returned": _l("Returned"),
            "cancelled": _l("Cancelled"),
        },
        "visit_purpose": {
            "routine": _l("Routine visit"),
            "complaint_follow_up": _l("Complaint follow-up"),
            "product_promotion": _l("Product promotion"),
            "care": _l("Customer care"),
            "retention": _l("Retention"),
            "fault_follow_up": _l("Fault follow-up"),
            "contract_renewal": _l("Contract renewal"),
        },
        "gps_flag": {
            "ok": _l("GPS OK"),
            "far": _l("Far from customer"),
            "low_accuracy": _l("Low accuracy"),
            "no_fix": _l("No GPS fix"),
            "no_customer_location": _l("Customer location not recorded"),
        },
        "conflict_kind": {"field": _l("Conflicting edit"), "late_edit": _l("Late edit")},
        "conflict_reason": {
            "approved": _l("Sent after approval"),
            "cancelled": _l("Sent after cancellation"),
            "reassigned": _l("Customer reassigned"),
            "stale_base": _l("Edited an older version"),
            "location_moved": _l("Location moved far from the recorded one"),
        },
        "visit_channel": {
            "on_site": _l("On site"),
            "phone": _l("Phone call"),
            "message": _l("Message (WeChat/SMS)"),
        },
        "visit_requirement": {
            "on_site": _l("On-site visit"),
            "remote": _l("Call (phone or message)"),
        },
    },
)
