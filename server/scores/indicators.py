"""Indicators: how a month's records of one person (or contractor) become a value 0..1.

Each indicator is one set-based query yielding a row per record considered: the person it
belongs to (`subject`), the contractor whose work it is (technicians' indicators),
`record_id`, `at` (the date or time that placed it in the month) and `rule`, a code naming
the rule that decided it. A rule is either *met* (scores 1), *missed* (scores 0) or neither
(the record is shown but not counted, e.g. not yet due). The value is the mean score of the
counted records (satisfaction: the mean rating ÷ 5); None when no record counts, and the
indicator is then left out of the weighting (formula.py).

The same query serves a whole month at once (GROUP BY subject: no per-person loop) and the
drill-down of one person (filtered by subject).

Returns: a record was returned when the `review` table (if present) or the audit log holds a
"return" of it, or its status is `returned` now.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from ..db import rows
from ..ids import now_utc
from . import months


@dataclass(frozen=True)
class Spec:
    """One indicator: its query, which rules count for and against, and its stated rule."""

    key: str
    role: str
    entity: str
    sql: str
    met: tuple[str, ...]
    missed: tuple[str, ...]
    doc: str
    score: str = ""  # SQL for a record's score from its rule; default: met 1, missed 0
    measure: Callable = field(default=None, compare=False)

    def score_sql(self) -> str:
        if self.score:
            return self.score
        # A simple CASE reads `rule` once: a flattened subquery's rule is not recomputed.
        cases = [f"WHEN '{r}' THEN 1.0" for r in self.met]
        cases += [f"WHEN '{r}' THEN 0.0" for r in self.missed]
        return f"CASE rule {' '.join(cases)} END"


REGISTRY: dict[str, Spec] = {}


def indicator(key: str, role: str, entity: str, sql: str, met, missed, score: str = ""):
    """Decorator: register an indicator; the function's docstring states its rule."""

    def decorator(fn):
        spec = Spec(key, role, entity, sql, tuple(met), tuple(missed), fn.__doc__.strip(), score)

        @wraps(fn)
        def measured(db, user_id: str, month: str, now: str | None = None):
            return measure(db, spec, month, subject=user_id, now=now)

        REGISTRY[key] = Spec(**{**spec.__dict__, "measure": measured})
        return measured

    return decorator


def for_role(role: str) -> list[Spec]:
    """The indicators of a role ("technician" also serves contractors), in order."""
    from . import account_managers, technicians  # noqa: F401  (they register themselves)

    return [s for s in REGISTRY.values() if s.role == role]


def get(key: str) -> Spec | None:
    """One indicator by key."""
    for_role("")
    return REGISTRY.get(key)


def returned(db, entity: str, alias: str) -> str:
    """SQL true when the record was ever returned by a reviewer."""
    found = [
        f"{alias}.status = 'returned'",
        f"EXISTS (SELECT 1 FROM audit_log ra WHERE ra.entity = '{entity}'"
        f" AND ra.entity_id = {alias}.id AND ra.action = 'return')",
    ]
    if _has_review_table(db):
        found.append(
            f"EXISTS (SELECT 1 FROM review rr WHERE rr.entity = '{entity}'"
            f" AND rr.entity_id = {alias}.id AND rr.action = 'return')"
        )
    return "(" + " OR ".join(found) + ")"


def _a_class_channels(db, month: str) -> str:
    """SQL list of the visit channels that count as an A-class visit in `month`, under the
    visit policy in force on its first day (server/visits/policy.py)."""
    from ..visits import policy as visit_policy

    rules = visit_policy.for_month(db, month)["rules"]
    return "(" + ", ".join(f"'{c}'" for c in visit_policy.channels_meeting(rules, "A")) + ")"


def _has_review_table(db) -> bool:
    columns = {r[1] for r in db.execute("PRAGMA table_info(review)").fetchall()}
    return {"entity", "entity_id", "action"} <= columns


def _scored(db, spec: Spec, month: str) -> str:
    inner = spec.sql.format(
        returned_visit=returned(db, "visit", "v"),
        returned_order=returned(db, "work_order", "wo"),
        a_class_channels=_a_class_channels(db, month),
    )
    return f"SELECT r.*, {spec.score_sql()} AS score FROM ({inner}) AS r"


def measure(db, spec: Spec, month: str, *, subject=None, contractor=None, now=None):
    """(value, records) of one person or contractor for a month; value None if none count."""
    period = months.parse(month)
    params = period.params(now or now_utc())
    column, params["who"] = ("contractor", contractor) if contractor else ("subject", subject)
    found = rows(
        db,
        f"SELECT * FROM ({_scored(db, spec, month)}) WHERE {column} = :who ORDER BY at, record_id",
        params,
    )
    counted = [r["score"] for r in found if r["score"] is not None]
    value = sum(counted) / len(counted) if counted else None
    return value, _with_refs(db, spec.entity, found)


def aggregate(db, spec: Spec, month: str, now=None) -> dict[str, dict[str, dict]]:
    """The indicator for everyone at once, by person and by contractor, in one grouped pass:
    {"subject": {id: {value, counted, met, records}}, "contractor": {id: {...}}}."""
    period = months.parse(month)
    sql = (
        "SELECT subject, contractor, coalesce(sum(score), 0) AS met, count(score) AS counted,"
        f" count(*) AS records FROM ({_scored(db, spec, month)}) GROUP BY subject, contractor"
    )
    totals: dict[str, dict] = {"subject": {}, "contractor": {}}
    for row in db.execute(sql, period.params(now or now_utc())).fetchall():
        for by in totals:
            if row[by] is not None:
                found = totals[by].setdefault(row[by], dict(met=0.0, counted=0, records=0))
                for name in found:
                    found[name] += row[name]
    for by in totals.values():
        for found in by.values():
            found["value"] = (
                round(found["met"] / found["counted"], 4) if found["counted"] else None
            )
            found["met"] = round(found["met"], 4)
    return totals


REFS = {
    "visit": "SELECT v.id, c.name AS ref FROM visit v JOIN customer c ON c.id = v.customer_id",
    "follow_up": "SELECT f.id, f.action || ' · ' || c.name AS ref FROM follow_up f"
    " JOIN customer c ON c.id = f.customer_id",
    "customer": "SELECT c.id, c.code || ' ' || c.name AS ref FROM customer c",
    "work_order": "SELECT wo.id, wo.code || coalesce(' · ' || s.name, '') AS ref"
    " FROM work_order wo LEFT JOIN site s ON s.id = wo.site_id",
}


def _with_refs(db, entity: str, found: list[dict]) -> list[dict]:
    """Name each record for people (customer, order code and site)."""
    refs = {}
    ids = [r["record_id"] for r in found]
    alias = REFS[entity].split(" FROM ")[1].split()[1]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in db.execute(f"{REFS[entity]} WHERE {alias}.id IN ({marks})", chunk):
            refs[row["id"]] = row["ref"]
    for record in found:
        record["entity"] = entity
        record["ref"] = refs.get(record["record_id"], "")
    return found
