"""The SQLite connection: one sqlite_utils.Database per request thread, tuned for durability.

Connections are opened where they are used (a request, a command), never at import: a
gunicorn worker opens its own after the fork, and no connection ever crosses one.

A request thread keeps its connection for the next request (DATABASE_KEEP_CONNECTIONS):
opening one costs its pragmas, and closing the last one checkpoints and truncates the WAL,
together about a third of a small push's time. A kept connection never crosses a fork (it is
the process's own: gunicorn workers open theirs after forking) nor outlives its file (the
inode is checked at every checkout), and it is handed back with no transaction open.
"""

import os
import sqlite3
import threading
from contextlib import contextmanager

import sqlite_utils
from flask import current_app, g, has_app_context

from sync.transactions import write_lock, writer_queue

__all__ = ["Database", "connect", "get_db", "like", "one", "rows", "write_lock"]

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=FULL",
)
BUSY_TIMEOUT_MS = 5000  # how long a write waits for the lock (DATABASE_BUSY_TIMEOUT_MS)
AUTOCHECKPOINT_PAGES = 1000  # SQLite's own default (WAL_AUTOCHECKPOINT)


class Database(sqlite_utils.Database):
    """sqlite_utils.Database whose transactions take the write lock up front.

    `atomic()` (which sqlite-utils' own insert/update/delete also use) is `write_lock`: the
    outermost block is BEGIN IMMEDIATE, so a write waits for the busy timeout instead of
    failing at once when another connection writes (see sync/transactions.py).
    """

    @contextmanager
    def atomic(self):
        with write_lock(self):
            yield self


def autocheckpoint_pages(config) -> int:
    """WAL pages after which a commit checkpoints: none while Litestream replicates (it
    checkpoints itself, and a checkpoint of ours could race it), else WAL_AUTOCHECKPOINT."""
    if config.get("LITESTREAM"):
        return 0
    return int(config.get("WAL_AUTOCHECKPOINT", AUTOCHECKPOINT_PAGES))


def connect(path: str, busy_timeout_ms: int | None = None) -> Database:
    """Open the database file with WAL, foreign keys, a busy timeout and synchronous=FULL.

    Inside an app context (a request, a `flask` command) the busy timeout and the WAL
    checkpointing come from the app's settings, so every process opens alike."""
    config = current_app.config if has_app_context() else {}
    if busy_timeout_ms is None:
        busy_timeout_ms = config.get("DATABASE_BUSY_TIMEOUT_MS", BUSY_TIMEOUT_MS)
    conn = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    # Autocommit unless a transaction is opened explicitly (db.atomic() or BEGIN IMMEDIATE):
    # no implicit transaction is ever left holding the write lock.
    conn.isolation_level = None
    for pragma in PRAGMAS:
        conn.execute(pragma)
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    conn.execute(f"PRAGMA wal_autocheckpoint={autocheckpoint_pages(config)}")
    db = Database(conn)
    # Writers queue before SQLite's lock (sync/transactions.py, WriterQueue).
    db.writer_queue = writer_queue(path)
    db.busy_timeout_ms = int(busy_timeout_ms)
    return db


_kept = threading.local()  # this thread's (process, path, inode) and its connection
_inherited: list = []


def _checkout(path: str, busy_timeout_ms: int) -> Database:
    """This thread's kept connection to `path`, or a new one kept in its place."""
    try:
        key = (os.getpid(), path, os.stat(path).st_ino)
    except OSError:  # no file yet: connect creates it; keep it from the next request on
        return connect(path, busy_timeout_ms)
    held = getattr(_kept, "held", None)
    if held is not None and held[0] == key:
        held[1].conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        held[1].busy_timeout_ms = int(busy_timeout_ms)
        return held[1]
    if held is not None and held[0][0] == key[0]:
        held[1].conn.close()  # another database (tests) or the file was replaced
    elif held is not None:
        _inherited.append(held[1])  # the parent's, across a fork: never used, never closed here
    db = connect(path, busy_timeout_ms)
    _kept.held = (key, db)
    return db


def get_db() -> sqlite_utils.Database:
    """Return the request-scoped database, opening it on first use."""
    if "db" not in g:
        config = current_app.config
        path, timeout = config["DATABASE"], config["DATABASE_BUSY_TIMEOUT_MS"]
        if config.get("DATABASE_KEEP_CONNECTIONS", True):
            g.db = _checkout(path, timeout)
        else:
            g.db = connect(path, timeout)
    return g.db


def close_db(_exc=None) -> None:
    db = g.pop("db", None)
    if db is None:
        return
    held = getattr(_kept, "held", None)
    if held is not None and held[1] is db:
        if db.conn.in_transaction:  # a request that failed inside a transaction
            db.conn.rollback()
        return
    db.conn.close()


def rows(db: sqlite_utils.Database, sql: str, params=()) -> list[dict]:
    """Run a query and return its rows as dicts."""
    return [dict(r) for r in db.execute(sql, params).fetchall()]


def one(db: sqlite_utils.Database, sql: str, params=()) -> dict | None:
    """Run a query and return its first row as a dict, or None."""
    row = db.execute(sql, params).fetchone()
    return dict(row) if row is not None else None


def like(term: str) -> str:
    """A LIKE pattern for a search term, with wildcards in the term escaped."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def init_app(app) -> None:
    app.teardown_appcontext(close_db)


def sql_in(values) -> str:
    """Constant strings as an SQL IN-list, "('a', 'b')", for SQL built once from named sets
    (server/visits/statuses.py); never for user input (bind parameters for that)."""
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"
