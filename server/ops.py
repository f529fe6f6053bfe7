"""Backup and restore of the live database with SQLite's online backup API.

A backup is a consistent copy taken while the server runs, checked with integrity_check. A
restore replaces the live database with a checked Fieldbook backup, then gives the server a
new epoch (meta.server_epoch): the server has gone back in time, so devices must reset their
sync cursor and re-push what the server no longer has. Then pending migrations run.
"""

import logging
import secrets
import sqlite3
from contextlib import closing
from pathlib import Path

from .db import connect
from .migrations import migrations, upgrade

log = logging.getLogger(__name__)


class OpsError(Exception):
    """A backup or restore was refused or failed; the message says why."""


def open_existing(path: str | Path, mode: str) -> sqlite3.Connection:
    """Open an existing file (mode ro or rw) without ever creating one."""
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode={mode}", uri=True, timeout=5.0)


def integrity(path: str | Path) -> str:
    """PRAGMA integrity_check of a file: "ok", or what is wrong (also for non-databases)."""
    try:
        with closing(open_existing(path, "ro")) as conn:
            found = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.Error as exc:
        return str(exc)
    return "ok" if found == ["ok"] else "; ".join(found[:5])


def row_counts(path: str | Path) -> dict[str, int]:
    """Rows per table of a database file, by table name."""
    with closing(open_existing(path, "ro")) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {t: conn.execute(f"SELECT COUNT(*) FROM [{t}]").fetchone()[0] for t in tables}


def backup(live: str, dest: str) -> dict[str, int]:
    """Copy the live database to a new file while it runs, check the copy; return its counts."""
    target = Path(dest)
    if target.exists():
        raise OpsError(f"{target} already exists; give a new file name")
    if not Path(live).exists():
        raise OpsError(f"no database at {live}")
    log.info("backup: copying %s to %s", live, target)
    with closing(open_existing(live, "rw")) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    result = integrity(target)
    if result != "ok":
        raise OpsError(f"integrity check of the copy {target} failed, do not use it: {result}")
    counts = row_counts(target)
    log.info("backup: %s ok, %d tables, %d rows", target, len(counts), sum(counts.values()))
    return counts


def check_backup(path: str) -> dict:
    """Refuse anything but an intact Fieldbook database; return its schema and row counts."""
    if not Path(path).is_file():
        raise OpsError(f"no backup file at {path}")
    result = integrity(path)
    if result != "ok":
        raise OpsError(f"{path} is not an intact SQLite database: {result}")
    with closing(open_existing(path, "ro")) as conn:
        has_table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            [migrations.migrations_table],
        ).fetchone()
        names = (
            conn.execute(
                f"SELECT name FROM [{migrations.migrations_table}]"
                " WHERE migration_set = ? ORDER BY applied_at, name",
                [migrations.name],
            ).fetchall()
            if has_table
            else []
        )
    if not names:
        raise OpsError(f"{path} is not a Fieldbook database (no Fieldbook migrations table)")
    return {"schema_version": names[-1][0], "counts": row_counts(path)}


def restore(path: str, live: str) -> dict:
    """Replace the live database with a checked backup, set a new server epoch, migrate.

    Returns the old and new epochs, the migrations applied after the copy and the row counts.
    """
    check_backup(path)
    old_epoch = _epoch(live) if Path(live).exists() else None
    log.warning("restore: replacing %s with %s", live, path)
    with (
        closing(open_existing(path, "ro")) as source,
        closing(sqlite3.connect(live, timeout=5.0)) as db,
    ):
        source.backup(db)
    return {"old_epoch": old_epoch, **start_new_epoch(live)}


def start_new_epoch(live: str) -> dict:
    """After the database went back in time (a backup restored, a replica restored): a new
    random server epoch in meta, so every device resets (docs/sync-protocol.md §7), then the
    pending migrations. Returns the new epoch, the migrations applied and the row counts."""
    new_epoch = secrets.token_hex(8)
    with closing(sqlite3.connect(live, timeout=5.0)) as db, db:
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('server_epoch', ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [new_epoch],
        )
    database = connect(live)
    try:
        applied = upgrade(database)
    finally:
        database.conn.close()
    log.warning("restore: new server epoch %s; migrations %s", new_epoch, applied)
    return {"new_epoch": new_epoch, "applied": applied, "counts": row_counts(live)}


def _epoch(path: str) -> str | None:
    try:
        with closing(open_existing(path, "ro")) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'server_epoch'").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None
