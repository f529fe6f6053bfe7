"""The scores domain's declaration: monthly scorecards."""

from flask_babel import lazy_gettext as _l

from ..domain import Domain

DOMAIN = Domain(
    "scores",
    blueprints=("scores.views:bp",),
    cli=("scores.commands:scores_cli",),
    sync="scores.sync",
    labels={
        "score_kind": {
            "account_manager": _l("Account managers"),
            "technician": _l("Technicians"),
            "team": _l("Teams"),
            "contractor": _l("Contractors"),
        },
        "score_indicator": {
            "visit_plan_completion": _l("Visit-plan completion"),
            "a_class_coverage": _l("A-class coverage"),
            "follow_ups_on_time": _l("Follow-ups closed on time"),
            "satisfaction": _l("Customer satisfaction"),
            "visit_review_pass": _l("Review pass rate (visits)"),
            "visit_report_timeliness": _l("Report timeliness (visits)"),
            "sla_arrival": _l("SLA on-time arrival"),
            "sla_restore": _l("SLA on-time restore"),
            "inspection_completion": _l("Inspection completion"),
            "first_time_fix": _l("First-time fix"),
            "order_review_pass": _l("Review pass rate (orders)"),
            "order_report_timeliness": _l("Report timeliness (orders)"),
            "order_on_time": _l("Due-time orders done on time"),
        },
        # What each indicator counts, as the drill-down page states it (scores/records.html).
        "score_indicator_rule": {
            "visit_plan_completion": _l(
                "Planned visits completed ÷ planned visits due this month. A visit is due on its "
                "planned date; completed means checked out (also when approved or returned for "
                "rework). A cancelled plan counts as not kept; a plan whose day has not come yet "
                "is not counted."
            ),
            "a_class_coverage": _l(
                "The manager's A-class customers visited this month ÷ all of them. A visit counts"
                " when it was checked in this month, was not cancelled, and is of a channel the "
                "visit policy counts for class A (on-site visits by default)."
            ),
            "follow_ups_on_time": _l(
                "Follow-ups done by their due date ÷ follow-ups due this month. The day counted "
                "is the device's time of the close, unless it is more than 5 minutes later than "
                "the server received it. Still open after the due date: missed; before it: not "
                "counted. A reopened follow-up is open again."
            ),
            "satisfaction": _l(
                "The mean satisfaction rating (1–5) of this month's rated visits ÷ 5. Visits "
                "without a rating are shown but not counted."
            ),
            "visit_review_pass": _l(
                "Visits approved without a return ÷ this month's reviewed visits. A visit "
                "returned at any time (even if approved later) is missed; a visit not yet "
                "reviewed is not counted."
            ),
            "visit_report_timeliness": _l(
                "Visits synced within 24 h of check-out ÷ this month's checked-out visits. "
                "Synced: when the server received the check-out; check-out: the device's time of "
                "it."
            ),
            "sla_arrival": _l(
                "Fault repairs where the technician was on site by the arrival deadline ÷ fault "
                "repairs whose arrival is due this month. Only fault repairs have an arrival "
                "deadline; the first arrival counts (rework does not move it). Not arrived and "
                "past due: missed; not yet due: not counted."
            ),
            "sla_restore": _l(
                "Fault repairs restored by the restore deadline ÷ fault repairs whose restore is "
                "due this month. Only fault repairs have a restore deadline; the first resolution"
                " counts. Not restored and past due: missed."
            ),
            "order_on_time": _l(
                "On-demand, accompanying and rectification orders done by their due time ÷ those "
                "orders due this month. The due time was set at dispatch (by the supervisor, else"
                " by the SLA policy for the grade or severity); the first resolution counts. Not "
                "done and past due: missed; not yet due: not counted."
            ),
            "inspection_completion": _l(
                "Inspection orders submitted ÷ inspection orders due this month. Due: the last "
                "day of the plan period (for an inspection dispatched outside a plan, the day of "
                "its due time). Submitted means handed in: submitted, approved, closed, or "
                "returned for rework."
            ),
            "first_time_fix": _l(
                "Fault repairs resolved this month that were neither followed by another fault "
                "repair at the same site within 7 days nor returned ÷ fault repairs resolved. A "
                "repair whose 7 days have not passed yet is not counted: recompute the month "
                "after the 7th of the next month."
            ),
            "order_review_pass": _l(
                "Orders approved without a return ÷ reviewed orders resolved this month. Returned"
                " at any time (even if approved later): missed; not reviewed yet: not counted."
            ),
            "order_report_timeliness": _l(
                "Orders whose report reached the server within 24 h of resolution ÷ orders "
                "resolved this month. The first submission counts, so rework after a return does "
                "not make a report late. Not submitted after 24 h: missed."
            ),
        },
        "score_rule": {
            "completed": _l("Completed"),
            "not_completed": _l("Not completed"),
            "cancelled": _l("Cancelled"),
            "not_yet_due": _l("Not due yet"),
            "visited": _l("Visited this month"),
            "not_visited": _l("Not visited this month"),
            "closed_on_time": _l("Closed by the due date"),
            "closed_late": _l("Closed after the due date"),
            "open_past_due": _l("Still open after the due date"),
            "no_rating": _l("No satisfaction rating"),
            "rated_1": _l("Rated 1 of 5"),
            "rated_2": _l("Rated 2 of 5"),
            "rated_3": _l("Rated 3 of 5"),
            "rated_4": _l("Rated 4 of 5"),
            "rated_5": _l("Rated 5 of 5"),
            "returned": _l("Returned by a reviewer"),
            "approved_first_time": _l("Approved without a return"),
            "awaiting_review": _l("Awaiting review"),
            "not_submitted": _l("Not submitted"),
            "not_checked_out": _l("Not checked out"),
            "no_device_time": _l("No device time"),
            "synced_within_24h": _l("Synced within 24 h"),
            "synced_late": _l("Synced after 24 h"),
            "arrived_on_time": _l("Arrived on time"),
            "arrived_late": _l("Arrived late"),
            "not_arrived_past_due": _l("Not arrived, past due"),
            "restored_on_time": _l("Restored on time"),
            "restored_late": _l("Restored late"),
            "not_restored_past_due": _l("Not restored, past due"),
            "repeat_fault_within_7_days": _l("Another fault at the site within 7 days"),
            "watch_period_open": _l("7-day watch not over"),
            "fixed_first_time": _l("Fixed first time"),
            "submitted_within_24h": _l("Submitted within 24 h"),
            "submitted_late": _l("Submitted after 24 h"),
            "not_submitted_late": _l("Not submitted after 24 h"),
            "done_on_time": _l("Done by the due time"),
            "done_late": _l("Done after the due time"),
            "not_done_past_due": _l("Not done, past the due time"),
        },
    },
)
