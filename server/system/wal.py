"""Watching the write-ahead log: its size and how the last checkpoint went.

Readers that never stop keep a checkpoint from reaching the end of the WAL (checkpoint
starvation), and the -wal file then grows without bound. Each look (a /metrics scrape, the
System page) reads the file's size and, unless Litestream owns checkpointing, runs a
PASSIVE checkpoint (it never waits for and never blocks readers or writers; the same kind
SQLite runs after a commit) and keeps its result: `log_frames` in the WAL, of which
`checkpointed_frames` reached the database; fewer means readers held the rest back.
Past WAL_WARN_BYTES a warning is logged, at most once every WARN_EVERY_SECONDS per process;
besides the looks, every worker glances at the file's size (no checkpoint) once a minute
after a request, so the warning comes even when nothing scrapes.
"""

import logging
import os
import threading
import time

from ..db import autocheckpoint_pages
from ..ids import now_utc

log = logging.getLogger(__name__)

WARN_EVERY_SECONDS = 600
GLANCE_EVERY_SECONDS = 60
_lock = threading.Lock()
_state = {"last": None, "warned_at": 0.0, "glanced_at": 0.0}


def wal_path(database: str) -> str:
    return f"{database}-wal"


def file_size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def watch(db, config) -> dict:
    """The WAL's size, who checkpoints, and the last checkpoint's result (None if none yet)."""
    litestream = bool(config.get("LITESTREAM"))
    if not litestream:
        busy, log_frames, done = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        result = {
            "busy": busy,
            "log_frames": log_frames,
            "checkpointed_frames": done,
            "at": now_utc(),
        }
        with _lock:
            _state["last"] = result
    size = file_size(wal_path(config["DATABASE"]))
    limit = int(config.get("WAL_WARN_BYTES") or 0)
    if limit and size > limit:
        _warn(size, limit, litestream)
    return {
        "wal_bytes": size,
        "warn_bytes": limit,
        "over_limit": bool(limit and size > limit),
        "checkpointer": "litestream" if litestream else "sqlite",
        "autocheckpoint_pages": autocheckpoint_pages(config),
        "last_checkpoint": None if litestream else _state["last"],
    }


def glance(config) -> None:
    """The size check alone, at most once a GLANCE_EVERY_SECONDS per process."""
    now = time.monotonic()
    with _lock:
        if _state["glanced_at"] and now - _state["glanced_at"] < GLANCE_EVERY_SECONDS:
            return
        _state["glanced_at"] = now
    size, limit = file_size(wal_path(config["DATABASE"])), int(config.get("WAL_WARN_BYTES") or 0)
    if limit and size > limit:
        _warn(size, limit, bool(config.get("LITESTREAM")))


def _warn(size: int, limit: int, litestream: bool) -> None:
    now = time.monotonic()
    with _lock:
        if _state["warned_at"] and now - _state["warned_at"] < WARN_EVERY_SECONDS:
            return
        _state["warned_at"] = now
    who = "is Litestream running and checkpointing?" if litestream else "long readers?"
    log.warning("WAL is %d bytes, over WAL_WARN_BYTES %d: %s", size, limit, who)
