"""Technicians' indicators (维护人员); the same queries pooled by contractor score contractors.

An order is the work of its assignee (`assignee_id`), and of a contractor when that
technician belongs to one (else when the order was dispatched to one): "contractor scores
are the sum of their technicians' work", so a contractor's indicator is computed over all
of its orders together, not averaged over people. Cancelled orders are shown, not counted.
A returned-then-approved order counts as completed, fails the review pass rate and
first-time fix, and is judged for timeliness on its first submission.
"""

from ..db import sql_in
from ..times import sql_local_day, sql_to_stored
from ..work_orders.statuses import APPROVED, REPORTED
from .indicators import indicator

ORDERS = """work_order wo
    LEFT JOIN app_user au ON au.id = wo.assignee_id
    LEFT JOIN org uo ON uo.id = au.org_id AND uo.kind = 'contractor'
    LEFT JOIN org ao ON ao.id = wo.assigned_org_id AND ao.kind = 'contractor'"""
WHO = "wo.assignee_id AS subject, coalesce(uo.id, ao.id) AS contractor, wo.id AS record_id"
# Stored times are compared as text; this normalises an expression to their format.
INSPECTION_DUE = f"coalesce(substr(wo.plan_period, 12, 10), {sql_local_day('wo.restore_due_at')})"


# The types whose single due time order_on_time judges (work_orders/sla.py); inspections'
# due dates are inspection_completion's.
DUE_TIME_TYPES = "('on_demand', 'accompanying', 'rectification')"


def _sla(due: str, done: str, verb: str, types: str = "('fault_repair')") -> str:
    return f"""SELECT {WHO}, wo.{due} AS at,
        CASE WHEN wo.status = 'cancelled' THEN 'cancelled'
             WHEN wo.{done} IS NOT NULL AND julianday(wo.{done}) <= julianday(wo.{due})
               THEN '{verb}_on_time'
             WHEN wo.{done} IS NOT NULL THEN '{verb}_late'
             WHEN wo.{due} > :now THEN 'not_yet_due'
             ELSE 'not_{verb}_past_due' END AS rule
        FROM {ORDERS}
        WHERE wo.deleted_at IS NULL AND wo.{due} >= :start AND wo.{due} < :end
          AND wo.wo_type IN {types}"""


@indicator(
    "sla_arrival",
    "technician",
    "work_order",
    _sla("arrival_due_at", "on_site_at", "arrived"),
    met=("arrived_on_time",),
    missed=("arrived_late", "not_arrived_past_due"),
)
def sla_arrival(db, user_id, month, now=None):
    """SLA on-time arrival = fault repairs with on_site_at ≤ arrival_due_at ÷ fault repairs
    whose arrival is due in the month.

    Only fault repairs have an arrival clock (the SLA policy by work type). on_site_at is
    the first arrival (rework does not move it). Not arrived and past due:
    missed; not arrived and not yet due: not counted.
    """


@indicator(
    "sla_restore",
    "technician",
    "work_order",
    _sla("restore_due_at", "resolved_at", "restored"),
    met=("restored_on_time",),
    missed=("restored_late", "not_restored_past_due"),
)
def sla_restore(db, user_id, month, now=None):
    """SLA on-time restore = fault repairs with resolved_at ≤ restore_due_at ÷ fault repairs
    whose restore is due in the month.

    Only fault repairs have a restore clock; other types' due times are order_on_time's and
    inspection_completion's. resolved_at is the first resolution. Not restored and past
    due: missed.
    """


@indicator(
    "order_on_time",
    "technician",
    "work_order",
    _sla("restore_due_at", "resolved_at", "done", DUE_TIME_TYPES),
    met=("done_on_time",),
    missed=("done_late", "not_done_past_due"),
)
def order_on_time(db, user_id, month, now=None):
    """Due-time orders on time = on-demand, accompanying and rectification orders with
    resolved_at ≤ their due time ÷ those orders due in the month.

    The due time was set at dispatch (the supervisor's, else the policy's minutes for the
    grade; a rectification's by its severity). resolved_at is the first resolution (the job
    done). Not done and past due: missed; not done and not yet due: not counted.
    """


