"""Billing import: one month of per-customer figures from a CSV file.

The flow is the import engine's (server/imports): the file is decoded by server/csvio (UTF-8, BOM,
GB18030) and read with file line numbers; a dry run lists every bad row with its line and
reasons; the import is checked again and written in one transaction, all or nothing. Rows
are keyed by customer code and the month, not by a record of their own, so the checks are
set-based (one lookup of every customer in scope, one read of the month's current rows)
rather than the engine's per-row model calls: a month is 100,000 rows.

Re-importing a month replaces it (within the caller's scope): rows are added, changed, left
as they were, or removed, and the result says how many of each. The handset count of the
newest month updates the customer's handsets through the customer model, so the computed
class follows it and a manual override still wins (server/customers/model.py).
"""

import json
import re
from dataclasses import dataclass, field
from datetime import date

from .. import csvio, scope
from ..customers import model as customers
from ..db import rows
from ..ids import now_utc, uuid7
from ..imports.engine import Report, Row
from ..records import audit
from ..times import local_month

COLUMNS = (
    "customer",
    "arpu",
    "usage_minutes",
    "data_mb",
    "handsets",
    "contract_end",
    "products",
)
REQUIRED = ("customer", "arpu", "usage_minutes", "data_mb", "handsets", "products")
FIGURES = ("arpu", "usage_minutes", "data_mb", "handsets", "contract_end", "products")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
PRODUCT = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
PRODUCT_SPLIT = re.compile(r"[;|,\s]+")
MAX_ARPU = 1e9
MAX_COUNT = 10**9


def valid_month(text: str) -> bool:
    """A month as YYYY-MM."""
    return bool(MONTH.match(text or ""))


def month_error(text: str) -> str | None:
    """Why a month cannot be imported: not YYYY-MM, or after this (Beijing) month — a typo
    such as 2062-03 would otherwise become the newest month, set every customer's handsets
    and run the churn rules on it. None when it can."""
    if not valid_month(text):
        return "invalid_month"

    if text > local_month():
        return "month_in_future"
    return None


@dataclass
class Outcome:
    """What an import did (or, on a dry run, would do)."""

    month: str
    report: Report
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    class_changes: int = 0
    applied: bool = False
    import_id: str | None = None
    changed_codes: list[str] = field(default_factory=list)
    removed_codes: list[str] = field(default_factory=list)
    points: dict | None = None  # earn_month's answer after an import

    @property
    def ok(self) -> bool:
        return self.report.ok

    def summary(self) -> dict:
        return {
            "month": self.month,
            "rows": len(self.report.rows),
            "bad_rows": len(self.report.bad_rows),
            "added": self.added,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "class_changes": self.class_changes,
            "applied": self.applied,
        }


def _number(text: str, row: Row, column: str, integer: bool, limit: float):
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        row.errors.append((column, "invalid_integer" if integer else "invalid_number"))
        return None
    if not 0 <= value <= limit or value != value:  # NaN compares unequal to itself
        row.errors.append((column, "out_of_range"))
        return None
    return value


def _products(text: str, row: Row, seen: dict) -> str | None:
    if text in seen:  # a file repeats a few product combinations 100,000 times
        return seen[text]
    codes = [code for code in PRODUCT_SPLIT.split(text.strip()) if code]
    if not codes:
        row.errors.append(("products", "required"))
        return None
    if not all(PRODUCT.match(code) for code in codes):
        row.errors.append(("products", "invalid_product_code"))
        return None
    seen[text] = json.dumps(sorted(set(codes)))
    return seen[text]


def _contract_end(text: str, row: Row) -> str | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        row.errors.append(("contract_end", "invalid_date"))
        return None


def _customers(db, caller) -> tuple[dict, set]:
    """Every customer's code → (id, handsets), and the ids the caller may import for."""
    found = {
        r[0]: (r[1], r[2])
        for r in db.execute("SELECT code, id, handsets FROM customer WHERE deleted_at IS NULL")
    }
    if caller is None:  # the command line: every customer
        return found, {cid for cid, _h in found.values()}
    where, params = scope.customers(caller)
    sql = f"SELECT customer.id FROM customer WHERE customer.deleted_at IS NULL AND {where}"
    return found, {r[0] for r in db.execute(sql, params)}


