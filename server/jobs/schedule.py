"""Every periodic job in one list: its name, when it runs, what it calls and its time limit.

Triggers are APScheduler 3 trigger arguments: {"trigger": "interval", "seconds": N} or
{"trigger": "cron", "day": …, "hour": …, "minute": …} in the local zone
(BABEL_DEFAULT_TIMEZONE). `every` is the longest gap between two runs on schedule, in
seconds: a job without a successful run for twice that long is overdue (model.status).
The numbers are ours (docs/operations.md, "Scheduled jobs").

JOBS_SCHEDULE in the configuration overrides triggers by job name ("*" for every job):
{"reminders": {"trigger": "interval", "seconds": 30}}, or "off" to leave a job out; an
override may carry "limit_seconds". Tests use it to run everything every second.
"""

from dataclasses import dataclass, field, replace

MINUTE, HOUR, DAY = 60, 3600, 86400


@dataclass(frozen=True)
class JobSpec:
    """One periodic job. `task` is "module:function" (a dotted module path); the function
    takes a tasks.Context and returns its counts (a dict), or raises tasks.Skipped."""

    name: str
    task: str
    trigger: dict = field(default_factory=dict)
    limit_seconds: float = 10 * MINUTE
    every: float = DAY
    what: str = ""


JOBS = (
    JobSpec(
        "reminders",
        "server.jobs.tasks:reminders",
        {"trigger": "interval", "seconds": MINUTE},
        limit_seconds=5 * MINUTE,
        every=MINUTE,
        what="due reminders into the outbox and out by Web Push (reminders run)",
    ),
    JobSpec(
        "reclassify",
        "server.jobs.tasks:reclassify",
        {"trigger": "cron", "hour": 0, "minute": 5},
        what="customer classes under the policy in force today (customers reclassify)",
    ),
    JobSpec(
        "plans",
        "server.jobs.tasks:plans",
        {"trigger": "cron", "hour": 0, "minute": 15},
        limit_seconds=30 * MINUTE,
        what="today's inspection orders of every active plan (plans run)",
    ),
    JobSpec(
        "scores",
        "server.jobs.tasks:scores",
        {"trigger": "cron", "hour": 1, "minute": 30},
        limit_seconds=HOUR,
        what="this month's scorecards; on days 1 to 7 also last month's (scores compute)",
    ),
    JobSpec(
        "scores-final",
        "server.jobs.tasks:scores_final",
        {"trigger": "cron", "day": 8, "hour": 2, "minute": 0},
        limit_seconds=HOUR,
        every=31 * DAY,
        what="last month's scorecards once more after the 7-day repeat-fault window",
    ),
    JobSpec(
        "reports-monthly",
        "server.jobs.tasks:reports_monthly",
        {"trigger": "cron", "day": 8, "hour": 3, "minute": 0},
        limit_seconds=2 * HOUR,
        every=31 * DAY,
        what="last month's scorecards printed to PDF (reports monthly)",
    ),
    JobSpec(
        "retention",
        "server.jobs.tasks:retention",
        {"trigger": "cron", "hour": 2, "minute": 30},
        limit_seconds=HOUR,
        what="the churn rules over the newest billing month, contract windows from today"
        " (retention run; a billing import runs them too)",
    ),
    JobSpec(
        "backup",
        "server.jobs.tasks:backup",
        {"trigger": "cron", "hour": 3, "minute": 30},
        limit_seconds=HOUR,
        what="a dated backup into BACKUP_DIR, keeping the newest BACKUP_KEEP (backup)",
    ),
    JobSpec(
        "replication",
        "server.jobs.tasks:replication",
        {"trigger": "interval", "minutes": 5},
        limit_seconds=MINUTE,
        every=5 * MINUTE,
        what="the Litestream replica's lag, photos mirrored to BLOB_REPLICA; skipped when none",
    ),
    JobSpec(
        "prune",
        "server.jobs.tasks:prune",
        {"trigger": "cron", "hour": 4, "minute": 0},
        limit_seconds=30 * MINUTE,
        what="sent reminders, spent refresh tokens and old job runs past their keep",
    ),
)


def jobs(config, specs=JOBS) -> list[JobSpec]:
    """The jobs to schedule: `specs` with JOBS_SCHEDULE's overrides applied."""
    overrides = config.get("JOBS_SCHEDULE") or {}
    if not isinstance(overrides, dict):
        raise ValueError("setting JOBS_SCHEDULE must be an object of job name to trigger")
    unknown = set(overrides) - {spec.name for spec in specs} - {"*"}
    if unknown:
        raise ValueError(f"JOBS_SCHEDULE names unknown jobs: {', '.join(sorted(unknown))}")
    found = []
    for spec in specs:
        override = overrides.get(spec.name, overrides.get("*"))
        if override == "off":
            continue
        if override:
            trigger = dict(override)
            limit = float(trigger.pop("limit_seconds", spec.limit_seconds))
            spec = replace(spec, trigger=trigger, limit_seconds=limit)
        found.append(spec)
    return found
