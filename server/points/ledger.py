"""The customer points ledger (大客户积分): append-only rows, the balance is their sum.

- earn: points from a month's spend (billing_month.arpu, yuan) at the policy's rate for
  that month, rounded down. `earn_month` keeps each customer's earn rows of a month summing
  to what the month's figures give now: a re-import that changes the spend appends a
  correcting earn row (the difference, with the old and new figures), a re-run that changes
  nothing appends nothing, a customer dropped from the month gets the month taken back.
- adjust: staff add or take off points, with a reason.
- redeem: points spent, with a reason; never more than the balance.
Rows are never updated or deleted (triggers in m013_care_points refuse both).
"""

import json

from ..db import rows, write_lock
from ..ids import now_utc, uuid7
from . import policy

READERS = ("account_manager", "supervisor", "admin")  # see a balance, redeem
ADJUSTERS = ("supervisor", "admin")  # adjust with a reason
HISTORY_ON_CUSTOMER_PAGE = 10


class Overdraw(ValueError):
    """A redemption larger than the balance."""


def balance(db, customer_id: str) -> int:
    """The customer's points now."""
    return db.execute(
        "SELECT coalesce(sum(points), 0) FROM points_entry WHERE customer_id = ?", [customer_id]
    ).fetchone()[0]


def qualifying(db, customer_id: str) -> int:
    """Points that count for the level: earned and adjusted (redemptions do not count)."""
    return db.execute(
        "SELECT coalesce(sum(points), 0) FROM points_entry WHERE customer_id = ?"
        " AND kind IN ('earn', 'adjust')",
        [customer_id],
    ).fetchone()[0]


def history(db, customer_id: str, limit: int | None = None) -> list[dict]:
    """Ledger rows, newest first, with who wrote them and a running balance after each."""
    found = rows(
        db,
        "SELECT points_entry.*, app_user.display_name AS actor_name FROM points_entry"
        " LEFT JOIN app_user ON app_user.id = points_entry.actor_id"
        " WHERE customer_id = ? ORDER BY points_entry.created_at, points_entry.rowid",
        [customer_id],
    )
    running = 0
    for row in found:
        running += row["points"]
        row["balance_after"] = running
        row["basis"] = json.loads(row["basis"]) if row["basis"] else None
    found.reverse()
    return found[:limit] if limit else found


def summary(db, customer_id: str) -> dict:
    """Balance, qualifying points, level reached and the next one (policy in force now)."""
    current = policy.in_force(db, now_utc()[:7])
    points = qualifying(db, customer_id)
    reached, following = policy.level_of(current["rules"]["levels"], points)
    return {
        "balance": balance(db, customer_id),
        "qualifying": points,
        "level": reached,
        "next_level": following,
        "policy_version": current["version"],
    }


class EntryTaken(ValueError):
    """The entry id is already used by a different entry."""


def add(db, actor_id, customer_id: str, kind: str, points: int, reason: str, row_id=None) -> dict:
    """Append an adjust (±points) or redeem (points > 0, stored negative) row.

    The balance check and the insert share one write transaction, so two redemptions at
    once cannot both spend the same points. `row_id` (the form's entry id) makes a repeated
    submit of the same form (a double click, a resent request) append nothing: the row
    already stored is returned with "already" set.
    """
    if kind not in ("adjust", "redeem"):
        raise ValueError(kind)
    delta = -points if kind == "redeem" else points
    row = {
        "id": row_id or uuid7(),
        "customer_id": customer_id,
        "kind": kind,
        "points": delta,
        "reason": reason,
        "actor_id": actor_id,
        "created_at": now_utc(),
    }
    with write_lock(db):
        stored = db.execute(
            "SELECT customer_id, kind, points FROM points_entry WHERE id = ?", [row["id"]]
        ).fetchone()
        if stored is not None:
            if tuple(stored) != (customer_id, kind, delta):
                raise EntryTaken(row["id"])
            return {**row, "already": True}
        if kind == "redeem" and balance(db, customer_id) < points:
            raise Overdraw(customer_id)
        db.execute(
            "INSERT INTO points_entry (id, customer_id, kind, points, reason, actor_id,"
            " created_at) VALUES (:id, :customer_id, :kind, :points, :reason, :actor_id,"
            " :created_at)",
            row,
        )
        db.execute(
            "INSERT INTO audit_log (at, user_id, action, entity, entity_id, before, after)"
            " VALUES (?, ?, ?, 'points_entry', ?, NULL, ?)",
            [row["created_at"], actor_id, kind, row["id"], json.dumps(row, ensure_ascii=False)],
        )
    return row


