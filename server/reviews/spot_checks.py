"""Spot checks ("three checks, one call", 三查一访): a supervisor marks a visit or work
order checked on site, by phone or video, or by a satisfaction call to the customer, with
the result and a note. Checks are only ever added."""

from ..ids import now_utc
from .history import add_on, on_record

METHODS = ("on_site", "phone", "video", "satisfaction_call")
RESULTS = ("ok", "problem")


def validate(form) -> tuple[dict, dict]:
    """Method and result are required; a problem needs a note. Returns (clean, errors)."""
    clean = {key: (form.get(key) or "").strip() for key in ("method", "result", "note")}
    errors = {}
    for key, allowed in (("method", METHODS), ("result", RESULTS)):
        if not clean[key]:
            errors[key] = "required"
        elif clean[key] not in allowed:
            errors[key] = "invalid_choice"
    if len(clean["note"]) > 2000:
        errors["note"] = "out_of_range"
    elif clean["result"] == "problem" and not clean["note"]:
        errors["note"] = "required"
    return clean, errors


def add(db, actor_id, entity: str, record: dict, clean: dict) -> dict:
    """Record a spot check of `record` (a visit or work order row) by `actor_id`."""
    values = {key: clean[key] for key in ("method", "result", "note")}
    values.update(checked_by=actor_id, checked_at=now_utc())
    return add_on(db, "spot_check", actor_id, entity, record, values)


def for_record(db, entity: str, entity_id: str) -> list[dict]:
    """A record's spot checks, newest first, with who made each."""
    by = ("checked_by", "checked_by_name")
    return on_record(db, "spot_check", entity, entity_id, by, "checked_at DESC")
