"""The sync_api domain's declaration: the device sync API (push, pull, blobs), and the
display names of its mutations (the device's Sync page, held edits): every registered
mutation has one (tests/test_labels_parity.py)."""

from flask_babel import lazy_gettext as _l

from ..domain import Domain

MUTATION_LABELS = {
    "appointment.record": _l("Appointment recorded"),
    "care.done": _l("Care item done"),
    "complaint.add": _l("Complaint recorded"),
    "complaint.give_feedback": _l("Complaint feedback recorded"),
    "complaint.update": _l("Complaint changed"),
    "contact.add": _l("Contact added"),
    "contact.remove": _l("Contact removed"),
    "contact.update": _l("Contact changed"),
    "customer.update": _l("Customer details changed"),
    "follow_up.done": _l("Follow-up closed"),
    "inspection.answer": _l("Checklist answer"),
    "inspection.open_rectification": _l("Rectification order opened"),
    "retention.outcome": _l("Retention outcome recorded"),
    "task.complete": _l("Task marked done"),
    "user.locale": _l("Language changed"),
    "visit.add_follow_up": _l("Follow-up added"),
    "visit.add_photo": _l("Visit photo added"),
    "visit.cancel": _l("Visit cancelled"),
    "visit.check_in": _l("Visit check-in"),
    "visit.check_out": _l("Visit check-out"),
    "visit.log_contact": _l("Call or message logged"),
    "visit.plan": _l("Visit planned"),
    "visit.resubmit": _l("Visit resubmitted"),
    "visit.sign": _l("Customer signature"),
    "visit.update": _l("Visit record saved"),
    "work_order.accept": _l("Work order accepted"),
    "work_order.add_photo": _l("Work order photo added"),
    "work_order.arrive": _l("Arrived on site (check-in)"),
    "work_order.report_exception": _l("Exception reported"),
    "work_order.resolve": _l("Work order resolved"),
    "work_order.submit": _l("Work order report submitted"),
    "work_order.travel": _l("Set off to the site"),
    "work_order.update": _l("Repair report saved"),
}

DOMAIN = Domain(
    "sync_api",
    blueprints=("sync_api.views:bp", "sync_api.blobs:bp"),
    labels={"mutation": MUTATION_LABELS},
)