_INSERT = """
INSERT INTO points_entry (id, customer_id, kind, points, month, policy_version, basis,
    reason, actor_id, created_at)
SELECT 'earn:' || :month || ':' || customer_id || ':' || (earned_rows + 1), customer_id,
    'earn', target - earned, :month, :version,
    json_object('arpu', arpu, 'points_per_yuan', :rate, 'month_points', target,
        'before', earned),
    CASE WHEN earned_rows = 0 THEN '' ELSE 'recomputed' END, :actor, :at
FROM ({rows}) WHERE target != earned ORDER BY customer_id
"""
_TARGET = "CAST(round(arpu * :rate, 6) AS INTEGER)"
# A month earned for the first time: straight from its figures (no join, no sort).
FIRST_SQL = _INSERT.format(
    rows=f"SELECT customer_id, arpu, {_TARGET} AS target, 0 AS earned, 0 AS earned_rows"
    " FROM billing_month WHERE month = :month"
)
# A month earned before: the figures against the earn rows, per customer (one grouping of
# both; a customer no longer in the month has its points taken back).
AGAIN_SQL = _INSERT.format(
    rows="SELECT customer_id, max(arpu) AS arpu, sum(target) AS target, sum(earned) AS earned,"
    " sum(earned_rows) AS earned_rows FROM ("
    f" SELECT customer_id, arpu, {_TARGET} AS target, 0 AS earned, 0 AS earned_rows"
    " FROM billing_month WHERE month = :month"
    " UNION ALL"
    " SELECT customer_id, NULL, 0, sum(points), count(*) FROM points_entry"
    " WHERE kind = 'earn' AND month = :month GROUP BY customer_id"
    ") GROUP BY customer_id"
)


def earn_month(db, month: str, actor_id=None) -> dict:
    """(Re)compute the month's earn rows for every customer from billing_month; idempotent.

    Returns {month, policy_version, entries (rows appended), corrected (of them, changes
    to a month that had earned before), customers (with figures this month)}.
    """
    current = policy.in_force(db, month)
    rate = float(current["rules"]["points_per_yuan"])
    params = {
        "month": month,
        "version": current["version"],
        "rate": rate,
        "actor": actor_id,
        "at": now_utc(),
    }
    with db.atomic():
        before = db.execute("SELECT coalesce(max(rowid), 0) FROM points_entry").fetchone()[0]
        earned_before = db.execute(
            "SELECT 1 FROM points_entry WHERE kind = 'earn' AND month = ? LIMIT 1", [month]
        ).fetchone()
        entries = db.execute(AGAIN_SQL if earned_before else FIRST_SQL, params).rowcount
        corrected = db.execute(
            "SELECT count(*) FROM points_entry WHERE rowid > ? AND reason = 'recomputed'",
            [before],
        ).fetchone()[0]
    customers = db.execute(
        "SELECT count(*) FROM billing_month WHERE month = ?", [month]
    ).fetchone()[0]
    return {
        "month": month,
        "policy_version": current["version"],
        "entries": entries,
        "corrected": corrected,
        "customers": customers,
    }


def customer_section(db, caller, customer_id: str) -> dict:
    """What the customer page shows of points (the page itself is already scoped): the
    balance and level, the latest entries, and what the caller may do there."""
    return {
        **summary(db, customer_id),
        "history": history(db, customer_id, HISTORY_ON_CUSTOMER_PAGE),
        "may_redeem": caller.role in READERS,
        "may_adjust": caller.role in ADJUSTERS,
    }
