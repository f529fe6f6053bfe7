"""The record of job runs (`job_run`) and what an operator needs from it: each job's last
run and whether it is overdue."""

import json
from datetime import UTC, datetime, timedelta

from .. import times
from ..db import one, rows, write_lock
from .schedule import JOBS

OUTCOMES = ("ok", "failed", "timeout", "skipped")
SUCCESS = ("ok", "skipped")  # a skipped run found nothing to do: the job is not behind
ERROR_MAX_CHARS = 4000


def started(db, job: str, holder: str, now: datetime) -> int:
    """Record a run as started; returns its id."""
    with write_lock(db):
        return db.execute(
            "INSERT INTO job_run (job, holder, started_at) VALUES (?, ?, ?)",
            [job, holder, times.to_stored(now)],
        ).lastrowid


def finished(db, run_id: int, outcome: str, counts=None, error=None, now=None) -> None:
    """Record how a run ended: its outcome, its counts (JSON) and its error text."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome}")
    with write_lock(db):
        db.execute(
            "UPDATE job_run SET finished_at = ?, outcome = ?, counts = ?, error = ? WHERE id = ?",
            [
                times.to_stored(now or datetime.now(UTC)),
                outcome,
                json.dumps(counts or {}, default=str, ensure_ascii=False),
                error[:ERROR_MAX_CHARS] if error else None,
                run_id,
            ],
        )


def runs(db, job: str | None = None, limit: int = 100) -> list[dict]:
    """The newest runs (of one job), newest first, counts decoded."""
    where, params = ("WHERE job = ?", [job]) if job else ("", [])
    found = rows(
        db,
        f"SELECT * FROM job_run {where} ORDER BY started_at DESC, id DESC LIMIT ?",
        [*params, limit],
    )
    for run in found:
        run["counts"] = json.loads(run["counts"] or "{}")
    return found


def last_started(db, job: str) -> str | None:
    """When the job last started (any outcome), as stored."""
    found = one(db, "SELECT max(started_at) AS at FROM job_run WHERE job = ?", [job])
    return found["at"] if found else None


def status(db, specs=JOBS, now: datetime | None = None) -> list[dict]:
    """Each scheduled job's last run and whether it is overdue, in schedule order:
    [{job, what, last_started, last_finished, last_outcome, last_error, last_ok, overdue}].

    `last_outcome` is None while the newest run is still going (or when it never ran). A
    job is overdue when it has had no successful ('ok' or 'skipped') run within twice its
    interval; a job that never ran counts from the first run of any job (the day the
    jobs process first ran), so a new install is not all overdue at once.
    """
    now = now or datetime.now(UTC)
    first = one(db, "SELECT min(started_at) AS at FROM job_run")["at"]
    found = []
    for spec in specs:
        last = one(
            db,
            "SELECT started_at, finished_at, outcome, error FROM job_run WHERE job = ?"
            " ORDER BY started_at DESC, id DESC LIMIT 1",
            [spec.name],
        )
        ok = one(
            db,
            "SELECT max(finished_at) AS at FROM job_run WHERE job = ? AND outcome IN (?, ?)",
            [spec.name, *SUCCESS],
        )["at"]
        since = ok or first
        cutoff = times.to_stored(now - timedelta(seconds=2 * spec.every))
        found.append(
            {
                "job": spec.name,
                "what": spec.what,
                "last_started": last["started_at"] if last else None,
                "last_finished": last["finished_at"] if last else None,
                "last_outcome": last["outcome"] if last else None,
                "last_error": last["error"] if last else None,
                "last_ok": ok,
                "overdue": since is not None and since < cutoff,
            }
        )
    return found


def prune(db, before: datetime) -> int:
    """Delete finished runs started before `before`, keeping each job's newest run."""
    with write_lock(db):
        return db.execute(
            "DELETE FROM job_run WHERE started_at < ? AND finished_at IS NOT NULL"
            " AND id NOT IN (SELECT max(id) FROM job_run GROUP BY job)",
            [times.to_stored(before)],
        ).rowcount


def close_abandoned(db, holder: str, now: datetime) -> int:
    """Close, as failed, the runs another scheduler left open (it died, or lost its lease,
    mid-run); called by `holder` on taking the lease. Returns how many."""
    with write_lock(db):
        return db.execute(
            "UPDATE job_run SET finished_at = ?, outcome = 'failed', error = ?"
            " WHERE holder != ? AND finished_at IS NULL",
            [times.to_stored(now), "its scheduler stopped before the run finished", holder],
        ).rowcount
