"""What an operator watches, read at the moment of asking (a /metrics scrape, the System
page): versions, storage, the WAL, sync, jobs, backups and replication.

Read from the database and the disk, never kept in a worker, so every gunicorn worker
answers alike. The jobs' record (`job_run`, written by the jobs process) may not exist:
then jobs, backups and replication are None ("none recorded"), never an error.
"""

import json
import os
import platform
import sqlite3
from datetime import UTC, datetime
from importlib import metadata

from .. import APP_VERSION
from ..db import one, rows, sql_in
from ..migrations import schema_version
from ..sync_health.model import unsent_over_a_day
from ..times import read
from . import wal

FAILED = ("failed", "timeout")  # job_run outcomes that are failures ('ok', 'skipped' are not)
PACKAGES = ("flask", "gunicorn", "prometheus-client", "werkzeug")


def has_table(db, name: str) -> bool:
    found = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]
    ).fetchone()
    return found is not None


def versions(db) -> dict:
    found = {
        "app": APP_VERSION,
        "schema": schema_version(db),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def storage(db, config) -> dict:
    blobs = one(
        db,
        "SELECT count(*) AS files, coalesce(sum(size), 0) AS bytes FROM blob"
        " WHERE state = 'complete'",
    )
    return {
        "database_bytes": wal.file_size(config["DATABASE"]),
        "blob_files": blobs["files"],
        "blob_bytes": blobs["bytes"],
        "database_free_bytes": _free(os.path.dirname(os.path.abspath(config["DATABASE"]))),
        "blob_free_bytes": _free(os.path.abspath(config["BLOB_DIR"])),
    }


def _free(folder: str) -> int | None:
    """Free bytes on the disk of a folder (or of its nearest existing parent)."""
    while folder and not os.path.exists(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
    try:
        found = os.statvfs(folder)
    except OSError:
        return None
    return found.f_bavail * found.f_frsize


def sync(db, now: datetime) -> dict:
    return {
        "devices_unsent_over_day": unsent_over_a_day(db, now),
        "devices": one(db, "SELECT count(*) AS n FROM sync_client")["n"],
        "open_conflicts": one(db, "SELECT count(*) AS n FROM conflict WHERE status = 'open'")["n"],
    }


def jobs(db) -> list[dict] | None:
    """Each job's runs, failures and newest run, or None when no run table exists."""
    if not has_table(db, "job_run"):
        return None
    found = rows(
        db,
        "SELECT job, count(*) AS runs,"
        f" sum(outcome IN {sql_in(FAILED)}) AS failures,"
        " max(started_at) AS last_started FROM job_run GROUP BY job ORDER BY job",
    )
    for job in found:
        last = one(
            db,
            "SELECT started_at, finished_at, outcome, error, counts FROM job_run"
            " WHERE job = ? ORDER BY started_at DESC, id DESC LIMIT 1",
            [job["job"]],
        )
        job.update(
            last_finished=last["finished_at"],
            last_outcome=last["outcome"],
            last_error=last["error"],
        )
    return found


def _last_ok(db, job: str) -> dict | None:
    if not has_table(db, "job_run"):
        return None
    return one(
        db,
        "SELECT finished_at, counts FROM job_run WHERE job = ? AND outcome = 'ok'"
        " ORDER BY finished_at DESC, id DESC LIMIT 1",
        [job],
    )


def _seconds_since(stored: str | None, now: datetime) -> float | None:
    moment = read(stored) if stored else None
    return max(0.0, (now - moment).total_seconds()) if moment else None


def backups(config, now: datetime) -> dict | None:
    """The newest complete backup in BACKUP_DIR (by the jobs process or by hand) and its
    age, or None when there is none."""
    from .. import backups as store

    found = store.backups(config["BACKUP_DIR"]) if config.get("BACKUP_DIR") else []
    if not found:
        return None
    return {
        "last_at": found[-1]["created_at"],
        "age_seconds": _seconds_since(found[-1]["created_at"], now),
    }


def replication(db, config, now: datetime) -> dict:
    """Whether Litestream checkpoints, and the replica's age as the last `replication` check
    measured it plus the time since (None when no check recorded one)."""
    found = {"litestream": bool(config.get("LITESTREAM")), "lag_seconds": None, "checked_at": None}
    last = _last_ok(db, "replication")
    if last is not None:
        try:
            age = json.loads(last["counts"] or "{}").get("lag_seconds")
        except (TypeError, ValueError):
            age = None
        since = _seconds_since(last["finished_at"], now)
        if isinstance(age, int | float) and since is not None:
            found.update(lag_seconds=float(age) + since, checked_at=last["finished_at"])
    return found


def facts(db, config, now: datetime | None = None) -> dict:
    """Everything the System page shows and the gauges of /metrics, read now."""
    now = now or datetime.now(UTC)
    return {
        "versions": versions(db),
        "storage": storage(db, config),
        "wal": wal.watch(db, config),
        "sync": sync(db, now),
        "jobs": jobs(db),
        "backups": backups(config, now),
        "replication": replication(db, config, now),
    }
