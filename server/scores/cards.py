"""Reading scorecards for supervisors' pages and exports, always within the caller's scope.

A person's card is in scope when the person is (scope.users); a team's or contractor's when
the organisation is (scope.orgs): a contractor's supervisor sees their contractor and its
technicians only.
"""

import json

from .. import scope
from ..db import one, rows
from ..ids import now_utc
from ..visits import policy as visit_policy
from . import compute, indicators, policy

PEOPLE = ("account_manager", "technician")
ORGS = ("team", "contractor")


def _decode(card: dict | None) -> dict | None:
    if card is not None:
        card["indicators"] = json.loads(card["indicators"])
    return card


def ranking(db, caller, month: str, role: str, limit=-1, offset=0) -> list[dict]:
    """The month's stored cards of one role in the caller's scope, best first, ranked
    (a page of them with limit/offset). Only a score above 0 is ranked: no score, or 0 (no
    applicable work met), gets no rank (they sort last, so the ranks stay 1, 2, …)."""
    if role in PEOPLE:
        where, params = scope.users(caller, "u")
        sql = (
            "SELECT s.*, u.display_name AS name, o.name AS org_name FROM scorecard s"
            " JOIN app_user u ON u.id = s.user_id JOIN org o ON o.id = u.org_id"
            f" WHERE s.month = ? AND s.role = ? AND {where}"
        )
    else:
        where, params = scope.orgs(caller, "o")
        sql = (
            "SELECT s.*, o.name AS name, p.name AS org_name FROM scorecard s"
            " JOIN org o ON o.id = s.org_id LEFT JOIN org p ON p.id = o.parent_id"
            f" WHERE s.month = ? AND s.role = ? AND {where}"
        )
    found = rows(
        db,
        f"{sql} ORDER BY s.score IS NULL, s.score DESC, name LIMIT ? OFFSET ?",
        [month, role, *params, limit, offset],
    )
    for n, card in enumerate(found, offset + 1):
        _decode(card)["rank"] = n if card["score"] else None
    return found


def count(db, caller, month: str, role: str) -> int:
    """How many cards of one role the caller may see for the month."""
    if role in PEOPLE:
        where, params = scope.users(caller, "u")
        join = "JOIN app_user u ON u.id = s.user_id"
    else:
        where, params = scope.orgs(caller, "o")
        join = "JOIN org o ON o.id = s.org_id"
    sql = f"SELECT count(*) FROM scorecard s {join} WHERE s.month = ? AND s.role = ? AND {where}"
    return db.execute(sql, [month, role, *params]).fetchone()[0]


def person(db, caller, user_id: str) -> dict | None:
    """A field user in the caller's scope, or None."""
    where, params = scope.users(caller, "app_user")
    return one(
        db,
        "SELECT app_user.id, app_user.display_name, app_user.role, app_user.org_id,"
        f" org.name AS org_name FROM app_user JOIN org ON org.id = app_user.org_id"
        f" WHERE app_user.id = ? AND app_user.role IN ('account_manager', 'technician')"
        f" AND {where}",
        [user_id, *params],
    )


def organisation(db, caller, org_id: str) -> dict | None:
    """A team or contractor in the caller's scope, or None."""
    where, params = scope.orgs(caller, "org")
    return one(
        db,
        f"SELECT * FROM org WHERE id = ? AND kind IN ('team', 'contractor') AND {where}",
        [org_id, *params],
    )


def stored(db, month: str, role: str, subject_id: str) -> dict | None:
    """The stored card of a person (by user id) or organisation (by org id)."""
    column = "user_id" if role in PEOPLE else "org_id"
    return _decode(
        one(
            db,
            f"SELECT * FROM scorecard WHERE month = ? AND role = ? AND {column} = ?",
            [month, role, subject_id],
        )
    )


def live(db, role: str, subject_id: str, month: str, now=None) -> dict:
    """A person's or contractor's card computed now (when none is stored yet)."""
    basis = "technician" if role == "contractor" else role
    rule = policy.in_force(db, basis, month)
    found = {}
    for spec in indicators.for_role(basis):
        who = {"contractor": subject_id} if role == "contractor" else {"subject": subject_id}
        value, records = indicators.measure(db, spec, month, now=now or now_utc(), **who)
        counted = [r["score"] for r in records if r["score"] is not None]
        found[spec.key] = dict(
            value=round(value, 4) if value is not None else None,
            counted=len(counted),
            met=round(sum(counted), 4),
            records=len(records),
        )
    visits_rule = visit_policy.for_month(db, month)["version"]
    score, parts = compute.breakdown(found, rule["weights"], visits_rule)
    return dict(score=score, indicators=parts, policy_version=rule["version"], computed_at=None)


def members(db, caller, team_id: str, month: str) -> list[dict]:
    """A team's members with their stored cards of the month (None when not computed)."""
    where, params = scope.users(caller, "u")
    return rows(
        db,
        "SELECT u.id, u.display_name AS name, u.role, s.score FROM app_user u"
        " LEFT JOIN scorecard s ON s.user_id = u.id AND s.month = ?"
        " WHERE u.org_id = ? AND u.role IN ('account_manager', 'technician') AND u.active = 1"
        f" AND {where} ORDER BY s.score IS NULL, s.score DESC, u.display_name",
        [month, team_id, *params],
    )


def export_rows(db, caller, month: str) -> tuple[list[str], list[dict]]:
    """CSV columns and rows: every card of the month in scope, indicator values in %."""
    keys = [s.key for role in PEOPLE for s in indicators.for_role(role)]
    columns = ["month", "kind", "name", "organisation", "rank", "score", "policy_version", *keys]
    out = []
    for role in (*PEOPLE, *ORGS):
        for card in ranking(db, caller, month, role):
            record = dict(
                month=month,
                kind=role,
                name=card["name"],
                organisation=card["org_name"],
                rank=card["rank"],
                score=card["score"],
                policy_version=card["policy_version"],
            )
            for key, part in card["indicators"].items():
                if isinstance(part, dict) and part.get("value") is not None:
                    record[key] = round(100 * part["value"], 1)
            out.append(record)
    return columns, out
