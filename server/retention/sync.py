"""What retention registers with sync: the `retention_task` entity and `retention.outcome`."""

from sync import PermanentError
from sync import args as check
from sync.registry import EntitySpec

from ..sync_keys import owned_keys
from . import model


def outcome(ctx, args):
    """retention.outcome {id, outcome, reason, at}: the assignee records how it ended."""
    task_id = check.uuid_id(args)
    chosen = check.choice(args, "outcome", model.OUTCOMES)
    reason = check.text(args, "reason", max_length=model.MAX_REASON, required=True)
    at = check.device_time(args)
    task = model.get_visible(ctx.db, ctx.caller, task_id)
    if task is None or task["deleted_at"]:  # missing or not the caller's: the same answer
        raise PermanentError("unknown_task", "no such retention task", arg="id")
    if task["status"] == "closed":
        if task["outcome"] == chosen:
            return {"id": task_id, "already": True}
        raise PermanentError("already_closed", f"closed already as {task['outcome']}")
    try:
        row = model.record_outcome(ctx.db, ctx.user_id, task_id, chosen, reason, device_at=at)
    except model.AlreadyClosed as closed:  # closed meanwhile by the web page
        if closed.outcome == chosen:
            return {"id": task_id, "already": True}
        raise PermanentError("already_closed", f"closed already as {closed.outcome}") from None
    return {"id": task_id, "version": row["version"]}


def register(registry) -> None:
    """Retention tasks replicate to their assignee (and supervisors' subtrees)."""
    registry.entity(
        EntitySpec(
            "retention_task", "retention_task", model.visible, keys=owned_keys("assignee_id")
        )
    )
    registry.mutation("retention.outcome")(outcome)
