"""Covering indexes for the monthly indicators; m024_score_indexes makes them.

Each indicator walks one month of visits or work orders by a date (check_in_at,
planned_date, arrival_due_at, restore_due_at, resolved_at). With m008's one-column indexes
SQLite finds the month's rows in the index and then reads every row from the table: the
month's ~40,000 orders and ~40,000 visits lie scattered over the 250 MB work_order and
160 MB visit tables (ids are random, so rows are not stored in date order), so each of the
twelve passes reads tens of thousands of random pages, and SQLite's 2 MB page cache keeps
none of them for the next pass (bench/scores.py: 670,000 page reads, 2.6 GB through read(),
per month). These indexes start with the same date and carry every column the indicators
read, so a pass reads one contiguous index range and never the table ("USING COVERING
INDEX" in EXPLAIN QUERY PLAN); first_time_fix's look for a repeat fault at the same site
within 7 days is covered the same way. They make m008's visit_planned,
work_order_arrival_due, work_order_restore_due and work_order_resolved redundant (same
leading columns): the migration drops those (m003's work_order_site too would be, but the
dispatch board names it with INDEXED BY, so it stays). On the
bench's data set they take about 480 MB (1.46 GB before).

The migration (server/migrations.py m024_score_indexes) holds the same statements literally,
and drops the five one-column indexes they make redundant. bench/scores.py can still create
them on a copy of an older data set (IF NOT EXISTS: a no-op once the migration has).
"""

_STATEMENTS = (
    # satisfaction, visit_review_pass, visit_report_timeliness (and the coverage's month)
    "CREATE INDEX IF NOT EXISTS visit_scores_check_in ON visit(check_in_at, deleted_at,"
    " status, account_manager_id, id, satisfaction, check_out_at, check_out_device_at)",
    # visit_plan_completion
    "CREATE INDEX IF NOT EXISTS visit_scores_planned ON visit(planned_date, deleted_at,"
    " status, account_manager_id, id)",
    # sla_arrival
    "CREATE INDEX IF NOT EXISTS work_order_scores_arrival ON work_order(arrival_due_at,"
    " deleted_at, wo_type, status, on_site_at, assignee_id, assigned_org_id, id)",
    # sla_restore
    "CREATE INDEX IF NOT EXISTS work_order_scores_restore ON work_order(restore_due_at,"
    " deleted_at, wo_type, status, resolved_at, assignee_id, assigned_org_id, id)",
    # first_time_fix, order_review_pass, order_report_timeliness
    "CREATE INDEX IF NOT EXISTS work_order_scores_resolved ON work_order(resolved_at,"
    " deleted_at, wo_type, status, assignee_id, assigned_org_id, id, site_id, submitted_at)",
    # first_time_fix's repeat check: another fault repair at the site within 7 days
    "CREATE INDEX IF NOT EXISTS work_order_scores_repeat ON work_order(site_id, created_at,"
    " wo_type, status, deleted_at, id)",
)


def INDEXES() -> tuple[str, ...]:
    """The CREATE INDEX statements the scores need (for a migration; see the module doc)."""
    return _STATEMENTS


def create(db) -> None:
    """Create them (bench/scores.py on its copy; a migration would run the same SQL)."""
    for statement in INDEXES():
        db.execute(statement)
