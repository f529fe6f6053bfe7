"""What the tasks domain registers with sync: the `task` entity and `task.complete`."""

import re

from sync import PermanentError
from sync.registry import EntitySpec

from ..db import one
from . import model

ID = re.compile(r"^[0-9a-fA-F-]{32,36}$")


def complete(ctx, args):
    """task.complete {id, at, note?}: the assignee marks a free-text task done."""
    task_id = args.get("id")
    note = args.get("note") or ""
    if not isinstance(task_id, str) or not ID.match(task_id):
        raise PermanentError("bad_args", "id must be a UUID")
    if not isinstance(note, str) or len(note) > 2000:
        raise PermanentError("bad_args", "note must be text up to 2000 characters")
    task_id = task_id.lower()
    if one(ctx.db, "SELECT id FROM task WHERE id = ?", [task_id]) is None:
        raise PermanentError("unknown_task", "no such task")
    where, params = model.visible(ctx.caller)
    task = one(ctx.db, f"SELECT * FROM task WHERE id = ? AND {where}", [task_id, *params])
    if task is None:
        raise PermanentError("not_found", "no such task")
    if task["kind"] != "free_text":
        raise PermanentError("bad_args", "only a free-text task is marked done by hand")
    if task["status"] == "cancelled":
        raise PermanentError("task_cancelled", "the task was cancelled")
    if task["done_at"]:
        return {"id": task_id, "already": True}
    at = args.get("at") if isinstance(args.get("at"), str) else None
    row = model.complete(ctx.db, ctx.user_id, task_id, note.strip(), device_at=at)
    return {"id": task_id, "version": row["version"]}


def register(registry) -> None:
    """Tasks replicate to their assignee (and supervisors' subtrees); free text is marked done."""
    registry.entity(EntitySpec("task", "task", model.visible))
    registry.mutation("task.complete")(complete)
