"""Reminder rules: each finds, set-based, the reminders due now. A reminder is
(user, kind, subject, occasion): the occasion says which time it is about, so the same
thing happening again (a new deadline, another return) is a new reminder, and finding
it again is not.

`now` is always passed in (an aware UTC datetime), so tests can run the clock.
"""

import json
from datetime import date, datetime, timedelta

from .. import times
from ..db import one, rows
from ..visits import policy as visit_policy
from ..work_orders.statuses import BEFORE_ARRIVAL, RUNNING

OPEN_BEFORE_ARRIVAL = BEFORE_ARRIVAL
OPEN = RUNNING


def urgent(order: dict, grades) -> bool:
    """Faults of the top grades (diamond and gold by default) are sent in quiet hours too."""
    return order["wo_type"] == "fault_repair" and order["sla_grade"] in grades


def _marks(values) -> str:
    return ",".join("?" * len(values))


def _reminder(user_id, kind, subject_id, occasion, url, params, expires_at, is_urgent=False):
    return {
        "user_id": user_id,
        "kind": kind,
        "subject_id": subject_id,
        "occasion": occasion,
        "url": url,
        "params": json.dumps(params, ensure_ascii=False),
        "expires_at": expires_at,
        "urgent": int(is_urgent),
    }


def _latest_return(db, entity: str, entity_id: str) -> str | None:
    found = one(
        db,
        "SELECT id FROM review WHERE entity = ? AND entity_id = ? AND action = 'return'"
        " ORDER BY at DESC LIMIT 1",
        [entity, entity_id],
    )
    return found["id"] if found else None


def changed_orders(db, order_ids: list[str], expires_at: str, grades) -> list[dict]:
    """New or reassigned orders (to their technician) and orders returned for rework."""
    found = []
    for start in range(0, len(order_ids), 500):
        chunk = order_ids[start : start + 500]
        found += rows(
            db,
            "SELECT w.id, w.code, w.title, w.wo_type, w.status, w.sla_grade, w.assignee_id,"
            " w.return_reason FROM work_order w JOIN app_user u ON u.id = w.assignee_id"
            f" WHERE w.id IN ({_marks(chunk)}) AND w.deleted_at IS NULL AND u.active = 1",
            chunk,
        )
    out = []
    for order in found:
        url = f"/m/orders/{order['id']}"
        params = {"code": order["code"], "title": order["title"] or order["code"]}
        if order["status"] == "dispatched":
            # The occasion is the technician: a reassignment tells the new one.
            out.append(
                _reminder(
                    order["assignee_id"],
                    "work_order_assigned",
                    order["id"],
                    order["assignee_id"],
                    url,
                    params,
                    expires_at,
                    urgent(order, grades),
                )
            )
        elif order["status"] == "returned":
            occasion = _latest_return(db, "work_order", order["id"]) or order["return_reason"]
            params = {"what": order["code"], "reason": order["return_reason"] or ""}
            out.append(
                _reminder(
                    order["assignee_id"],
                    "rework",
                    order["id"],
                    occasion or "",
                    url,
                    params,
                    expires_at,
                )
            )
    return out


def converted_reports(db, order_ids: list[str], expires_at: str) -> list[dict]:
    """Exception reports converted into an order, to their reporter (the occasion is the
    new order: a report is converted once)."""
    out = []
    for start in range(0, len(order_ids), 500):
        chunk = order_ids[start : start + 500]
        for report in rows(
            db,
            "SELECT r.id, r.code, r.title, r.reported_by, n.id AS order_id, n.code AS order_code,"
            " n.wo_type AS order_type FROM work_order r"
            " JOIN work_order n ON n.id = r.converted_to_id"
            " JOIN app_user u ON u.id = r.reported_by"
            f" WHERE r.id IN ({_marks(chunk)}) AND r.wo_type = 'exception_report'"
            " AND r.deleted_at IS NULL AND u.active = 1",
            chunk,
        ):
            params = {
                "code": report["order_code"],
                "title": report["title"] or report["code"],
                "type": report["order_type"],
            }
            out.append(
                _reminder(
                    report["reported_by"],
                    "report_converted",
                    report["id"],
                    report["order_id"],
                    f"/m/orders/{report['order_id']}",
                    params,
                    expires_at,
                )
            )
    return out


