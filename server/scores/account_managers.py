"""Account managers' indicators (客户经理). Months are local calendar months.

"The month's visits" are the visits checked in during the month (server time of the
check-in, `check_in_at`), cancelled ones aside. A returned-then-approved visit counts as
completed and as reviewed, but fails the review pass rate (it was returned once).
"""

from ..db import sql_in
from ..times import sql_local_day
from ..visits.followups import counted_at
from ..visits.statuses import CHECKED_OUT
from .indicators import indicator

DONE = sql_in(CHECKED_OUT)
IN_MONTH = "v.deleted_at IS NULL AND v.check_in_at >= :start AND v.check_in_at < :end"


@indicator(
    "visit_plan_completion",
    "account_manager",
    "visit",
    f"""SELECT v.account_manager_id AS subject, NULL AS contractor, v.id AS record_id,
        v.planned_date AS at,
        CASE WHEN v.status IN {DONE} THEN 'completed'
             WHEN v.status = 'cancelled' THEN 'cancelled'
             WHEN v.planned_date >= :today THEN 'not_yet_due'
             ELSE 'not_completed' END AS rule
        FROM visit v WHERE v.deleted_at IS NULL AND v.planned_date BETWEEN :first AND :last""",
    met=("completed",),
    missed=("cancelled", "not_completed"),
)
def visit_plan_completion(db, user_id, month, now=None):
    """Visit-plan completion = planned visits completed ÷ planned visits due in the month.

    A visit is due on its planned date. Completed means checked out (completed, approved, or
    returned for rework: the visit took place). A cancelled plan counts as not kept; a plan
    still open whose day has not come yet is not counted.
    """


@indicator(
    "a_class_coverage",
    "account_manager",
    "customer",
    f"""SELECT subject, NULL AS contractor, record_id, at,
        CASE WHEN at IS NOT NULL THEN 'visited' ELSE 'not_visited' END AS rule
        FROM (SELECT c.account_manager_id AS subject, c.id AS record_id,
          (SELECT min(v.check_in_at) FROM visit v WHERE v.customer_id = c.id
            AND v.account_manager_id = c.account_manager_id AND v.status != 'cancelled'
            AND v.channel IN {{a_class_channels}} AND {IN_MONTH}) AS at
          FROM customer c WHERE c.customer_class = 'A' AND c.deleted_at IS NULL
            AND c.account_manager_id IS NOT NULL)""",
    met=("visited",),
    missed=("not_visited",),
)
def a_class_coverage(db, user_id, month, now=None):
    """A-class coverage = the manager's A-class customers visited in the month ÷ all of them.

    Customers are those assigned to the manager now; visited means a visit of theirs
    checked in during the month (not cancelled) of a channel the visit policy in force on
    the month's first day counts for class A: on-site visits only while A requires on-site
    visits (our default), calls too if A required only calls. The card keeps that policy's
    version (visit_policy_version on the indicator).
    """


@indicator(
    "follow_ups_on_time",
    "account_manager",
    "follow_up",
    f"""SELECT f.account_manager_id AS subject, NULL AS contractor, f.id AS record_id,
        f.due_date AS at,
        CASE WHEN f.done_at IS NOT NULL AND {sql_local_day(counted_at("f"))} <= f.due_date
               THEN 'closed_on_time'
             WHEN f.done_at IS NOT NULL THEN 'closed_late'
             WHEN f.due_date >= :today THEN 'not_yet_due'
             ELSE 'open_past_due' END AS rule
        FROM follow_up f WHERE f.deleted_at IS NULL AND f.due_date BETWEEN :first AND :last""",
    met=("closed_on_time",),
    missed=("closed_late", "open_past_due"),
)
def follow_ups_on_time(db, user_id, month, now=None):
    """Follow-ups closed on time = follow-ups done by their due date ÷ follow-ups due in the month.

    On time: the local day the follow-up was done ≤ due_date. When it was done is the
    device's time of the close (`done_device_at`: the work is often done offline and synced
    later), unless that is more than 5 minutes later than the server's receipt (`done_at`),
    then the server's (visits/followups.counted_at). Still open after the due date: missed;
    still open before it: not counted. A follow-up a supervisor reopened is open again.
    """


@indicator(
    "satisfaction",
    "account_manager",
    "visit",
    f"""SELECT v.account_manager_id AS subject, NULL AS contractor, v.id AS record_id,
        v.check_in_at AS at,
        CASE WHEN v.satisfaction IS NULL THEN 'no_rating'
             ELSE 'rated_' || v.satisfaction END AS rule
        FROM visit v WHERE {IN_MONTH} AND v.status != 'cancelled'""",
    met=(),
    missed=(),
    score="CASE WHEN rule LIKE 'rated_%' THEN CAST(substr(rule, 7) AS REAL) / 5 END",
)
def satisfaction(db, user_id, month, now=None):
    """Customer satisfaction = mean satisfaction (1–5) of the month's rated visits ÷ 5.

    Visits without a rating are shown but not counted.
    """


@indicator(
    "visit_review_pass",
    "account_manager",
    "visit",
    f"""SELECT v.account_manager_id AS subject, NULL AS contractor, v.id AS record_id,
        v.check_in_at AS at,
        CASE WHEN {{returned_visit}} THEN 'returned'
             WHEN v.status = 'approved' THEN 'approved_first_time'
             WHEN v.status = 'completed' THEN 'awaiting_review'
             ELSE 'not_submitted' END AS rule
        FROM visit v WHERE {IN_MONTH} AND v.status != 'cancelled'""",
    met=("approved_first_time",),
    missed=("returned",),
)
def visit_review_pass(db, user_id, month, now=None):
    """Review pass rate = visits approved without a return ÷ the month's reviewed visits.

    A visit returned at any time (even if approved later) is missed; a visit not yet
    reviewed is not counted.
    """


@indicator(
    "visit_report_timeliness",
    "account_manager",
    "visit",
    f"""SELECT v.account_manager_id AS subject, NULL AS contractor, v.id AS record_id,
        v.check_out_at AS at,
        CASE WHEN v.check_out_at IS NULL THEN 'not_checked_out'
             WHEN v.check_out_device_at IS NULL THEN 'no_device_time'
             WHEN julianday(v.check_out_at) - julianday(v.check_out_device_at) <= 1.0
               THEN 'synced_within_24h'
             ELSE 'synced_late' END AS rule
        FROM visit v WHERE {IN_MONTH} AND v.status != 'cancelled'""",
    met=("synced_within_24h",),
    missed=("synced_late",),
)
def visit_report_timeliness(db, user_id, month, now=None):
    """Report timeliness = visits synced within 24 h of check-out ÷ the month's checked-out visits.

    Synced: the server time the check-out arrived (check_out_at); the work: the device's
    check-out time (check_out_device_at).
    """
