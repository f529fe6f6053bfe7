"""A user's quiet hours (default REMINDER_QUIET_HOURS, in the user's own time zone)."""

from ..db import one
from ..ids import now_utc
from ..reminders.quiet import parse_hhmm


def quiet_hours(db, config, user_id: str) -> dict:
    """The user's quiet hours as {'quiet_start': 'HH:MM', 'quiet_end': 'HH:MM'}."""
    found = one(
        db, "SELECT quiet_start, quiet_end FROM reminder_preference WHERE user_id = ?", [user_id]
    )
    if found:
        return found
    start, end = config["REMINDER_QUIET_HOURS"]
    return {"quiet_start": start, "quiet_end": end}


def validate(form) -> tuple[dict, dict]:
    """Both times as HH:MM; the same time twice means no quiet hours."""
    clean, errors = {}, {}
    for key in ("quiet_start", "quiet_end"):
        raw = (form.get(key) or "").strip()
        parsed = parse_hhmm(raw) if raw else None
        if parsed is None:
            errors[key] = "invalid_time" if raw else "required"
        else:
            clean[key] = parsed.strftime("%H:%M")
    return clean, errors


def save(db, user_id: str, clean: dict) -> None:
    db.execute(
        "INSERT INTO reminder_preference (user_id, quiet_start, quiet_end, updated_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET quiet_start ="
        " excluded.quiet_start, quiet_end = excluded.quiet_end, updated_at = excluded.updated_at",
        [user_id, clean["quiet_start"], clean["quiet_end"], now_utc()],
    )