def changed_visits(db, visit_ids: list[str], expires_at: str) -> list[dict]:
    """Visits returned for rework, to their account manager."""
    out = []
    for start in range(0, len(visit_ids), 500):
        chunk = visit_ids[start : start + 500]
        for visit in rows(
            db,
            "SELECT v.id, v.account_manager_id, v.return_reason, c.name AS customer"
            " FROM visit v JOIN customer c ON c.id = v.customer_id"
            " JOIN app_user u ON u.id = v.account_manager_id"
            f" WHERE v.id IN ({_marks(chunk)}) AND v.status = 'returned'"
            " AND v.deleted_at IS NULL AND u.active = 1",
            chunk,
        ):
            occasion = _latest_return(db, "visit", visit["id"]) or visit["return_reason"] or ""
            params = {"what": visit["customer"], "reason": visit["return_reason"] or ""}
            out.append(
                _reminder(
                    visit["account_manager_id"],
                    "rework",
                    visit["id"],
                    occasion,
                    f"/m/visits/{visit['id']}",
                    params,
                    expires_at,
                )
            )
    return out


def sla_warnings(db, now: datetime, lead: timedelta, grades) -> list[dict]:
    """Open orders whose arrival (before arriving) or restore deadline falls within the lead."""
    start, end = times.to_stored(now), times.to_stored(now + lead)
    out = []
    for kind, column, statuses in (
        ("sla_arrival", "arrival_due_at", OPEN_BEFORE_ARRIVAL),
        ("sla_restore", "restore_due_at", OPEN),
    ):
        arrived = "w.on_site_at IS NULL AND " if kind == "sla_arrival" else ""
        for order in rows(
            db,
            f"SELECT w.id, w.code, w.title, w.wo_type, w.sla_grade, w.assignee_id,"
            f" w.{column} AS due_at FROM work_order w JOIN app_user u ON u.id = w.assignee_id"
            f" WHERE w.{column} > ? AND w.{column} <= ? AND {arrived}"
            f" w.status IN ({_marks(statuses)}) AND w.resolved_at IS NULL"
            " AND w.deleted_at IS NULL AND u.active = 1",
            [start, end, *statuses],
        ):
            params = {
                "code": order["code"],
                "title": order["title"] or "",
                "due_at": order["due_at"],
                "wo_type": order["wo_type"],
            }
            out.append(
                _reminder(
                    order["assignee_id"],
                    kind,
                    order["id"],
                    order["due_at"],
                    f"/m/orders/{order['id']}",
                    params,
                    order["due_at"],
                    urgent(order, grades),
                )
            )
    return out


def visits_tomorrow(db, zone_name: str, tomorrow: date, expires_at: str) -> list[dict]:
    """One digest per account manager (in this time zone) of the visits planned tomorrow."""
    by_user: dict[str, list[dict]] = {}
    for visit in rows(
        db,
        "SELECT v.id, v.account_manager_id, c.name AS customer FROM visit v"
        " JOIN app_user u ON u.id = v.account_manager_id JOIN customer c ON c.id = v.customer_id"
        " WHERE v.planned_date = ? AND v.status = 'planned' AND v.deleted_at IS NULL"
        " AND u.active = 1 AND u.timezone = ? ORDER BY c.name",
        [tomorrow.isoformat(), zone_name],
    ):
        by_user.setdefault(visit["account_manager_id"], []).append(visit)
    out = []
    for user_id, visits in by_user.items():
        url = f"/m/visits/{visits[0]['id']}" if len(visits) == 1 else "/m/"
        params = {
            "n": len(visits),
            "day": tomorrow.isoformat(),
            "customers": [v["customer"] for v in visits[:5]],
        }
        out.append(
            _reminder(
                user_id, "visits_tomorrow", user_id, tomorrow.isoformat(), url, params, expires_at
            )
        )
    return out


