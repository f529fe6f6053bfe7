"""The dispatch board: orders in the caller's scope, filtered, most urgent first.

Urgency: orders with a running SLA clock first, by that clock's deadline (a fault repair's
arrival until the technician is on site, then restore; another type's due time), earliest
first, so overdue orders lead; then open orders without a running clock (resolved,
submitted, approved, returned, exception reports); then closed and cancelled ones; newest
first within a group. The index work_order_board (migration m004, rebuilt by m022 with the
due-time fallback) holds exactly these expressions and the filter columns, so a page walks
the index in order and stops after one row more than it shows: no count, no sort of all
orders. Low-cardinality filters are written `+column = ?` so SQLite filters them on that
walk instead of choosing their own index and sorting everything it finds.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from .. import scope, times
from ..auth import model as users
from ..db import like, rows, sql_in
from ..fields import check_filters, left_out
from ..scope import Caller
from . import rules, sla, statuses

RUNNING = sql_in(statuses.RUNNING)
RANK = (
    f"(CASE WHEN work_order.status IN {RUNNING} AND work_order.restore_due_at IS NOT NULL"
    f" THEN 0 WHEN work_order.status IN {sql_in(statuses.FINISHED)} THEN 2 ELSE 1 END)"
)
# Fault repairs: arrival until on site, then restore; other types have their due time only.
DUE = (
    f"(CASE WHEN work_order.status IN {RUNNING} THEN coalesce(CASE WHEN work_order.on_site_at"
    " IS NULL THEN work_order.arrival_due_at END, work_order.restore_due_at) END)"
)
ORDER_BY = f"{RANK}, {DUE}, work_order.created_at DESC, work_order.id DESC"
# Status filters: a set of statuses as a range of the rank (an index range), or one status.
STATUS_SETS = {"open": (0, 1), "all": (0, 2)}
STATUS_RANK = {s: (2 if s in statuses.FINISHED else 1) for s in rules.STATUSES}
SLA_FILTERS = ("breached", "due_soon")
CLOCKS = (
    ("response_due_at", "accepted_at"),
    ("arrival_due_at", "on_site_at"),
    ("restore_due_at", "resolved_at"),
)
FILTER_KEYS = (
    "status",
    "wo_type",
    "sla_grade",
    "assigned_org",
    "assignee",
    "sla",
    "within",
    "q",
    "day_from",
    "day_to",
)
DEFAULT_WITHIN = 60
SITE_MATCHES = 200

SELECT_FMT = """
    SELECT work_order.*, site.code AS site_code, site.name AS site_name,
           assignee.display_name AS assignee_name, team.name AS team_name,
           team.kind AS team_kind
    FROM work_order{index}
    LEFT JOIN site ON site.id = work_order.site_id
    LEFT JOIN app_user assignee ON assignee.id = work_order.assignee_id
    LEFT JOIN org team ON team.id = work_order.assigned_org_id
    WHERE work_order.deleted_at IS NULL
"""
SELECT = SELECT_FMT.format(index="")


def assignable_orgs(db, caller: Caller) -> list[dict]:
    """Teams and contractors in the caller's scope (to filter by or dispatch to)."""
    where, params = scope.orgs(caller)
    sql = (
        "SELECT id, code, name, kind FROM org"
        f" WHERE kind IN ('team', 'contractor') AND {where} ORDER BY kind DESC, code"
    )
    return rows(db, sql, params)


def technicians(db, caller: Caller) -> list[dict]:
    """Active technicians in the caller's scope, with their organisation."""
    return users.people(db, caller, ["technician"], active=True, by_org=True)


