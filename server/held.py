"""What sync held on one record for a supervisor, as its detail page shows it.

Open late edits and conflicts (sync/conflicts.py) of a visit, a work order or any other
synced record, each with who sent it and what they sent, pretty-printed. The page renders
them with templates/shared/_held.html; the reviews inbox is where they are resolved.
"""

import json

from sync.conflicts import open_for

from .db import rows


def users_by_id(db, user_ids) -> dict[str, str]:
    """Display names of the given users, by id (unknown ids are left out)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    sql = f"SELECT id, display_name FROM app_user WHERE id IN ({marks})"
    return {r["id"]: r["display_name"] for r in rows(db, sql, ids)}


def held_edits(db, entity: str, record_id: str) -> list[dict]:
    """Open late edits and conflicts on one record, oldest first as sync/conflicts lists them,
    with `user_name` (who sent it; their id if unknown) and `args_shown` (the args sent)."""
    held = open_for(db, entity, record_id)
    names = users_by_id(db, [c["user_id"] for c in held])
    for c in held:
        c["user_name"] = names.get(c["user_id"], c["user_id"])
        try:
            args = json.loads(c["args"])
        except ValueError:
            args = c["args"]
        c["args_shown"] = json.dumps(args, ensure_ascii=False, indent=2, sort_keys=True)
    return held
