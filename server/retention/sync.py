"""What retention registers with sync: the `retention_task` entity and `retention.outcome`."""

import re

from sync import PermanentError
from sync.registry import EntitySpec

from ..db import one
from . import model

ID = re.compile(r"^[0-9a-fA-F-]{32,36}$")


def outcome(ctx, args):
    """retention.outcome {id, outcome, reason, at}: the assignee records how it ended."""
    task_id = args.get("id")
    if not isinstance(task_id, str) or not ID.match(task_id):
        raise PermanentError("bad_args", "id must be a UUID")
    errors = model.validate_outcome(args.get("outcome"), args.get("reason"))
    if errors:
        raise PermanentError("bad_args", ", ".join(f"{k}: {v}" for k, v in errors.items()))
    task_id = task_id.lower()
    if one(ctx.db, "SELECT id FROM retention_task WHERE id = ?", [task_id]) is None:
        raise PermanentError("unknown_task", "no such retention task")
    task = model.get_visible(ctx.db, ctx.caller, task_id)
    if task is None or task["deleted_at"]:
        raise PermanentError("not_found", "no such retention task")
    if task["status"] == "closed":
        if task["outcome"] == args["outcome"]:
            return {"id": task_id, "already": True}
        raise PermanentError("already_closed", f"closed already as {task['outcome']}")
    at = args.get("at") if isinstance(args.get("at"), str) and len(args["at"]) <= 40 else None
    try:
        row = model.record_outcome(
            ctx.db, ctx.user_id, task_id, args["outcome"], args["reason"], device_at=at
        )
    except model.AlreadyClosed as closed:  # closed meanwhile by the web page
        if closed.outcome == args["outcome"]:
            return {"id": task_id, "already": True}
        raise PermanentError("already_closed", f"closed already as {closed.outcome}") from None
    return {"id": task_id, "version": row["version"]}


def register(registry) -> None:
    """Retention tasks replicate to their assignee (and supervisors' subtrees)."""
    registry.entity(EntitySpec("retention_task", "retention_task", model.visible))
    registry.mutation("retention.outcome")(outcome)
