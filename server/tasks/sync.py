"""What the tasks domain registers with sync: the `task` entity and `task.complete`."""

from sync import PermanentError
from sync import args as check
from sync.registry import EntitySpec

from ..db import one
from ..sync_keys import owned_keys
from . import model


def complete(ctx, args):
    """task.complete {id, at, note?}: the assignee marks a free-text task done."""
    task_id = check.uuid_id(args)
    note = check.text(args, "note", max_length=2000)
    at = check.device_time(args)
    where, params = model.visible(ctx.caller)
    task = one(ctx.db, f"SELECT * FROM task WHERE id = ? AND {where}", [task_id, *params])
    if task is None:  # missing or not the caller's: the same answer
        raise PermanentError("unknown_task", "no such task", arg="id")
    if task["kind"] != "free_text":
        raise PermanentError("bad_args", "only a free-text task is marked done by hand", arg="id")
    if task["status"] == "cancelled":
        raise PermanentError("task_cancelled", "the task was cancelled")
    if task["done_at"]:
        return {"id": task_id, "already": True}
    row = model.complete(ctx.db, ctx.user_id, task_id, note, device_at=at)
    return {"id": task_id, "version": row["version"]}


def register(registry) -> None:
    """Tasks replicate to their assignee (and supervisors' subtrees); free text is marked done."""
    registry.entity(EntitySpec("task", "task", model.visible, keys=owned_keys("assignee_id")))
    registry.mutation("task.complete")(complete)
