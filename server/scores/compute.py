"""A month's scores for everyone at once, stored in `scorecard` for pages and devices.

Set-based: one grouped query per indicator (indicators.aggregate), then the weighting in
Python per person. Cards whose result did not change are not rewritten, so a recompute
sends devices only what moved.
"""

import json

from sync.changes import log_change

from ..db import rows
from ..ids import now_utc, uuid7
from ..records import audit
from ..visits import policy as visit_policy
from . import formula, indicators, months, policy
from .sync import card_keys


def _people(db, role: str, org_path: str | None) -> list[dict]:
    sql = "SELECT u.id, u.org_id FROM app_user u JOIN org o ON o.id = u.org_id WHERE u.role = ?"
    params = [role]
    if org_path:
        sql += " AND o.path >= ? AND o.path < ?"
        params += [org_path, org_path + "\uffff"]
    return rows(db, sql + " AND u.active = 1", params)


def _orgs(db, kind: str, org_path: str | None) -> list[dict]:
    sql, params = "SELECT id FROM org WHERE kind = ? AND deleted_at IS NULL", [kind]
    if org_path:
        sql += " AND path >= ? AND path < ?"
        params += [org_path, org_path + "\uffff"]
    return rows(db, sql, params)


# Indicators that follow the visit policy (server/visits/policy.py): their part of a card
# keeps the version in force on the month's first day, as the card keeps its weights'.
VISIT_POLICY_INDICATORS = ("a_class_coverage",)


def breakdown(found: dict, weights: dict, visit_policy_version=None) -> tuple[float | None, dict]:
    """Score and per-indicator parts from {key: {value, counted, met, records}}."""
    score, parts = formula.weighted({k: f.get("value") for k, f in found.items()}, weights)
    for key, part in parts.items():
        part.update({n: found[key].get(n, 0) for n in ("counted", "met", "records")})
        if key in VISIT_POLICY_INDICATORS and visit_policy_version is not None:
            part["visit_policy_version"] = visit_policy_version
    return score, parts


def _cards(db, role, subjects, passes, month, by="subject", card_role=None, rule=None):
    """Score each subject ({id, org_id}) with the role's indicators and policy in force
    (or `rule`, a stored version)."""
    rule = rule or policy.in_force(db, role, month)
    visits_rule = visit_policy.for_month(db, month)["version"]
    measured = {key: found[by] for key, found in passes.items()}
    cards = []
    for subject in subjects:
        found = {k: measured[k].get(subject["id"], {}) for k in measured}
        score, parts = breakdown(found, rule["weights"], visits_rule)
        cards.append(
            dict(
                role=card_role or role,
                user_id=subject["id"] if card_role is None else None,
                org_id=subject.get("org_id", subject["id"]),
                score=score,
                indicators=parts,
                policy_version=rule["version"],
            )
        )
    return cards


def _teams(db, person_cards: list[dict], org_path) -> list[dict]:
    members: dict[str, list] = {}
    for card in person_cards:
        members.setdefault(card["org_id"], []).append(card["score"])
    cards = []
    for team in _orgs(db, "team", org_path):
        scores = members.get(team["id"], [])
        cards.append(
            dict(
                role="team",
                user_id=None,
                org_id=team["id"],
                score=formula.mean_score(scores),
                indicators={"members": len(scores), "scored": sum(s is not None for s in scores)},
                policy_version=None,
            )
        )
    return cards


def stored_versions(db, month: str) -> dict[str, dict]:
    """The weights versions the month's stored cards were scored with, per policy role (the
    lowest when cards differ; contractors' cards count for the technician policy)."""
    found = db.execute(
        "SELECT CASE role WHEN 'contractor' THEN 'technician' ELSE role END AS basis,"
        " min(policy_version) FROM scorecard WHERE month = ? AND policy_version IS NOT NULL"
        " AND role IN ('account_manager', 'technician', 'contractor') GROUP BY basis",
        [month],
    ).fetchall()
    return {basis: policy.version(db, basis, number) for basis, number in found}