def check(db, caller, month: str, text: str, customers=None) -> tuple[Report, list[tuple]]:
    """Dry-run a month's file: every row checked, nothing written.

    Returns the report and the clean rows as (customer_id, code, arpu, usage_minutes,
    data_mb, handsets, contract_end, products JSON) for the rows without errors.
    `caller` None means the command line (every customer); `customers` is _customers'
    answer when the caller has it already.
    """
    header, found = csvio.read(text)
    report = Report([], [])
    report.header_errors += [(name, "unknown_column") for name in header if name not in COLUMNS]
    report.header_errors += [(name, "duplicate") for name in set(header) if header.count(name) > 1]
    if header:
        report.header_errors += [(n, "missing_column") for n in REQUIRED if n not in header]
    if not found:
        report.header_errors.append(("", "empty_file"))
    if month_error(month):
        report.header_errors.append(("month", month_error(month)))
    codes, in_scope = customers or _customers(db, caller)
    seen: set[str] = set()
    products_seen: dict[str, str] = {}
    clean: list[tuple] = []
    for line, cells in found:
        code = cells.get("customer", "")
        row = Row(line, code, action="create")
        customer = codes.get(code)
        if not code:
            row.errors.append(("customer", "required"))
        elif customer is None:
            row.errors.append(("customer", "unknown_customer"))
        elif customer[0] not in in_scope:
            row.errors.append(("customer", "out_of_scope"))
        elif code in seen:
            row.errors.append(("customer", "duplicate_in_file"))
        seen.add(code)
        values = []
        for column, integer, limit in (
            ("arpu", False, MAX_ARPU),
            ("usage_minutes", True, MAX_COUNT),
            ("data_mb", False, MAX_ARPU),
            ("handsets", True, MAX_COUNT),
        ):
            cell = cells.get(column, "")
            if cell == "":
                row.errors.append((column, "required"))
                values.append(None)
            else:
                values.append(_number(cell, row, column, integer, limit))
        end = _contract_end(cells.get("contract_end", ""), row)
        products = _products(cells.get("products", ""), row, products_seen)
        report.rows.append(row)
        if not row.errors:
            row.record_id = customer[0]
            clean.append((customer[0], code, *values, end, products))
    return report, clean


def _classify_actions(db, month: str, clean: list[tuple], report: Report, in_scope: set) -> dict:
    """Mark each row added / changed / same against the month's current rows; return them."""
    current = {
        r[0]: tuple(r[1:])
        for r in db.execute(
            "SELECT customer_id, arpu, usage_minutes, data_mb, handsets, contract_end, products"
            " FROM billing_month WHERE month = ?",
            [month],
        )
    }
    by_id = {row.record_id: row for row in report.rows if not row.errors}
    for item in clean:
        before = current.get(item[0])
        row = by_id[item[0]]
        if before is None:
            row.action = "create"
        elif before != tuple(item[2:]):
            row.action = "update"
        else:
            row.action = "same"
    return {cid: figures for cid, figures in current.items() if cid in in_scope}


