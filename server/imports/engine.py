"""The import engine: one flow for every kind of record, driven by a Spec.

A file is stored as a batch, checked (the dry run: every bad row with its file line and
reasons, and how many rows would be created or updated), then applied once: checked again
and written in one transaction, all or nothing. Rows match existing records by `code`; a code
that exists outside the caller's scope is an error, never an update.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from .. import csvio
from ..db import one
from ..ids import now_utc, uuid7
from ..scope import Caller


@dataclass(frozen=True)
class Reference:
    """A column holding another record's code (or username), stored as that record's id."""

    field: str
    lookup: str  # SQL giving the id for the code
    unknown: str  # error code when nothing has that code


@dataclass(frozen=True)
class Spec:
    """What one kind of record looks like in a file, and the model functions that store it."""

    kind: str
    table: str
    columns: tuple[str, ...]
    references: dict[str, Reference]
    unique: tuple[str, ...]  # columns no two rows of a file may share
    scope: Callable
    validate: Callable
    create: Callable
    update: Callable

    def column(self, field_name: str) -> str:
        """The file column a model field is read from."""
        for column, ref in self.references.items():
            if ref.field == field_name:
                return column
        return field_name


@dataclass
class Row:
    """One data row of a file: what it would do, or why it cannot."""

    line: int
    code: str
    action: str = "create"  # create | update
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, error code)
    clean: dict | None = None
    record_id: str | None = None


@dataclass
class Report:
    """The dry run: file-level errors, every row, and the counts."""

    header_errors: list[tuple[str, str]]
    rows: list[Row]

    @property
    def bad_rows(self) -> list[Row]:
        return [row for row in self.rows if row.errors]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if not row.errors and row.action == action)

    @property
    def ok(self) -> bool:
        return not self.header_errors and not self.bad_rows


class AlreadyApplied(Exception):
    """The batch was applied before; a batch applies once."""


class Refused(Exception):
    """Raised by an apply_once write to write nothing; apply_once returns `result`."""

    def __init__(self, result):
        super().__init__()
        self.result = result


def check(db, caller: Caller, spec: Spec, text: str) -> Report:
    """Dry-run a file: validate every row as the caller, write nothing."""
    header, found = csvio.read(text)
    report = Report(_header_errors(spec, header), [])
    if not found:
        report.header_errors.append(("", "empty_file"))
    seen: dict[str, set] = {column: set() for column in spec.unique}
    ids: dict[tuple[str, str], str | None] = {}
    for line, cells in found:
        cells = {k: v for k, v in cells.items() if k in spec.columns}
        row = Row(line, cells.get("code", ""))
        for column in spec.unique:
            value = cells.get(column)
            if value and value in seen[column]:
                row.errors.append((column, "duplicate_in_file"))
            seen[column].add(value)
        _check_row(db, caller, spec, row, cells, ids)
        report.rows.append(row)
    return report


def _header_errors(spec: Spec, header: list[str]) -> list[tuple[str, str]]:
    errors = [(name, "unknown_column") for name in header if name not in spec.columns]
    errors += [(name, "duplicate") for name in set(header) if header.count(name) > 1]
    if header and "code" not in header:
        errors.append(("code", "missing_column"))
    return errors


def _check_row(db, caller: Caller, spec: Spec, row: Row, cells: dict, ids: dict) -> None:
    existing = one(db, f"SELECT * FROM [{spec.table}] WHERE code = ?", [row.code])
    if existing:
        where, params = spec.scope(caller)
        sql = f"SELECT id FROM [{spec.table}] WHERE id = ? AND {where}"
        if one(db, sql, [existing["id"], *params]) is None:
            row.errors.append(("code", "out_of_scope"))
            return
        row.action, row.record_id = "update", existing["id"]
    data = dict(existing or {})
    for column, value in cells.items():
        ref = spec.references.get(column)
        if ref is None:
            data[column] = value
            continue
        data[ref.field] = _resolve(db, ref, value, ids)
        if value and data[ref.field] is None:
            row.errors.append((column, ref.unknown))
    row.clean, errors = spec.validate(db, caller, data)
    flagged = {column for column, _ in row.errors}
    for field_name, code in errors.items():
        if spec.column(field_name) not in flagged:
            row.errors.append((spec.column(field_name), code))


def _resolve(db, ref: Reference, value: str, ids: dict) -> str | None:
    if not value:
        return None
    if (ref.lookup, value) not in ids:
        found = one(db, ref.lookup, [value])
        ids[(ref.lookup, value)] = found["id"] if found else None
    return ids[(ref.lookup, value)]


def apply_once(db, batch_id: str, write: Callable):
    """Claim the batch and run `write()` in one transaction, so a batch is applied once.

    Returns what `write()` returns. When `write()` raises Refused, nothing is written, the
    batch stays unapplied and the refusal's result is returned. Raises AlreadyApplied (with
    nothing written) when the batch was applied before. Every import applies through here:
    the customer and site imports (`apply`) and the billing import.
    """
    try:
        with db.atomic():
            claimed = db.execute(
                "UPDATE import_batch SET applied_at = ? WHERE id = ? AND applied_at IS NULL",
                [now_utc(), batch_id],
            )
            if claimed.rowcount != 1:
                raise AlreadyApplied(batch_id)
            return write()
    except Refused as refused:
        return refused.result


def apply(db, caller: Caller, spec: Spec, batch: dict) -> Report:
    """Check the batch again and write all its rows in one transaction, once.

    Any bad row writes nothing (the returned report says why). Raises AlreadyApplied when
    the batch was applied before.
    """

    def write() -> Report:
        report = check(db, caller, spec, batch["content"])
        if not report.ok:
            raise Refused(report)
        for row in report.rows:
            if row.action == "update":
                spec.update(db, caller.id, row.record_id, row.clean)
            else:
                spec.create(db, caller.id, **row.clean)
        return report

    return apply_once(db, batch["id"], write)


def store(db, caller: Caller, kind: str, filename: str, text: str) -> str:
    """Keep an uploaded file as a batch of the caller's; return its id."""
    batch = dict(id=uuid7(), user_id=caller.id, kind=kind, filename=filename[:200], content=text)
    with db.atomic():
        db["import_batch"].insert({**batch, "created_at": now_utc()})
    return batch["id"]


def get_batch(db, caller: Caller, batch_id: str) -> dict | None:
    """One of the caller's own batches, else None."""
    return one(
        db, "SELECT * FROM import_batch WHERE id = ? AND user_id = ?", [batch_id, caller.id]
    )
