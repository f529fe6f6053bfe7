"""Can the server write? What /healthz checks beyond reading the schema version."""

import shutil
from pathlib import Path

from sync.transactions import DatabaseUnavailable, write_lock

from ..errors import recently_full


def _free(path: str) -> int | None:
    folder = Path(path)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def write_problem(db, config) -> str | None:
    """Why a write would fail now ("storage full: …", a read-only file), or None."""
    floor = int(config.get("HEALTH_MIN_FREE_BYTES") or 0)
    for name in ("DATABASE", "BLOB_DIR"):
        free = _free(str(Path(config[name]).parent if name == "DATABASE" else config[name]))
        if free is not None and free < floor:
            return f"storage full: {free // (1024 * 1024)} MB free for {name.lower()}"
    if recently_full():
        return "storage full: a write failed for want of space"
    try:
        with write_lock(db):  # the file takes a write lock; nothing is written
            pass
    except DatabaseUnavailable as exc:
        if exc.code != "database_busy":  # busy is load, not ill health: writes wait and retry
            return exc.code.replace("_", " ")
    return None
