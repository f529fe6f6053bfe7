"""Spot checks ("three checks, one call", 三查一访): a supervisor marks a visit or work
order checked on site, by phone or video, or by a satisfaction call to the customer, with
the result and a note. Checks are only ever added."""

from .. import records
from ..db import rows
from ..ids import now_utc

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
    values = dict(
        entity=entity,
        entity_id=record["id"],
        method=clean["method"],
        result=clean["result"],
        note=clean["note"],
        checked_by=actor_id,
        checked_at=now_utc(),
        org_id=record["org_id"],
    )
    return records.insert(db, "spot_check", values, actor_id)


def for_record(db, entity: str, entity_id: str) -> list[dict]:
    """A record's spot checks, newest first, with who made each."""
    return rows(
        db,
        "SELECT s.*, u.display_name AS checked_by_name FROM spot_check s"
        " LEFT JOIN app_user u ON u.id = s.checked_by"
        " WHERE s.entity = ? AND s.entity_id = ? AND s.deleted_at IS NULL"
        " ORDER BY s.checked_at DESC, s.version DESC",
        [entity, entity_id],
    )
