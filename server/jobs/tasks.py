"""What each scheduled job does: the same model functions its CLI command calls.

Each task takes a Context (the app, its own database connection, the scheduler's `now`)
and returns its counts, or raises Skipped when there is nothing to do (the run is
recorded as 'skipped' with the reason). Any other exception is a failed run.
"""

import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import times


class Skipped(Exception):
    """Nothing to do this time; the message says why."""


@dataclass
class Context:
    app: object
    db: object
    now: datetime  # aware, UTC

    @property
    def config(self):
        return self.app.config

    def local_today(self):
        return times.local_date(times.to_stored(self.now), self.config["BABEL_DEFAULT_TIMEZONE"])


def reminders(ctx: Context) -> dict:
    """flask reminders run."""
    from ..reminders import engine

    result = engine.run(ctx.app, ctx.db, ctx.now)
    return {k: v for k, v in result.items() if not k.endswith("_s")}


def reclassify(ctx: Context) -> dict:
    """flask customers reclassify (today's policy)."""
    from ..customers import class_policy
    from ..customers.model import reclassify as reclassify_all

    day = ctx.local_today().isoformat()
    version = class_policy.in_force(ctx.db, day)["version"]
    return {"policy_version": version, "changed": reclassify_all(ctx.db, None, day=day)}


def plans(ctx: Context) -> dict:
    """flask plans run (today, local time)."""
    from ..inspections import plans as inspection_plans

    return inspection_plans.run_plans(ctx.db, None, ctx.local_today(), 0)


def scores(ctx: Context) -> dict:
    """flask scores compute for this month; on days 1 to 7 also for last month, whose
    first-time-fix indicator still moves (docs/operations.md, "Performance scores")."""
    from ..scores import compute, months

    now = times.to_stored(ctx.now)
    month = months.current(now)
    found = {month: compute.compute_month(ctx.db, month)}
    if ctx.local_today().day <= 7:
        previous = months.previous(month)
        found[previous] = compute.compute_month(ctx.db, previous)
    return found


def scores_final(ctx: Context) -> dict:
    """flask scores compute --month <last month>, after the 7th."""
    from ..scores import compute, months

    previous = months.previous(months.current(times.to_stored(ctx.now)))
    return {previous: compute.compute_month(ctx.db, previous)}


def reports_monthly(ctx: Context) -> dict:
    """flask reports monthly --month <last month> into instance/reports/YYYY-MM."""
    from ..reports import batch, pdf, scorecards
    from ..scores import months

    month = months.previous(months.current(times.to_stored(ctx.now)))
    cards = scorecards.month_cards(ctx.db, month)
    if not cards:
        raise Skipped(f"no scorecards stored for {month}")
    pdf.cjk_font()  # refuses (a failed run) rather than print boxes
    folder = os.path.join(ctx.app.instance_path, "reports", month)
    config = batch.worker_config(ctx.config)
    results = list(
        batch.render_month(
            config, cards, month, folder, card_timeout=ctx.config["REPORT_CARD_TIMEOUT_SECONDS"]
        )
    )
    failed = [r for r in results if r.error]
    if failed:
        names = ", ".join(f"{r.card['role']} {r.card['name']}: {r.error}" for r in failed[:10])
        raise RuntimeError(f"{len(failed)} of {len(cards)} cards not printed: {names}")
    return {"month": month, "cards": len(cards), "folder": folder}


def retention(ctx: Context) -> dict:
    """flask retention run (the newest month, contract windows from today)."""
    from ..retention.run import run_rules

    found = run_rules(ctx.db, None, as_of=ctx.local_today())
    if found["month"] is None:
        raise Skipped("no billing figures yet")
    return found


def backup(ctx: Context) -> dict:
    """flask backup: a dated backup of the database and its photos into BACKUP_DIR, keeping
    the newest BACKUP_KEEP (server/backups.py)."""
    from ..backups import scheduled_backup

    started = time.monotonic()
    counts = scheduled_backup(ctx.config)
    return {**counts, "seconds": round(time.monotonic() - started, 2)}


def replication(ctx: Context) -> dict:
    """Litestream's replica checked (server/replication.py): its newest transaction and the
    lag behind the database, failed when over REPLICA_MAX_AGE_SECONDS; the photos mirrored
    to BLOB_REPLICA. Skipped when no replica is configured."""
    from ..replication import mirror_blobs, replication_status

    config = ctx.config
    if not config.get("LITESTREAM_REPLICA_URL"):
        raise Skipped("no LITESTREAM_REPLICA_URL configured")
    mirrored = mirror_blobs(config) if config.get("BLOB_REPLICA") else {}
    status = replication_status(config)
    lag, limit = status["lag_seconds"], float(config["REPLICA_MAX_AGE_SECONDS"])
    if lag is None:
        raise RuntimeError("the replica holds no transaction yet")
    if lag > limit:
        raise RuntimeError(f"the replica is {lag:.0f} s behind (more than {limit:.0f} s)")
    return {**status, **{f"blobs_{k}": v for k, v in mirrored.items()}}


def prune(ctx: Context) -> dict:
    """What has a keep: sent reminders (REMINDER_KEEP_DAYS), spent refresh tokens
    (REFRESH_TOKEN_DAYS) and job runs (JOBS_RUN_KEEP_DAYS). The audit log and the
    mutation log are kept (docs/operations.md, "Personal data"; the sync protocol)."""
    from ..auth import tokens
    from ..reminders import outbox
    from . import model

    config = ctx.config
    keep = timedelta(days=int(config["REMINDER_KEEP_DAYS"]))
    now = times.to_stored(ctx.now)
    reminders_removed = outbox.prune(ctx.db, now, times.to_stored(ctx.now - keep))
    spent = tokens.prune_spent(ctx.db, int(config["REFRESH_TOKEN_DAYS"]), ctx.now)
    runs = model.prune(ctx.db, ctx.now - timedelta(days=int(config["JOBS_RUN_KEEP_DAYS"])))
    return {"reminders": reminders_removed, "spent_tokens": spent, "job_runs": runs}