def compute_month(
    db, month: str, org_id: str | None = None, now=None, actor_id=None, keep_versions=False
) -> dict:
    """Compute and store the month's scorecards (of `org_id`'s subtree, else everyone).

    Account managers and technicians: weighted indicators (formula.weighted). Contractors:
    the technicians' indicators over all of the contractor's orders, with the technician
    policy. Teams: the mean of their members' scores (formula.mean_score). With
    `keep_versions` (a recompute), a role whose cards are stored already is scored with the
    version those cards carry, not the one in force now.
    Returns counts: {cards, changed}.
    """
    if months.parse(month) is None:
        raise ValueError(f"not a month: {month!r}")
    now = now or now_utc()
    path = None
    if org_id:
        path = db.execute("SELECT path FROM org WHERE id = ?", [org_id]).fetchone()[0]
    # One grouped pass per indicator serves both people and contractors.
    passes = {
        role: {s.key: indicators.aggregate(db, s, month, now) for s in indicators.for_role(role)}
        for role in policy.ROLES
    }
    kept = stored_versions(db, month) if keep_versions else {}
    people = []
    for role in policy.ROLES:
        people += _cards(
            db, role, _people(db, role, path), passes[role], month, rule=kept.get(role)
        )
    contractors = _cards(
        db,
        "technician",
        _orgs(db, "contractor", path),
        passes["technician"],
        month,
        "contractor",
        "contractor",
        rule=kept.get("technician"),
    )
    cards = people + contractors + _teams(db, people, path)
    changed = _store(db, month, cards, now)
    audit(
        db,
        actor_id,
        "compute",
        "scorecard",
        month,
        None,
        {"cards": len(cards), "changed": changed},
    )
    return {"cards": len(cards), "changed": changed}


def _key(card: dict) -> tuple:
    return (card["role"], card["user_id"] or card["org_id"])


def _store(db, month: str, cards: list[dict], at: str) -> int:
    existing = {
        _key(r): r
        for r in rows(
            db,
            "SELECT id, role, user_id, org_id, score, indicators, policy_version FROM scorecard"
            " WHERE month = ?",
            [month],
        )
    }
    changed = 0
    with db.atomic():
        for card in cards:
            card["indicators"] = json.dumps(card["indicators"], sort_keys=True)
            old = existing.get(_key(card))
            same = ("org_id", "score", "indicators", "policy_version")
            if old and all(old[k] == card[k] for k in same):
                continue
            changed += 1
            row_id = old["id"] if old else uuid7()
            keys = card_keys(db, card)
            # Only people's cards replicate to devices; teams' and contractors' stay here.
            version = log_change(db, "scorecard", row_id, at, keys) if card["user_id"] else 0
            values = dict(card, month=month, computed_at=at, updated_at=at, version=version)
            if old:
                sets = ", ".join(f"[{k}] = :{k}" for k in values)
                db.execute(f"UPDATE scorecard SET {sets} WHERE id = :id", {**values, "id": row_id})
            else:
                values.update(id=row_id, created_at=at)
                names = ", ".join(values)
                marks = ", ".join(f":{k}" for k in values)
                db.execute(f"INSERT INTO scorecard ({names}) VALUES ({marks})", values)
    return changed


def month_range(first: str, last: str) -> list[str]:
    """The months first..last ("YYYY-MM"), in order; empty when last is before first."""
    out, month = [], first
    while month <= last:
        out.append(month)
        year, number = int(month[:4]), int(month[5:])
        month = f"{year + 1}-01" if number == 12 else f"{year}-{number + 1:02d}"
    return out


def recompute(db, first: str, last: str, now=None, actor_id=None) -> dict:
    """Correct stored scores after the SLA clocks by work type (docs/scores.md).

    First the orders dispatched since `first` began that still carry fault clocks without
    being fault repairs get their type's deadline (work_orders.sla.restamp: audited and
    synced); then every month first..last is computed again, each role with the weights
    version its stored cards carry (months without cards: the version in force). Returns
    {orders, months: {month: {cards, changed}}}.
    """
    from ..work_orders import sla

    start = months.parse(first)
    if start is None or months.parse(last) is None:
        raise ValueError(f"not a month: {first!r} / {last!r}")
    orders = sla.restamp(db, start.start, actor_id)
    done = {
        month: compute_month(db, month, now=now, actor_id=actor_id, keep_versions=True)
        for month in month_range(first, last)
    }
    return {"orders": orders, "months": done}
