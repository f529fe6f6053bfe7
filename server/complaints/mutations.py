"""Complaint mutations a field user sends, registered with the sync protocol.

An account manager records a complaint offline, on a visit or from the customer screen
(`complaint.add`, its id made on the device, applied once), corrects what the customer said
(`complaint.update`, per field, last writer wins by HLC as `visit.update`), and records the
feedback given once a complaint is handled (`complaint.give_feedback`). Classifying,
investigating, handling, reassigning and archiving are the supervisors' (the web pages).

Every id is checked against the caller's scope now: a complaint they may not see answers
`unknown_complaint`, exactly as one that does not exist (never a false success). Work on a
complaint taken from its owner while the device was offline, or on an archived one, is held
as a late edit for a supervisor.
"""

from sync import PermanentError
from sync import args as check
from sync.fields import load_clock, merge

from .. import held, records, scope
from ..customers.sync import customer_in_scope
from ..db import one
from . import model, states
from .policy import SEVERITIES, categories

EDITABLE = ("words", "channel", "visit_id")


def _unknown(key: str) -> PermanentError:
    return PermanentError("unknown_complaint", "no such complaint", arg=key)


WRITES = held.Writes(
    "complaint",
    scope.complaints,
    ("archived",),
    lambda ctx, row: records.once_held(ctx.db, "complaint", row["id"], "owner_id", ctx.user_id),
    _unknown,
)


def _visit(ctx, visit_id: str | None, customer_id: str) -> str | None:
    """The optional visit the complaint was recorded on: one of the caller's, of the same
    customer; unknown_visit otherwise (another's visit is answered like a missing one)."""
    if visit_id is None:
        return None
    where, params = scope.visits(ctx.caller)
    sql = f"SELECT id FROM visit WHERE id = ? AND customer_id = ? AND {where}"
    if one(ctx.db, sql, [visit_id, customer_id, *params]) is None:
        raise PermanentError("unknown_visit", "no such visit", arg="visit_id")
    return visit_id


def _words(args: dict, name="words") -> str:
    return check.text(args, "words", max_length=model.MAX_WORDS, required=True, name=name)


def add(ctx, args):
    """complaint.add {id, customer_id, channel, category, severity, words, visit_id?, at?}."""
    complaint_id, customer_id = check.uuid_id(args), check.uuid_id(args, "customer_id")
    clean = {
        "channel": check.choice(args, "channel", model.CHANNELS),
        "category": check.choice(args, "category", categories(ctx.db, ctx.server_time)),
        "severity": check.choice(args, "severity", SEVERITIES),
        "words": _words(args),
        "received_at": ctx.server_time,
        "received_device_at": check.device_time(args),
    }
    visit_id = check.uuid_id(args, "visit_id", required=False)
    existing = one(ctx.db, "SELECT * FROM complaint WHERE id = ?", [complaint_id])
    if existing is not None:
        if (existing["recorded_by"], existing["customer_id"]) != (ctx.user_id, customer_id):
            raise check.taken()
        return {"id": complaint_id, "already": True}
    customer = customer_in_scope(ctx, args)
    if customer is None:  # reassigned while offline: the complaint is real, keep it
        return held.hold_late(ctx, "complaint", complaint_id, "reassigned", args)
    clean["visit_id"] = _visit(ctx, visit_id, customer_id)
    row = model.record(ctx.db, ctx.user_id, customer, clean, complaint_id)
    return {"id": complaint_id, "version": row["version"]}


def update(ctx, args):
    """complaint.update {id, fields}: words, channel, visit_id (last writer wins per field)."""
    complaint_id = check.uuid_id(args)
    fields = check.fields(args, allowed=EDITABLE)
    clean = {}
    if "words" in fields:
        clean["words"] = _words(fields, "fields.words")
    if "channel" in fields:
        clean["channel"] = check.choice(fields, "channel", model.CHANNELS, name="fields.channel")
    if "visit_id" in fields:
        visit_id = check.uuid_id(fields, "visit_id", required=False, name="fields.visit_id")
    complaint, late = held.writable(ctx, WRITES, complaint_id, args)
    if late:
        return late
    if "visit_id" in fields:
        clean["visit_id"] = _visit(ctx, visit_id, complaint["customer_id"])
    clock = load_clock(complaint["field_clock"])
    result = merge(complaint, clock, clean, ctx.hlc, ctx.base_version, ())
    row = records.update(
        ctx.db,
        "complaint",
        complaint_id,
        result.apply,
        ctx.user_id,
        clock=result.clock,
        before=complaint,
    )
    return {"id": complaint_id, "version": row["version"], "ignored": result.ignored}


def give_feedback(ctx, args):
    """complaint.give_feedback {id, how, reaction, note?, at?}: how the customer was told of
    the handling and how they took it (handled → feedback_given)."""
    complaint_id = check.uuid_id(args)
    feedback = {
        "feedback_how": check.choice(args, "how", model.FEEDBACK_HOW),
        "feedback_reaction": check.choice(args, "reaction", model.REACTIONS),
        "feedback_note": check.text(args, "note", max_length=model.MAX_REASON),
    }
    check.device_time(args)  # evidence of when; the step is stamped with the server's time
    complaint, late = held.writable(ctx, WRITES, complaint_id, args)
    if late:
        return late
    if complaint["status"] == "feedback_given":
        if all(complaint[k] == v for k, v in feedback.items()):
            return {"id": complaint_id, "already": True}
    if states.next_status(complaint["status"], "give_feedback") is None:
        raise PermanentError(
            "illegal_transition", f"cannot give feedback on a {complaint['status']} complaint"
        )
    row = model.transition(ctx.db, ctx.user_id, complaint, "give_feedback", **feedback)
    return {"id": complaint_id, "version": row["version"]}


MUTATIONS = {
    "complaint.add": add,
    "complaint.update": update,
    "complaint.give_feedback": give_feedback,
}
