"""A reminders run: compute into the outbox, then send what is due. Safe to run every
minute from cron, and again at once: the outbox key and the deliveries mean nobody gets
the same reminder twice."""

import time
from datetime import UTC, datetime, timedelta

from .. import times
from ..push import sender, vapid
from . import compute, outbox, send


def run(app, db, now: datetime | None = None) -> dict:
    """One run at `now` (default: the clock); returns the counts and the time each step took."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    started = time.perf_counter()
    computed = compute.compute(db, app.config, now)
    computed_s = time.perf_counter() - started
    settings = sender.Settings.from_config(app.config, vapid.load_or_create(app))
    sent = send.send_due(db, app.config, settings, now)
    send_s = time.perf_counter() - started - computed_s
    keep = timedelta(days=int(app.config["REMINDER_KEEP_DAYS"]))
    pruned = outbox.prune(db, times.to_stored(now), times.to_stored(now - keep))
    return {
        **computed,
        **sent,
        "pruned": pruned,
        "compute_s": computed_s,
        "send_s": send_s,
    }