def customers_overdue(db, zone_name: str, today: date, week: str, expires_at: str) -> list[dict]:
    """A weekly digest per account manager of their customers overdue under the visit policy
    in force today (server/visits/policy.py: any requirement of the class past due)."""
    by_user: dict[str, list[str]] = {}
    where = (
        "c.deleted_at IS NULL AND EXISTS (SELECT 1 FROM app_user u WHERE"
        " u.id = c.account_manager_id AND u.active = 1 AND u.timezone = ?)"
    )
    zone = times.zone(zone_name)
    for customer in visit_policy.customers_with_overdue(db, where, [zone_name], today, zone):
        if customer["overdue"]:
            by_user.setdefault(customer["account_manager_id"], []).append(customer["name"])
    return [
        _reminder(
            user_id,
            "customers_overdue",
            user_id,
            week,
            "/m/customers?overdue=1",
            {"n": len(names), "customers": names[:5]},
            expires_at,
        )
        for user_id, names in by_user.items()
    ]


def _occurrence(stored: str | None, today: date, days: int) -> date | None:
    """This year's (or next year's) anniversary of a stored date if it falls in the window."""
    try:
        original = date.fromisoformat(stored or "")
    except ValueError:
        return None
    for year in (today.year, today.year + 1):
        try:
            candidate = original.replace(year=year)
        except ValueError:  # 29 February in a common year: the 28th
            candidate = date(year, 2, 28)
        if today <= candidate <= today + timedelta(days=days):
            return candidate
    return None


def key_dates(db, zone_name: str, today: date, days: int, expires_at: str) -> list[dict]:
    """Contacts' birthdays and key dates within the next `days`, to the account manager."""
    out = []
    for contact in rows(
        db,
        "SELECT k.id, k.name, k.birthday, k.key_dates, c.id AS customer_id,"
        " c.name AS customer, c.account_manager_id FROM contact k"
        " JOIN customer c ON c.id = k.customer_id JOIN app_user u ON u.id = c.account_manager_id"
        " WHERE k.deleted_at IS NULL AND c.deleted_at IS NULL AND u.active = 1"
        " AND u.timezone = ? AND (k.birthday IS NOT NULL OR k.key_dates NOT IN ('', '[]'))",
        [zone_name],
    ):
        dates = [("birthday", contact["birthday"])]
        try:
            dates += [
                (d.get("label", ""), d.get("date")) for d in json.loads(contact["key_dates"])
            ]
        except (ValueError, TypeError, AttributeError):
            pass
        for label, stored in dates:
            day = _occurrence(stored, today, days)
            if day is None or not label:
                continue
            params = {
                "contact": contact["name"],
                "customer": contact["customer"],
                "label": label,
                "day": day.isoformat(),
            }
            out.append(
                _reminder(
                    contact["account_manager_id"],
                    "key_date",
                    contact["id"],
                    f"{day.isoformat()}:{label}",
                    f"/m/customers/{contact['customer_id']}",
                    params,
                    expires_at,
                )
            )
    return out


def follow_ups_due(db, zone_name: str, today: date, expires_at: str) -> list[dict]:
    """Open follow-ups falling due today (local), one reminder each, to the account manager
    (in this time zone): the occasion is the due day, so a follow-up is announced once."""
    out = []
    for f in rows(
        db,
        "SELECT f.id, f.account_manager_id, f.action, f.due_date, c.name AS customer"
        " FROM follow_up f JOIN app_user u ON u.id = f.account_manager_id"
        " JOIN customer c ON c.id = f.customer_id"
        " WHERE f.due_date = ? AND f.done_at IS NULL AND f.deleted_at IS NULL"
        " AND u.active = 1 AND u.timezone = ? ORDER BY f.id",
        [today.isoformat(), zone_name],
    ):
        params = {"action": f["action"], "customer": f["customer"], "day": f["due_date"]}
        out.append(
            _reminder(
                f["account_manager_id"],
                "follow_up_due",
                f["id"],
                f["due_date"],
                "/m/",
                params,
                expires_at,
            )
        )
    return out
