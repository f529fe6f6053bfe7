"""Send step of a reminders run: due reminders, quiet hours, delivery and its outcomes.

A reminder goes to every subscription of its user that has not had it yet. Quiet hours
hold a reminder (status held) until they end, unless it is urgent; one past its expiry is
dropped; 404/410 delete the subscription; 429, 5xx and timeouts try again on a later run
with back-off.
"""

from datetime import datetime, timedelta

from .. import times
from ..db import rows, write_lock
from ..push import sender, subscriptions
from . import messages, quiet

BATCH = 500
LEASE = timedelta(minutes=15)


def _claim(db, now: datetime, after_id: int) -> list[dict]:
    """Take the next batch of due reminders: their next attempt moves a lease ahead, so a
    run started while this one still sends (cron every minute) does not take them too. A
    run that dies mid-send leaves them to be tried again when the lease ends."""
    lease = times.to_stored(now + LEASE)
    with write_lock(db):
        batch = rows(
            db,
            "SELECT r.*, u.locale, u.timezone, p.quiet_start, p.quiet_end FROM reminder r"
            " JOIN app_user u ON u.id = r.user_id"
            " LEFT JOIN reminder_preference p ON p.user_id = r.user_id"
            " WHERE r.status IN ('pending', 'held') AND r.next_attempt_at <= ? AND r.id > ?"
            " ORDER BY r.id LIMIT ?",
            [times.to_stored(now), after_id, BATCH],
        )
        db.conn.executemany(
            "UPDATE reminder SET next_attempt_at = ? WHERE id = ?",
            [(lease, r["id"]) for r in batch],
        )
    return batch


def _held_until(reminder: dict, config, now: datetime) -> datetime | None:
    """When quiet hours hold this reminder, the time they end; else None."""
    if reminder["urgent"]:
        return None
    default_start, default_end = config["REMINDER_QUIET_HOURS"]
    start = quiet.parse_hhmm(reminder["quiet_start"] or default_start)
    end = quiet.parse_hhmm(reminder["quiet_end"] or default_end)
    zone = times.zone(reminder["timezone"] or config["BABEL_DEFAULT_TIMEZONE"])
    if start is None or end is None or not quiet.is_quiet(now, zone, start, end):
        return None
    return quiet.release_at(now, zone, end)


def _delivered(db, reminder_ids: list[int]) -> set[tuple]:
    if not reminder_ids:
        return set()
    marks = ",".join("?" * len(reminder_ids))
    return {
        (r["reminder_id"], r["subscription_id"])
        for r in rows(
            db,
            "SELECT reminder_id, subscription_id FROM reminder_delivery"
            f" WHERE reminder_id IN ({marks})",
            reminder_ids,
        )
    }


def send_due(db, config, settings: sender.Settings, now: datetime) -> dict:
    """Send every due reminder; return counts (sent pushes, held, expired, gone, retry...)."""
    counts = dict(
        reminders_sent=0, pushes=0, held=0, expired=0, no_device=0, gone=0, retry=0, failed=0
    )
    last_id = 0
    renderer = messages.Renderer()
    while batch := _claim(db, now, last_id):
        last_id = batch[-1]["id"]
        _send_batch(db, config, settings, now, batch, counts, renderer)
    return counts


def _send_batch(db, config, settings, now, batch, counts, renderer) -> None:
    now_iso = times.to_stored(now)
    ready = []
    with db.atomic():
        for reminder in batch:
            if reminder["expires_at"] < now_iso:
                db.execute("UPDATE reminder SET status = 'expired' WHERE id = ?", [reminder["id"]])
                counts["expired"] += 1
                continue
            until = _held_until(reminder, config, now)
            if until is not None:
                db.execute(
                    "UPDATE reminder SET status = 'held', next_attempt_at = ? WHERE id = ?",
                    [times.to_stored(until), reminder["id"]],
                )
                counts["held"] += 1
                continue
            ready.append(reminder)
    subs = subscriptions.for_users(db, sorted({r["user_id"] for r in ready}))
    done = _delivered(db, [r["id"] for r in ready])
    jobs, owners = [], []
    for reminder in ready:
        payload = renderer.render(reminder)
        for sub in subs.get(reminder["user_id"], []):
            if (reminder["id"], sub["id"]) not in done:
                jobs.append((sub, payload))
                owners.append(reminder)
    results: dict[int, list[str]] = {r["id"]: [] for r in ready}

    def record(back):
        # As they come back, in one small transaction for those that came back together.
        with write_lock(db):
            for i, outcome in back:
                results[owners[i]["id"]].append(outcome.result)
                _record(db, now, owners[i], jobs[i][0], outcome, counts)

    sender.send_all(settings, jobs, record)
    with write_lock(db):
        for reminder in ready:
            _settle(db, config, now, reminder, results[reminder["id"]], done, counts)


def _record(db, now, reminder, sub, outcome, counts) -> None:
    """One delivery's outcome, written as soon as it is back: a run that dies later in the
    batch has recorded this one, so no later run sends it again."""
    now_iso = times.to_stored(now)
    if outcome.result == "sent":
        counts["pushes"] += 1
        db.execute(
            "INSERT OR IGNORE INTO reminder_delivery (reminder_id, subscription_id,"
            " sent_at) VALUES (?, ?, ?)",
            [reminder["id"], sub["id"], now_iso],
        )
        db.execute(
            "UPDATE push_subscription SET last_sent_at = ?, last_error = NULL WHERE id = ?",
            [now_iso, sub["id"]],
        )
    elif outcome.result == "gone":
        counts["gone"] += 1
        db.execute("DELETE FROM push_subscription WHERE id = ?", [sub["id"]])
    else:
        # Only `HTTP <status>` or a fixed word (sender.UNREACHABLE, sender.INVALID); it was
        # `403 HTTP 403`, the status twice.
        db.execute(
            "UPDATE push_subscription SET last_error = ? WHERE id = ?",
            [(outcome.error or f"HTTP {outcome.status}")[:200], sub["id"]],
        )


def _settle(db, config, now, reminder, results: list[str], done: set, counts: dict) -> None:
    """The reminder's status from its deliveries: sent, retry later, failed or no device."""
    rid = reminder["id"]
    delivered_before = any(key[0] == rid for key in done)
    if "retry" in results:
        attempts = reminder["attempts"] + 1
        if attempts >= int(config["PUSH_MAX_RUNS"]):
            status, later = ("sent" if delivered_before or "sent" in results else "failed"), None
        else:
            status = "pending"
            minutes = min(60, 2 ** (attempts - 1))
            later = times.to_stored(now + timedelta(minutes=minutes))
        counts["retry"] += 1
        db.execute(
            "UPDATE reminder SET status = ?, attempts = ?, next_attempt_at = coalesce(?,"
            " next_attempt_at), last_error = 'retry' WHERE id = ?",
            [status, attempts, later, rid],
        )
        return
    if "sent" in results or delivered_before:
        status = "sent"
        counts["reminders_sent"] += 1
    elif not results:
        status = "no_device"
        counts["no_device"] += 1
    elif "failed" in results:
        status = "failed"
        counts["failed"] += 1
    else:
        status = "no_device"  # every subscription was gone
        counts["no_device"] += 1
    db.execute(
        "UPDATE reminder SET status = ?, sent_at = CASE WHEN ? = 'sent' THEN ? END,"
        " attempts = attempts + 1 WHERE id = ?",
        [status, status, times.to_stored(now), rid],
    )
