"""Versioned, admin-editable policies: one home for what every policy table shares.

A policy table (visit_policy, score_policy, class_policy, churn_policy, points_policy,
sla_policy, sla_due_policy) holds one row per version (or, for the SLA tables, one row per
grade or band of a version): `id`, `version`, the rules (a JSON column, or plain columns),
usually `effective_from`, a `note`, `created_at` and `created_by`. Versions are never
changed; saving makes the next one, audited. The version in force at a time is the latest
`effective_from` ≤ it (the higher version on a tie), so a later edit never rewrites what an
earlier month or order was counted with. Each domain declares its table as a `Policy` and
keeps its own rules (what a version holds, how its form is read) next to it. The page
helpers are in server/policy_views.py, the history table in templates/shared/_policy.html.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

from .db import one, rows
from .ids import now_utc, uuid7
from .records import audit


@dataclass(frozen=True)
class Policy:
    """One policy table. `rules` names its JSON column (None: plain columns); `defaults`
    fill keys a stored version lacks; versions are numbered within the `numbered_by`
    columns (score weights: per role); `newest` orders the candidates for `in_force`;
    `id_prefix`, when set, names a version's row `<prefix><version>` instead of a UUID."""

    table: str
    rules: str | None = "rules"
    defaults: dict | None = None
    numbered_by: tuple[str, ...] = ()
    newest: str = "effective_from DESC, version DESC"
    id_prefix: str | None = None

    def load(self, row: dict | None) -> dict | None:
        """A stored row with its rules read from JSON (over the defaults); None stays None."""
        if row is None or self.rules is None:
            return row
        stored = json.loads(row[self.rules])
        return {**row, self.rules: {**self.defaults, **stored} if self.defaults else stored}

    def in_force(self, db, at: str, **where) -> dict | None:
        """The version in force at `at` (a day, a month or a stored time, compared as text
        with `effective_from`) among the rows matching `where` (column=value); None if none."""
        clause, params = _where(where, "effective_from <= ?")
        return self.load(
            one(
                db,
                f"SELECT * FROM {self.table}{clause} ORDER BY {self.newest} LIMIT 1",
                [*params, at],
            )
        )

    def latest(self, db, **where) -> dict | None:
        """The newest version (the highest number) among the rows matching `where`."""
        clause, params = _where(where)
        return self.load(
            one(db, f"SELECT * FROM {self.table}{clause} ORDER BY version DESC LIMIT 1", params)
        )

    def history(self, db) -> list[dict]:
        """Every version, newest first (by its numbering columns first), with who saved it
        (`created_by_name`)."""
        order = "".join(f"p.{column}, " for column in self.numbered_by)
        found = rows(
            db,
            f"SELECT p.*, u.display_name AS created_by_name FROM {self.table} p"
            f" LEFT JOIN app_user u ON u.id = p.created_by ORDER BY {order}p.version DESC",
        )
        return [self.load(r) for r in found]

    def next_version(self, db, **where) -> int:
        """The number the next version among the rows matching `where` gets (1 for the first)."""
        clause, params = _where(where)
        latest = db.execute(
            f"SELECT coalesce(max(version), 0) FROM {self.table}{clause}", params
        ).fetchone()[0]
        return latest + 1

    def insert(self, db, version: int, actor_id, values: dict) -> str:
        """Write one row of `version` (its rules column as JSON), stamped now and by the actor;
        return its id. Call it inside a write transaction."""
        row_id = f"{self.id_prefix}{version}" if self.id_prefix else uuid7()
        stored = {
            k: json.dumps(v, ensure_ascii=False) if k == self.rules else v
            for k, v in values.items()
        }
        columns = {"id": row_id, "version": version, **stored}
        columns |= {"created_at": now_utc(), "created_by": actor_id}
        db.execute(
            f"INSERT INTO {self.table} ({', '.join(columns)})"
            f" VALUES ({', '.join('?' * len(columns))})",
            list(columns.values()),
        )
        return row_id

    def save(self, db, actor_id, values: dict, after: Callable[[int], dict] | None = None) -> int:
        """Store `values` as the next version (numbered within its `numbered_by` columns) and
        return it, audited with `after(version)`: by default the version, the rules and the
        first day in force ("from")."""
        with db.atomic():
            version = self.next_version(db, **{c: values[c] for c in self.numbered_by})
            row_id = self.insert(db, version, actor_id, values)
            if after is None:
                entry = {"version": version, self.rules: values[self.rules]}
                entry["from"] = values["effective_from"]
            else:
                entry = after(version)
            audit(db, actor_id, "create", self.table, row_id, None, entry)
        return version


def _where(where: dict, *more: str) -> tuple[str, list]:
    """` WHERE a = ? AND b = ? AND <more>` (empty for no condition) and the parameters of
    `where`; its column names come from code, never from a request."""
    conditions = [f"{column} = ?" for column in where] + list(more)
    clause = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return clause, list(where.values())


def note(form, limit: int = 200) -> str:
    """A new version's note: trimmed, at most `limit` characters."""
    return str(form.get("note") or "").strip()[:limit]


def month_error(month: str | None, current: str) -> str | None:
    """What is wrong with an effective month ("YYYY-MM"; None when the text is not a month):
    'invalid_month', or 'policy_in_past' before the `current` month (months already counted
    keep the version they were counted with); None when it will do."""
    if month is None:
        return "invalid_month"
    if month < current:
        return "policy_in_past"
    return None


def first_day(month, current: str, errors: dict, key: str = "effective_month") -> str | None:
    """The first day of the effective month a form gives (`month`: a parsed month with `.text`
    and `.first`, server/scores/months.py; None when the text was not one), or None with its
    `month_error` put in `errors` under `key`."""
    if error := month_error(month and month.text, current):
        errors[key] = error
        return None
    return month.first


def number(raw: str | None, low: float, high: float) -> tuple[int | float | None, str | None]:
    """A number typed into a policy form, and its error: 'required' when blank,
    'invalid_number' when not a number (the value is None), 'out_of_range' outside
    low..high (the value is still given). A whole number comes back as an int."""
    raw = (raw or "").strip()
    try:
        value = float(raw)
    except ValueError:
        return None, "invalid_number" if raw else "required"
    value = int(value) if value.is_integer() else value
    return value, None if low <= value <= high else "out_of_range"