def filter_choices(db, caller: Caller, org_id: str, user_id: str) -> tuple[dict, dict]:
    """The team/contractor and technician a filter names, if in the caller's scope, as
    {id: row} (one-row lookups: validating a filter needs no option lists)."""
    orgs_where, p1 = scope.orgs(caller)
    users_where, p2 = scope.users(caller)
    org = rows(
        db,
        f"SELECT id, name, kind FROM org WHERE id = ? AND kind IN ('team', 'contractor')"
        f" AND {orgs_where}",
        [org_id, *p1],
    )
    tech = rows(
        db,
        "SELECT app_user.id, app_user.display_name, org.name AS org_name FROM app_user"
        " JOIN org ON org.id = app_user.org_id WHERE app_user.id = ?"
        f" AND app_user.role = 'technician' AND app_user.active = 1 AND {users_where}",
        [user_id, *p2],
    )
    return {r["id"]: r for r in org}, {r["id"]: r for r in tech}


def _day(value: str, errors: dict, key: str) -> None:
    if value:
        try:
            date.fromisoformat(value)
        except ValueError:
            errors[key] = "invalid_date"


def validate_filters(args, org_ids, user_ids) -> tuple[dict, dict]:
    """Read the board's filters (status defaults to open); a bad value is reported, dropped."""
    clean = {key: (args.get(key) or "").strip() for key in FILTER_KEYS}
    clean["status"] = clean["status"] or "open"
    errors: dict = {}
    allowed = {
        "status": (*STATUS_SETS, *rules.STATUSES),
        "wo_type": rules.TYPES,
        "sla_grade": sla.GRADES,
        "assigned_org": org_ids,
        "assignee": user_ids,
        "sla": SLA_FILTERS,
    }
    check_filters(clean, errors, allowed)
    within = clean["within"]
    if within and not (within.isascii() and within.isdigit() and 0 < int(within) <= 10080):
        errors["within"] = "out_of_range"
    for key in ("day_from", "day_to"):
        _day(clean[key], errors, key)
    clean = left_out(clean, errors)
    clean["status"] = clean["status"] or "open"
    return clean, errors


def breached_sql(now_param: list) -> tuple[str, list]:
    """Any clock breached, as sla.state() says: done late, or not done and past due."""
    terms, params = [], []
    for due, done in CLOCKS:
        terms.append(
            f"(work_order.{due} IS NOT NULL AND (work_order.{done} > work_order.{due}"
            f" OR (work_order.{done} IS NULL AND work_order.status != 'cancelled'"
            f" AND work_order.{due} < ?)))"
        )
        params += now_param
    return "(" + " OR ".join(terms) + ")", params


def _due_soon_sql(now: str, soon: str) -> tuple[str, list]:
    terms = [
        f"(work_order.{done} IS NULL AND work_order.{due} >= ? AND work_order.{due} <= ?)"
        for due, done in CLOCKS
    ]
    # A running clock means a running status: the rank range lets the index do the work.
    return f" AND {RANK} < 1 AND (" + " OR ".join(terms) + ")", [now, soon] * 3


def _status_sql(status: str) -> tuple[str, list]:
    if status in STATUS_SETS:
        low, high = STATUS_SETS[status]
        return f" AND {RANK} >= ? AND {RANK} <= ?", [low, high]
    rank = STATUS_RANK[status]
    low = 0 if rank == 1 else rank  # a running status may sit in rank 0 or 1
    return f" AND {RANK} >= ? AND {RANK} <= ? AND +work_order.status = ?", [low, rank, status]


def _search_sql(db, q: str) -> tuple[str, list]:
    if q.upper().startswith("WO-"):
        prefix = q.upper()
        return " AND work_order.code >= ? AND work_order.code < ?", [prefix, prefix + "~"]
    # The matching sites first, as a list of values: with a few of them SQLite reads their
    # orders by the site index and sorts those, instead of walking every order in board order.
    found = db.execute(
        "SELECT id FROM site WHERE code LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' LIMIT ?",
        [like(q), like(q), SITE_MATCHES + 1],
    ).fetchall()
    if len(found) > SITE_MATCHES:  # a broad term: many orders match, the board walk is quick
        return (
            " AND work_order.site_id IN (SELECT s.id FROM site s"
            " WHERE s.code LIKE ? ESCAPE '\\' OR s.name LIKE ? ESCAPE '\\')",
            [like(q), like(q)],
        )
    ids = [r[0] for r in found]
    return f" AND work_order.site_id IN ({', '.join('?' * len(ids)) or 'NULL'})", ids


