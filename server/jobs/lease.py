"""The scheduler's lease in SQLite: only its holder runs jobs.

One row of `job_lease` per lease name. Taking it is one write transaction (BEGIN
IMMEDIATE), so two schedulers asking at once cannot both get it: the row is free when
absent or expired, and its holder renews it before it expires. A holder that dies stops
renewing, and another takes the lease once `expires_at` has passed.
"""

from datetime import datetime, timedelta

from .. import times
from ..db import one, write_lock

NAME = "scheduler"


def take(db, holder: str, seconds: float, now: datetime, name: str = NAME) -> dict:
    """Take or renew the lease for `seconds` from `now` if it is free or ours.

    Returns {"held": bool, "holder": who holds it now, "expires_at": until when}.
    """
    now_text = times.to_stored(now)
    until = times.to_stored(now + timedelta(seconds=seconds))
    with write_lock(db):
        row = one(db, "SELECT holder, expires_at FROM job_lease WHERE name = ?", [name])
        if row is None or row["holder"] == holder or row["expires_at"] <= now_text:
            db.execute(
                "INSERT INTO job_lease (name, holder, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                " expires_at = excluded.expires_at",
                [name, holder, until],
            )
            return {"held": True, "holder": holder, "expires_at": until}
    return {"held": False, "holder": row["holder"], "expires_at": row["expires_at"]}


def holds(db, holder: str, now: datetime, name: str = NAME) -> bool:
    """Does `holder` hold an unexpired lease at `now`?"""
    row = one(db, "SELECT holder, expires_at FROM job_lease WHERE name = ?", [name])
    return bool(row) and row["holder"] == holder and row["expires_at"] > times.to_stored(now)


def release(db, holder: str, name: str = NAME) -> None:
    """Give the lease up (a clean stop), so another scheduler takes it at once."""
    with write_lock(db):
        db.execute("DELETE FROM job_lease WHERE name = ? AND holder = ?", [name, holder])
