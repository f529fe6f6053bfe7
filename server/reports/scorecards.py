"""What a monthly scorecard report prints: a person's or contractor's indicators with
weights, shares and contributions, or a team's members; the rank; a small bar chart.

Rank is the card's place among the month's stored cards of the same kind (account
managers, technicians, teams or contractors) in the whole organisation, best first, ties
sharing a place: the same number whoever prints it.
"""

from ..db import one, rows
from ..scope import Caller
from ..scores import cards
from .records import stamp

# The batch prints every card of a month: it reads as an administrator would.
SYSTEM = Caller(id="", role="admin", org_id="", org_path="/", org_kind="province")
KINDS = ("account_manager", "technician", "team", "contractor")


def rank(db, card: dict | None) -> dict | None:
    """{place, of} among the month's scored cards of the card's kind; None without a score."""
    if not card or card.get("score") is None or not card.get("month"):
        return None
    found = one(
        db,
        "SELECT sum(score > :s) + 1 AS place, count(*) AS total FROM scorecard"
        " WHERE month = :m AND role = :r AND score IS NOT NULL AND deleted_at IS NULL",
        {"s": card["score"], "m": card["month"], "r": card["role"]},
    )
    return {"place": found["place"], "of": found["total"]}


def _bars(card: dict) -> list[dict]:
    """Chart rows: each indicator's value in % (None when it does not apply)."""
    out = []
    for key, part in card["indicators"].items():
        value = part.get("value") if isinstance(part, dict) else None
        out.append(dict(key=key, pct=None if value is None else round(100 * value, 1)))
    return out


def _stamp(db, card: dict | None, subject_id: str, org_id: str) -> dict:
    if card and card.get("id"):
        return stamp(db, "scorecard", card["id"], card["version"], org_id)
    return stamp(db, "scorecard", subject_id, None, org_id)


def person_report(db, caller, who: dict, month: str) -> dict:
    """A person's card (from scores.cards.person, in the caller's scope) for the month."""
    card = cards.stored(db, month, who["role"], who["id"])
    if card is None:
        card = cards.live(db, who["role"], who["id"], month)
    return dict(
        kind=who["role"],
        month=month,
        subject=dict(name=who["display_name"], org_name=who["org_name"], id=who["id"]),
        card=card,
        rank=rank(db, card),
        bars=_bars(card),
        record=_stamp(db, card, who["id"], who["org_id"]),
    )


def org_report(db, caller, org: dict, month: str) -> dict:
    """A team's or contractor's card (from scores.cards.organisation) for the month."""
    card = cards.stored(db, month, org["kind"], org["id"])
    members = []
    if org["kind"] == "team":
        members = cards.members(db, caller, org["id"], month)
    elif card is None:
        card = cards.live(db, "contractor", org["id"], month)
    return dict(
        kind=org["kind"],
        month=month,
        subject=dict(name=org["name"], org_name="", id=org["id"]),
        card=card,
        rank=rank(db, card),
        bars=_bars(card) if card and org["kind"] == "contractor" else [],
        members=members,
        record=_stamp(db, card, org["id"], org["id"]),
    )


def month_cards(db, month: str, org_path: str | None = None) -> list[dict]:
    """Every stored card of a month (in an organisation's subtree when given), for the batch:
    [{id, role, subject_id, name}] in a stable order."""
    sql = (
        "SELECT s.id, s.role, coalesce(s.user_id, s.org_id) AS subject_id,"
        " coalesce(u.username, o.code) AS name FROM scorecard s"
        " JOIN org o ON o.id = s.org_id LEFT JOIN app_user u ON u.id = s.user_id"
        " WHERE s.month = ? AND s.deleted_at IS NULL"
    )
    params = [month]
    if org_path:
        sql += " AND o.path >= ? AND o.path < ?"
        params += [org_path, org_path + "\uffff"]
    return rows(db, sql + " ORDER BY s.role, name, s.id", params)


def subject(db, role: str, subject_id: str, caller=SYSTEM) -> dict | None:
    """The person or organisation a card belongs to, in the caller's scope."""
    if role in cards.PEOPLE:
        return cards.person(db, caller, subject_id)
    return cards.organisation(db, caller, subject_id)


def report(db, role: str, subject_id: str, month: str, caller=SYSTEM) -> dict | None:
    """Context of any card's report by kind and subject (the batch's entry point)."""
    found = subject(db, role, subject_id, caller)
    if found is None:
        return None
    if role in cards.PEOPLE:
        return person_report(db, caller, found, month)
    return org_report(db, caller, found, month)
