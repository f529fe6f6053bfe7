"""The one way to write: take SQLite's write lock up front, and tell busy from broken.

SQLite has one writer. A deferred transaction that reads and then writes cannot wait for
the lock (upgrading a read snapshot would break isolation), so it fails at once with
"database is locked" whatever the busy timeout. Every write therefore starts with
`BEGIN IMMEDIATE`, which waits up to the busy timeout. A lock that still times out, or a
full disk, is a retryable condition the caller answers as such (`stopped` for a push, 503
with Retry-After elsewhere), never a crash.
"""

import secrets
import sqlite3
from contextlib import contextmanager

BUSY_RETRY_AFTER = 2  # seconds: a lock held past the busy timeout is usually gone by then
FULL_RETRY_AFTER = 60  # seconds: a full disk needs an operator


class DatabaseUnavailable(Exception):
    """The database cannot take this write now: `code` is database_busy or storage_full."""

    def __init__(self, code: str, message: str, retry_after: int):
        super().__init__(message)
        self.code, self.message, self.retry_after = code, message, retry_after


def _name(exc: BaseException) -> str:
    return getattr(exc, "sqlite_errorname", "") or ""


def is_busy(exc: BaseException) -> bool:
    """Is this SQLite's "database is locked/busy" (another writer held the lock too long)?"""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    text = str(exc).lower()
    return _name(exc).startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text


def is_full(exc: BaseException) -> bool:
    """Is this a full disk (SQLite's SQLITE_FULL, or the OS's ENOSPC/EDQUOT)?"""
    if isinstance(exc, sqlite3.OperationalError):
        return _name(exc) == "SQLITE_FULL" or "disk is full" in str(exc).lower()
    return isinstance(exc, OSError) and exc.errno in (28, 122)  # ENOSPC, EDQUOT


def unavailable(exc: BaseException) -> DatabaseUnavailable | None:
    """The retryable answer for a busy or full database, or None for any other error."""
    if is_busy(exc):
        return DatabaseUnavailable(
            "database_busy", "the database is busy; retry shortly", BUSY_RETRY_AFTER
        )
    if is_full(exc):
        return DatabaseUnavailable(
            "storage_full", "the server's storage is full; nothing was saved", FULL_RETRY_AFTER
        )
    return None


@contextmanager
def write_lock(db):
    """Run the block as one write transaction that holds the write lock from its start.

    Outermost: BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any error). Inside another
    transaction: a savepoint, so handlers compose. A busy or full database surfaces as
    DatabaseUnavailable with nothing written.
    """
    conn = db.conn
    if conn.in_transaction:
        name = f"sp_{secrets.token_hex(8)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield db
        except BaseException:
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        conn.execute(f"RELEASE SAVEPOINT {name}")
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise (unavailable(exc) or exc) from exc
    try:
        yield db
        conn.execute("COMMIT")
    except BaseException as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        retry = unavailable(exc) if isinstance(exc, sqlite3.OperationalError | OSError) else None
        if retry is not None:
            raise retry from exc
        raise