@indicator(
    "inspection_completion",
    "technician",
    "work_order",
    f"""SELECT {WHO}, {INSPECTION_DUE} AS at,
        CASE WHEN wo.status = 'cancelled' THEN 'cancelled'
             WHEN wo.status IN {sql_in(REPORTED)} THEN 'completed'
             WHEN {INSPECTION_DUE} >= :today THEN 'not_yet_due'
             ELSE 'not_completed' END AS rule
        FROM {ORDERS}
        WHERE wo.wo_type = 'inspection' AND wo.deleted_at IS NULL
          AND {INSPECTION_DUE} BETWEEN :first AND :last""",
    met=("completed",),
    missed=("not_completed",),
)
def inspection_completion(db, user_id, month, now=None):
    """Inspection completion = inspection orders submitted ÷ inspection orders due in the month.

    Due: the last day of the plan period (else the local day of its due time, restore_due_at,
    for an inspection dispatched outside a plan). Submitted
    means handed in: submitted, approved, closed, or returned for rework.
    """


@indicator(
    "first_time_fix",
    "technician",
    "work_order",
    f"""SELECT {WHO}, wo.resolved_at AS at,
        CASE WHEN wo.status = 'cancelled' THEN 'cancelled'
             WHEN wo.site_id IS NOT NULL AND EXISTS (SELECT 1 FROM work_order n
               WHERE n.site_id = wo.site_id AND n.created_at > {sql_to_stored("wo.resolved_at")}
                 AND n.created_at <= {sql_to_stored("wo.resolved_at, '+7 days'")}
                 AND n.wo_type = 'fault_repair' AND n.id != wo.id
                 AND n.status != 'cancelled' AND n.deleted_at IS NULL)
               THEN 'repeat_fault_within_7_days'
             WHEN {{returned_order}} THEN 'returned'
             WHEN julianday(wo.resolved_at) + 7 > julianday(:now) THEN 'watch_period_open'
             ELSE 'fixed_first_time' END AS rule
        FROM {ORDERS}
        WHERE wo.wo_type = 'fault_repair' AND wo.deleted_at IS NULL
          AND wo.resolved_at >= :start AND wo.resolved_at < :end""",
    met=("fixed_first_time",),
    missed=("repeat_fault_within_7_days", "returned"),
)
def first_time_fix(db, user_id, month, now=None):
    """First-time fix = fault repairs resolved in the month that were neither followed by another
    fault repair at the same site within 7 days nor returned ÷ fault repairs resolved.

    "Followed": another (not cancelled) fault repair at the site was created on the server
    within 7 days after the resolution. A repair whose 7 days have not passed yet (and no
    repeat so far) is not counted: recompute the month after the 7th of the next.
    """


@indicator(
    "order_review_pass",
    "technician",
    "work_order",
    f"""SELECT {WHO}, wo.resolved_at AS at,
        CASE WHEN wo.status = 'cancelled' THEN 'cancelled'
             WHEN {{returned_order}} THEN 'returned'
             WHEN wo.status IN {sql_in(APPROVED)} THEN 'approved_first_time'
             WHEN wo.status = 'submitted' THEN 'awaiting_review'
             ELSE 'not_submitted' END AS rule
        FROM {ORDERS}
        WHERE wo.deleted_at IS NULL AND wo.resolved_at >= :start AND wo.resolved_at < :end""",
    met=("approved_first_time",),
    missed=("returned",),
)
def order_review_pass(db, user_id, month, now=None):
    """Review pass rate = orders approved without a return ÷ the reviewed orders resolved in the
    month.

    Returned at any time (even if approved later): missed; not reviewed yet: not counted.
    """


@indicator(
    "order_report_timeliness",
    "technician",
    "work_order",
    f"""SELECT subject, contractor, record_id, at,
        CASE WHEN status = 'cancelled' THEN 'cancelled'
             WHEN first_submit IS NULL AND julianday(:now) - julianday(at) > 1.0
               THEN 'not_submitted_late'
             WHEN first_submit IS NULL THEN 'not_yet_due'
             WHEN julianday(first_submit) - julianday(at) <= 1.0 THEN 'submitted_within_24h'
             ELSE 'submitted_late' END AS rule
        FROM (SELECT {WHO}, wo.resolved_at AS at, wo.status,
          coalesce((SELECT min(e.server_at) FROM work_order_event e
            WHERE e.work_order_id = wo.id AND e.to_status = 'submitted'), wo.submitted_at)
            AS first_submit
          FROM {ORDERS}
          WHERE wo.deleted_at IS NULL AND wo.resolved_at >= :start AND wo.resolved_at < :end)""",
    met=("submitted_within_24h",),
    missed=("submitted_late", "not_submitted_late"),
)
def order_report_timeliness(db, user_id, month, now=None):
    """Report timeliness = orders whose report reached the server within 24 h of resolution ÷
    orders resolved in the month.

    The first submission counts (server time of its event, else submitted_at), so rework
    after a return does not make a report late. Not submitted after 24 h: missed.
    """