def import_month(
    db,
    caller,
    month: str,
    text: str,
    *,
    dry_run: bool = False,
    actor_id: str | None = None,
    filename: str = "",
    batch_id: str | None = None,
) -> Outcome:
    """Check a month's file and, unless a dry run or any row is bad, write it all at once.

    `caller` is the signed-in user (scope) or None for the command line; `actor_id` is who
    the writes are recorded as. The month's rows for customers in scope that the file no
    longer has are removed: the file replaces the month.
    """
    actor_id = actor_id if actor_id is not None else (caller.id if caller else None)
    customers = _customers(db, caller)
    in_scope = customers[1]
    report, clean = check(db, caller, month, text, customers)
    outcome = Outcome(month, report)
    if not report.ok:
        return outcome
    current = _classify_actions(db, month, clean, report, in_scope)
    in_file = {item[0] for item in clean}
    removed = [cid for cid in current if cid not in in_file]
    outcome.added = report.count("create")
    outcome.changed = report.count("update")
    outcome.unchanged = report.count("same")
    outcome.removed = len(removed)
    outcome.changed_codes = [row.code for row in report.rows if row.action == "update"][:200]
    if dry_run:
        return outcome
    # 100,000 inserts scattered over a primary key of (customer, month): a larger page cache
    # than SQLite's 2 MB default keeps the index pages in memory (about 64 MB at most).
    db.execute("PRAGMA cache_size = -65536")
    with db.atomic():
        outcome.import_id = uuid7()
        if removed:
            code_of = {
                r[0]: r[1]
                for r in db.execute(
                    "SELECT id, code FROM customer WHERE id IN"
                    " (SELECT customer_id FROM billing_month WHERE month = ?)",
                    [month],
                )
            }
            outcome.removed_codes = sorted(code_of.get(cid, cid) for cid in removed)[:200]
            db.conn.executemany(
                "DELETE FROM billing_month WHERE customer_id = ? AND month = ?",
                [(cid, month) for cid in removed],
            )
        db.conn.executemany(
            "INSERT OR REPLACE INTO billing_month (customer_id, month, arpu, usage_minutes,"
            " data_mb, handsets, contract_end, products, import_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(item[0], month, *item[2:], outcome.import_id) for item in clean],
        )
        outcome.class_changes = _follow_handsets(db, actor_id, month, clean)
        outcome.applied = True
        summary = outcome.summary()
        db.execute(
            "INSERT INTO billing_import (id, month, batch_id, filename, rows, added, changed,"
            " unchanged, removed, class_changes, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                outcome.import_id,
                month,
                batch_id,
                filename[:200],
                len(clean),
                outcome.added,
                outcome.changed,
                outcome.unchanged,
                outcome.removed,
                outcome.class_changes,
                now_utc(),
                actor_id,
            ],
        )
        audit(db, actor_id, "import", "billing_month", outcome.import_id, None, summary)
        outcome.points = _earn_points(db, month)
    return outcome


def _follow_handsets(db, actor_id, month: str, clean: list[tuple]) -> int:
    """The newest month's handset counts become the customers'; then every imported
    customer's class is recomputed from its handsets and its spend (which any month's
    figures change) under the class policy; an override still wins. Returns how many
    customers changed class."""
    before = {r[0]: r[1] for r in db.execute("SELECT id, customer_class FROM customer")}
    latest = db.execute("SELECT max(month) FROM billing_month").fetchone()[0]
    if month == latest:  # an older month corrects history, not today's handsets
        handsets = {r[0]: r[1] for r in db.execute("SELECT id, handsets FROM customer")}
        for item in clean:
            customer_id, count = item[0], item[5]
            if customer_id in handsets and handsets[customer_id] != count:
                customers.update_customer(db, actor_id, customer_id, {"handsets": count})
    customers.reclassify(db, actor_id, [item[0] for item in clean])
    after = {r[0]: r[1] for r in db.execute("SELECT id, customer_class FROM customer")}
    return sum(1 for item in clean if item[0] in before and after[item[0]] != before[item[0]])


def _earn_points(db, month: str) -> dict:
    """Points earned from the month's spend (server/points/ledger.py, docs/care.md)."""
    from ..points.ledger import earn_month

    return earn_month(db, month)


def history(db, caller, limit: int = 50) -> list[dict]:
    """The latest imports the caller may see, with who made them: a supervisor's are those
    of the users in their subtree and the command line's (every customer); admins see all."""
    where, params = scope.users(caller, "u")
    return rows(
        db,
        "SELECT i.*, u.display_name AS created_by_name FROM billing_import i"
        f" LEFT JOIN app_user u ON u.id = i.created_by WHERE (i.created_by IS NULL OR {where})"
        " ORDER BY i.created_at DESC LIMIT ?",
        [*params, limit],
    )


def months(db) -> list[str]:
    """The months with billing rows, newest first."""
    return [r[0] for r in db.execute("SELECT DISTINCT month FROM billing_month ORDER BY 1 DESC")]