def _index(filters: dict, search: tuple[str, list] | None) -> str:
    """The index a page walks, named: without statistics SQLite would rather read a
    supervisor's whole scope through the org indexes (an OR of two lists) and sort it."""
    if filters.get("assignee"):
        return " INDEXED BY work_order_assignee"
    if search and "work_order.code >=" in search[0]:
        return " INDEXED BY sqlite_autoindex_work_order_2"  # UNIQUE (code)
    if search and "SELECT s.id" not in search[0]:
        return " INDEXED BY work_order_site"
    return " INDEXED BY work_order_board"


def query(db, caller: Caller, filters: dict, now: str, tz: str) -> tuple[str, list]:
    """(sql, params) of the board rows the caller may see that match clean filters.

    `now` (stored UTC format) is the instant for the SLA filters; days are in zone `tz`.
    """
    search = _search_sql(db, filters["q"]) if filters.get("q") else None
    where, params = scope.work_orders(caller)
    sql, params = f"{SELECT_FMT.format(index=_index(filters, search))} AND {where}", list(params)

    def add(clause: str, more: list) -> None:
        nonlocal sql
        sql += clause
        params.extend(more)

    add(*_status_sql(filters.get("status") or "open"))
    for key, column in (
        ("wo_type", "+work_order.wo_type"),
        ("sla_grade", "+work_order.sla_grade"),
        ("assigned_org", "+work_order.assigned_org_id"),
        ("assignee", "work_order.assignee_id"),
    ):
        if filters.get(key):
            add(f" AND {column} = ?", [filters[key]])
    if filters.get("sla") == "breached":
        clause, more = breached_sql([now])
        add(f" AND {clause}", more)
    elif filters.get("sla") == "due_soon":
        minutes = int(filters.get("within") or DEFAULT_WITHIN)
        add(
            *_due_soon_sql(
                now, times.to_stored(times.from_stored(now) + timedelta(minutes=minutes))
            )
        )
    if search:
        add(*search)
    if filters.get("day_from"):
        add(" AND work_order.created_at >= ?", [times.day_start_utc(filters["day_from"], tz)])
    if filters.get("day_to"):
        add(" AND work_order.created_at < ?", [times.day_start_utc(filters["day_to"], tz, 1)])
    return sql, params


@dataclass
class BoardPage:
    """One page of the board: its rows, its number, whether another follows (no count)."""

    items: list
    number: int
    size: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.number > 1


def page(db, query_: tuple[str, list], number: int, size: int, now: str) -> BoardPage:
    """Rows of one page in board order, each with its SLA clocks' state at `now`."""
    sql, params = query_
    found = rows(
        db,
        f"{sql} ORDER BY {ORDER_BY} LIMIT ? OFFSET ?",
        [*params, size + 1, (number - 1) * size],
    )
    for row in found:
        row["sla"] = sla.state(row, now)
    return BoardPage(found[:size], number, size, len(found) > size)


def all_rows(db, query_: tuple[str, list], now: str) -> list[dict]:
    """Every row of a board query in board order (for the CSV export)."""
    sql, params = query_
    found = rows(db, f"{sql} ORDER BY {ORDER_BY}", params)
    for row in found:
        row["sla"] = sla.state(row, now)
    return found


def explain(db, query_: tuple[str, list], size: int = 25) -> list[str]:
    """The query plan of a board page (to check it walks an index, not a sort of all)."""
    sql, params = query_
    plan = db.execute(
        f"EXPLAIN QUERY PLAN {sql} ORDER BY {ORDER_BY} LIMIT ? OFFSET 0", [*params, size + 1]
    ).fetchall()
    return [r[3] for r in plan]
