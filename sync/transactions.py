"""The one way to write: take SQLite's write lock up front, and tell busy from broken.

SQLite has one writer. A deferred transaction that reads and then writes cannot wait for
the lock (upgrading a read snapshot would break isolation), so it fails at once with
"database is locked" whatever the busy timeout. Every write therefore starts with
`BEGIN IMMEDIATE`, which waits up to the busy timeout. A lock that still times out, or a
full disk, is a retryable condition the caller answers as such (`stopped` for a push, 503
with Retry-After elsewhere), never a crash.

SQLite's busy handler waits by sleeping and retrying, in steps that grow to 100 ms: with a
dozen writers the lock sits free while they sleep, and a writer can lose every retry for
seconds. Connections opened by server/db.py therefore also queue for the lock in a
`WriterQueue` first: the threads of a process in a lock that hands over at once, the
processes (web workers, jobs, commands) by `flock` on a file beside the database, polled
every millisecond at most. Only the queue's head then meets SQLite's lock, normally free.
Writers outside the queue (Litestream, a shell) are still waited for by the busy timeout,
and the whole wait stays within it. docs/decisions.md, "One queue for the write lock".
"""

import fcntl
import os
import secrets
import sqlite3
import threading
import time
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
        return _busy()
    if is_full(exc):
        return DatabaseUnavailable(
            "storage_full", "the server's storage is full; nothing was saved", FULL_RETRY_AFTER
        )
    return None


class WriterQueue:
    """The line for one database file's write lock, shared by this process's threads and,
    through `flock` on `<database>-writer`, by every process that opens it the same way."""

    POLL_S = (0.0002, 0.001)  # the first and the longest pause between flock attempts

    def __init__(self, path: str):
        self.threads = threading.Lock()
        try:
            self.fd = os.open(f"{path}-writer", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:  # a read-only folder: the threads still queue, processes do not
            self.fd = None

    def acquire(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        if not self.threads.acquire(timeout=max(0.0, timeout_s)):
            return False
        if self.fd is None:
            return True
        pause = self.POLL_S[0]
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                pass
            except OSError:  # a file system without flock: the threads' queue is all
                return True
            if time.monotonic() >= deadline:
                self.threads.release()
                return False
            time.sleep(pause)
            pause = min(2 * pause, self.POLL_S[1])

    def release(self) -> None:
        if self.fd is not None:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            except OSError:
                pass
        self.threads.release()


_queues: dict[tuple[int, str], WriterQueue] = {}
_queues_lock = threading.Lock()


def writer_queue(path: str) -> WriterQueue | None:
    """This process's queue for the database at `path` (None for an in-memory database).
    Keyed by process: a queue, its lock and its file never cross a fork."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    key = (os.getpid(), os.path.realpath(path))
    with _queues_lock:
        queue = _queues.get(key)
        if queue is None:
            queue = _queues[key] = WriterQueue(key[1])
        return queue


def _busy() -> DatabaseUnavailable:
    return DatabaseUnavailable(
        "database_busy", "the database is busy; retry shortly", BUSY_RETRY_AFTER
    )


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
    queue = getattr(db, "writer_queue", None)
    if queue is None:
        yield from _transaction(db, conn)
        return
    timeout_s = getattr(db, "busy_timeout_ms", 5000) / 1000
    began = time.monotonic()
    if not queue.acquire(timeout_s):
        raise _busy()
    try:
        with _rest_of_timeout(conn, timeout_s, time.monotonic() - began):
            yield from _transaction(db, conn)
    finally:
        queue.release()


@contextmanager
def _rest_of_timeout(conn, timeout_s: float, waited: float):
    """What is left of the busy timeout after the queue, for writers outside it; the whole
    timeout again afterwards. A wait under a millisecond changes nothing."""
    if waited <= 0.001:
        yield
        return
    conn.execute(f"PRAGMA busy_timeout={max(1, int((timeout_s - waited) * 1000))}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")


def _transaction(db, conn):
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
