"""The complaints domain's declaration: complaints (投诉), their steps and their policy."""

from flask_babel import lazy_gettext as _l

from ..domain import Domain

DOMAIN = Domain(
    "complaints",
    blueprints=("complaints.views:bp",),
    sync="complaints.sync",
    unreplicated=("complaint_step",),
    labels={
        "complaint_status": {
            "received": _l("Just received"),
            "classified": _l("Classified"),
            "investigating": _l("Investigating"),
            "waiting_for_customer": _l("Waiting for the customer"),
            "handled": _l("Handled"),
            "feedback_given": _l("Feedback given"),
            "archived": _l("Archived"),
        },
        "complaint_channel": {
            "hotline_transfer": _l("Hotline transfer"),
            "visit": _l("On a visit"),
            "letter": _l("Letter"),
            "app": _l("App"),
            "other": _l("Other"),
        },
        "complaint_category": {
            "network_quality": _l("Network quality"),
            "dedicated_line_fault": _l("Dedicated line fault"),
            "billing": _l("Billing"),
            "service_attitude": _l("Service attitude"),
            "product": _l("Product"),
            "other": _l("Other"),
        },
        "complaint_severity": {
            "low": _l("Low"),
            "medium": _l("Medium"),
            "high": _l("High"),
            "critical": _l("Critical"),
        },
        "complaint_action": {
            "record": _l("Recorded"),
            "classify": _l("Classify"),
            "investigate": _l("Start investigating"),
            "handle": _l("Mark handled"),
            "give_feedback": _l("Record feedback given"),
            "archive": _l("Archive"),
            "reopen": _l("Reopen"),
            "pause": _l("Wait for the customer"),
            "resume": _l("Resume"),
            "reassign": _l("Reassign"),
            "change_severity": _l("Change severity"),
        },
        "complaint_feedback_how": {
            "phone": _l("By phone"),
            "visit": _l("On a visit"),
            "message": _l("By message"),
            "letter": _l("By letter"),
        },
        "complaint_reaction": {
            "satisfied": _l("Satisfied"),
            "accepted": _l("Accepts the answer"),
            "dissatisfied": _l("Dissatisfied"),
        },
        "complaint_conflict_reason": {
            "archived": _l("Sent after archiving"),
            "reassigned": _l("Complaint or customer reassigned"),
        },
        "complaint_clock": {
            "on_time": _l("On time"),
            "warning": _l("Due soon"),
            "overdue": _l("Past due"),
            "paused": _l("Paused"),
            "met": _l("Met"),
            "breached": _l("Met late"),
        },
    },
)
