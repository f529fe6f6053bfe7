"""The supervisor's home: the counts that matter today, each a link to its filtered list.

Every count comes from the owning domain's own query, scoped to the caller (their org
subtree; an admin everything): the review queue (reviews/queue.py) by how long a record has
waited, the dispatch board's SLA filters (work_orders/board.py), the visit policy's overdue
customers (visits/policy.py), sync health's unsent-work flag (sync_health/model.py) and the
conflicts inbox (reviews/inbox.py). The home page runs these; its template runs no query.
"""

from datetime import date, datetime, timedelta

from flask import url_for

from ..db import one
from ..reviews import inbox, queue
from ..scope import Caller
from ..sync_health import model as sync_health
from ..times import day_start_utc, local_date, to_stored
from ..visits.policy import overdue_in_scope
from ..work_orders import board

DUE_SOON_MINUTES = 240  # "due within 4 hours" (ours)
OLD_REVIEW_DAYS = 3  # waiting more than 3 days is "older" (ours)


def _count(db, sql: str, params: list) -> int:
    return one(db, f"SELECT count(*) AS n FROM ({sql})", params)["n"]


def _reviews(db, caller: Caller, tz: str, today: date) -> list[dict]:
    sql, params = queue.query(db, caller, {"state": "pending"}, tz)
    today_start = day_start_utc(today, tz)
    old_start = day_start_utc(today, tz, -OLD_REVIEW_DAYS)
    found = one(
        db,
        "SELECT coalesce(sum(waiting_since >= ?), 0) AS today,"
        " coalesce(sum(waiting_since < ? AND waiting_since >= ?), 0) AS recent,"
        f" coalesce(sum(waiting_since < ?), 0) AS older FROM ({sql})",
        [today_start, today_start, old_start, old_start, *params],
    )

    def day(n: int) -> str:
        return (today - timedelta(days=n)).isoformat()

    links = {
        "today": url_for("reviews.index", day_from=day(0)),
        "recent": url_for("reviews.index", day_from=day(OLD_REVIEW_DAYS), day_to=day(1)),
        "older": url_for("reviews.index", day_to=day(OLD_REVIEW_DAYS + 1)),
    }
    return [{"key": f"reviews_{k}", "count": found[k], "url": links[k]} for k in links]


def _orders(db, caller: Caller, tz: str, now: str) -> list[dict]:
    breached = {"status": "open", "sla": "breached"}
    soon = {"status": "open", "sla": "due_soon", "within": str(DUE_SOON_MINUTES)}
    return [
        {
            "key": key,
            "count": _count(db, *board.query(db, caller, filters, now, tz)),
            "url": url_for(
                "work_orders.index", **{k: v for k, v in filters.items() if k != "status"}
            ),
        }
        for key, filters in (("sla_breached", breached), ("due_soon", soon))
    ]


def _devices(db, caller: Caller, moment: datetime) -> dict:
    sql, params = sync_health.query(caller, {}, moment)
    return {
        "key": "devices_unsent",
        "count": _count(db, f"SELECT 1 FROM ({sql}) WHERE flag_unsynced", params),
        "url": url_for("sync_health.index", problems="1"),
    }


def counts(db, caller: Caller, moment: datetime, tz: str) -> list[dict]:
    """The home's tiles in order: {key, count, url}. `moment` is now (aware), `tz` the
    reader's zone for the review days."""
    now = to_stored(moment)
    today = local_date(now, tz)
    tiles = _reviews(db, caller, tz, today)
    tiles += _orders(db, caller, tz, now)
    tiles.append(
        {
            "key": "customers_overdue",
            "count": len(overdue_in_scope(db, caller, now)),
            "url": url_for("customers.index", overdue="1"),
        }
    )
    tiles.append(_devices(db, caller, moment))
    tiles.append(
        {
            "key": "conflicts",
            "count": _count(db, *inbox.query(caller)),
            "url": url_for("reviews.conflicts.index"),
        }
    )
    return tiles
