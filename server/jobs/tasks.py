"""What each scheduled job does: the same model functions its CLI command calls.

Each task takes a Context (the app, its own database connection, the scheduler's `now`)
and returns its counts, or raises Skipped when there is nothing to do (the run is
recorded as 'skipped' with the reason). Any other exception is a failed run.
"""

import os
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from .. import ops, times


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


BACKUP_PREFIX = "fieldbook-"


def take_backup(config, folder: Path, stamp: str) -> tuple[Path, dict]:
    """One dated backup into `folder`; returns its path and counts. The one place the jobs
    process calls the backup itself (server/ops.py), so a fuller backup swaps in here."""
    target = folder / f"{BACKUP_PREFIX}{stamp}.db"
    return target, ops.backup(config["DATABASE"], str(target))


def backup(ctx: Context) -> dict:
    """flask backup into BACKUP_DIR (a dated name), keeping the newest BACKUP_KEEP."""
    folder = Path(ctx.config["BACKUP_DIR"] or Path(ctx.app.instance_path) / "backups")
    folder.mkdir(parents=True, exist_ok=True)
    stamp = times.to_stored(ctx.now).replace(":", "").replace(".", "")  # 2026-12-03T120425123Z
    started = time.monotonic()
    target, counts = take_backup(ctx.config, folder, stamp)
    removed = prune_backups(folder, int(ctx.config["BACKUP_KEEP"]))
    return {
        "path": str(target),
        "rows": sum(counts.values()),
        "removed": removed,
        "seconds": round(time.monotonic() - started, 2),
    }


def prune_backups(folder: Path, keep: int) -> int:
    """Delete all but the newest `keep` backups in `folder` (files or folders named
    fieldbook-<time>, which sort by time); return how many went."""
    found = sorted(p for p in folder.iterdir() if p.name.startswith(BACKUP_PREFIX))
    old = found[: max(len(found) - max(keep, 1), 0)]
    for path in old:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    return len(old)


def replication(ctx: Context) -> dict:
    """The age of the newest file in the Litestream replica (a folder or file:// URL);
    failed when older than REPLICA_MAX_AGE_SECONDS, skipped when none is configured."""
    replica = ctx.config.get("LITESTREAM_REPLICA")
    if not replica:
        raise Skipped("no LITESTREAM_REPLICA configured")
    path = replica.removeprefix("file://")
    if "://" in path:
        raise Skipped(f"{replica.split('://')[0]} replica: its age is Litestream's own metric")
    newest, files = None, 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            files += 1
            mtime = os.stat(os.path.join(root, name)).st_mtime
            newest = mtime if newest is None else max(newest, mtime)
    if newest is None:
        raise RuntimeError(f"the replica {path} holds no files")
    age = max(ctx.now.timestamp() - newest, 0.0)
    limit = float(ctx.config["REPLICA_MAX_AGE_SECONDS"])
    if age > limit:
        raise RuntimeError(f"the replica {path} is {age:.0f} s old (more than {limit:.0f} s)")
    return {"age_seconds": round(age, 1), "files": files}


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
