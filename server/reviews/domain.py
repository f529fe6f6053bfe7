"""The reviews domain: the supervisors' review desk, conflicts inbox and spot checks."""

from flask_babel import lazy_gettext as _l

from ..domain import Domain

DOMAIN = Domain(
    "reviews",
    blueprints=("reviews.views:bp",),
    unreplicated=("review", "spot_check"),
    labels={
        "review_kind": {
            "visit": _l("Visit"),
            "fault_repair": _l("Fault repair"),
            "on_demand": _l("On-demand job"),
            "inspection": _l("Inspection"),
            "accompanying": _l("Accompanying work"),
            "rectification": _l("Rectification"),
            "exception_report": _l("Exception report"),
        },
        "review_action": {
            "approve": _l("Approved"),
            "return": _l("Returned for rework"),
            "resubmit": _l("Resubmitted"),
        },
        "spot_check_method": {
            "on_site": _l("On-site check"),
            "phone": _l("Phone check"),
            "video": _l("Video check"),
            "satisfaction_call": _l("Satisfaction call"),
        },
        "spot_check_result": {"ok": _l("OK"), "problem": _l("Problem found")},
        "conflict_resolution": {
            "accepted_device": _l("Device's value accepted"),
            "kept_server": _l("Server's value kept"),
            "applied": _l("Applied"),
            "seen": _l("Marked as seen"),
            "dismissed": _l("Dismissed"),
        },
    },
)
