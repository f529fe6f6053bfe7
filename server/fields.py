"""Checks shared by record validators: text, whole numbers, coordinates, flags, references.

Each check reads one raw value (from a form or a CSV cell, so text or already typed), records
an error code in `errors` under the field's name when it is wrong, and returns the clean value.
"""

from .db import like, one
from .scope import Caller, customers, orgs, sites

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "on", "是"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "n", "off", "否"})


def text(data: dict, key: str) -> str:
    """The value as stripped text ('' when absent or None)."""
    value = data.get(key)
    return "" if value is None else str(value).strip()


def required_unique(db, table: str, clean: dict, errors: dict, keys, row_id) -> None:
    """Each key must be given and not used by another row of the table (deleted ones too)."""
    for key in keys:
        sql = f"SELECT id FROM [{table}] WHERE [{key}] = ? AND id != ?"
        if not clean[key]:
            errors[key] = "required"
        elif one(db, sql, [clean[key], row_id or ""]):
            errors[key] = "duplicate"


def choice(clean: dict, errors: dict, key: str, allowed, default: str | None = None) -> None:
    """The value must be one of `allowed`; empty takes `default` (or is required)."""
    if not clean[key] and default is not None:
        clean[key] = default
    if not clean[key]:
        errors[key] = "required"
    elif clean[key] not in allowed:
        errors[key] = "invalid_choice"


LARGEST = 10**9  # no count or period on a form comes near; keeps every value a SQLite integer


def integer(
    data: dict, key: str, errors: dict, *, minimum: int, default: int, maximum: int = LARGEST
) -> int | None:
    """A whole number from `minimum` to `maximum`; empty gives `default`."""
    raw = text(data, key)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        errors[key] = "invalid_integer"
        return None
    if not minimum <= value <= maximum:
        errors[key] = "out_of_range"
        return None
    return value


def _number(data: dict, key: str, errors: dict, limit: float, code: str) -> float | None:
    raw = text(data, key)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        errors[key] = "invalid_number"
        return None
    if not -limit <= value <= limit:
        errors[key] = code
    return value


def coordinates(data: dict, clean: dict, errors: dict) -> None:
    """Optional lat (-90..90) and lon (-180..180)."""
    clean["lat"] = _number(data, "lat", errors, 90, "invalid_latitude")
    clean["lon"] = _number(data, "lon", errors, 180, "invalid_longitude")


def flag(data: dict, key: str, errors: dict) -> int:
    """A yes/no value as 1 or 0 (a checkbox, or 1/0, true/false, yes/no, 是/否 in a file)."""
    raw = text(data, key).lower()
    if raw in TRUE_WORDS:
        return 1
    if raw not in FALSE_WORDS:
        errors[key] = "invalid_choice"
    return 0


def check_filters(clean: dict, errors: dict, allowed: dict) -> None:
    """A list's filters: each one set must be one of its `allowed` values (invalid_choice)."""
    for key, values in allowed.items():
        if clean[key] and clean[key] not in values:
            errors[key] = "invalid_choice"


def left_out(clean: dict, errors: dict) -> dict:
    """The filters with each bad one left out (''), so that the list ignores it."""
    return {key: ("" if key in errors else value) for key, value in clean.items()}


def stored(db, table: str, data: dict) -> dict:
    """The stored row being edited (data["id"]), or {} for a new one."""
    if not data.get("id"):
        return {}
    return one(db, f"SELECT * FROM [{table}] WHERE id = ?", [data["id"]]) or {}


def reference(
    db, data: dict, key: str, errors: dict, *, exists: str, in_scope, unknown: str, current=None
):
    """An optional id that must exist (`exists` SQL) and be in scope (`in_scope` clause).

    Returns the id or None. Errors: `unknown` when it does not exist, out_of_scope when it
    exists but the caller may not use it. Keeping the `current` value needs no scope: an edit
    must not fail on a reference someone with a wider scope set.
    """
    value = text(data, key) or None
    if value is None:
        return None
    if one(db, exists, [value]) is None:
        errors[key] = unknown
    elif value != current:
        where, params = in_scope
        if one(db, f"{exists} AND {where}", [value, *params]) is None:
            errors[key] = "out_of_scope"
    return value


SCOPED = {"org": orgs, "customer": customers, "site": sites}  # table -> its scope clause


def scoped_id(
    db, caller: Caller, data: dict, errors: dict, table: str, *, required=False, current=None
) -> str | None:
    """The `<table>_id` field (table org, customer or site): a row the caller may see in
    scope.py, or the one already set (`current`). Errors: unknown_<table>, out_of_scope, and
    required when `required` and empty."""
    key = f"{table}_id"
    value = reference(
        db,
        data,
        key,
        errors,
        exists=f"SELECT id FROM {table} WHERE {table}.id = ?",
        in_scope=SCOPED[table](caller),
        unknown=f"unknown_{table}",
        current=current,
    )
    if value is None and required:
        errors[key] = "required"
    return value


def org_in_scope(db, caller: Caller, data: dict, errors: dict, current=None) -> str | None:
    """The required org_id: an organisation the caller may see (or the one already set)."""
    return scoped_id(db, caller, data, errors, "org", required=True, current=current)


def matching(q: str, columns, filters: dict) -> tuple[str, list]:
    """' AND …' conditions for a list: the search term in any of `columns`, exact filters.

    Filters with an empty value are left out.
    """
    sql, params = "", []
    if q:
        sql += " AND (" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in columns) + ")"
        params += [like(q)] * len(columns)
    for column, value in filters.items():
        if value:
            sql += f" AND {column} = ?"
            params.append(value)
    return sql, params
