"""Work-order mutations from technicians' devices (registered in sync.py).

Each re-checks the caller's scope now; an order taken away (reassigned) or frozen
(approved, closed, cancelled) keeps the work as a late edit for the supervisor.
"""

from functools import partial

from sync import PermanentError
from sync import args as check
from sync.fields import load_clock, merge

from .. import records, scope
from ..db import one
from ..reviews import history
from ..visits.attachments import photo_values
from ..visits.rules import gps_evidence
from . import checklist_gate, model, rules
from .fieldwork import parts_list, step_args, transition, workable

REPORT_FIELDS = {"diagnosis", "cause", "fix", "parts_used"}
MAX_REPORT = 5000
STAGES = ("before", "after", "evidence")


def accept(ctx, args):
    """work_order.accept {id, at}: the technician takes the order (claims a team's order)."""
    oid = check.uuid_id(args)
    step_args(args)
    order, held = workable(ctx, oid, args)
    if held:
        return held
    extra = {} if order["assignee_id"] else {"assignee_id": ctx.user_id}
    return transition(ctx, order, "accepted", args, extra)


def travel(ctx, args):
    """work_order.travel {id, at, lat?, lon?}: on the way to the site."""
    oid = check.uuid_id(args)
    lat, lon, _ = check.position(args)
    step_args(args)
    order, held = workable(ctx, oid, args)
    if held:
        return held
    return transition(ctx, order, "en_route", args, position=(lat, lon))


def arrive(ctx, args):
    """work_order.arrive {id, at, lat, lon, accuracy}: GPS check-in on site."""
    oid = check.uuid_id(args)
    lat, lon, acc = check.position(args)
    step_args(args)
    order, held = workable(ctx, oid, args)
    if held:
        return held
    site = one(ctx.db, "SELECT lat, lon FROM site WHERE id = ?", [order["site_id"]]) or {}
    cfg = ctx.extra["config"]
    distance, flag = gps_evidence(
        lat,
        lon,
        acc,
        site.get("lat"),
        site.get("lon"),
        far_m=cfg["VISIT_FAR_METERS"],
        low_accuracy_m=cfg["VISIT_LOW_ACCURACY_METERS"],
    )
    extra = dict(
        check_in_lat=lat,
        check_in_lon=lon,
        check_in_accuracy=acc,
        check_in_distance_m=distance,
        check_in_flag=flag.replace("customer", "site"),
    )
    result = transition(ctx, order, "on_site", args, extra, position=(lat, lon))
    return {**result, "distance_m": distance, "flag": extra["check_in_flag"]}


def validate_report(fields: dict, prefix: str = "") -> dict:
    """The clean values of a work-order report's fields (raises on a bad one; `prefix`
    names them in the error, e.g. "fields.")."""
    out = {}
    for key in fields:
        name = f"{prefix}{key}"
        if key == "parts_used":
            out[key] = parts_list(fields, key, name)
        else:
            out[key] = check.text(fields, key, max_length=MAX_REPORT, strip=False, name=name)
    return out


def update(ctx, args):
    """work_order.update {id, fields}: diagnosis, cause, fix, parts used (last writer wins)."""
    oid = check.uuid_id(args)
    fields = validate_report(check.fields(args, allowed=REPORT_FIELDS), "fields.")
    order, held = workable(ctx, oid, args)
    if held:
        return held
    result = merge(
        order, load_clock(order["field_clock"]), fields, ctx.hlc, ctx.base_version, set()
    )
    row = records.update(ctx.db, "work_order", oid, result.apply, ctx.user_id, clock=result.clock)
    return {"id": oid, "version": row["version"], "ignored": result.ignored}


def resolve(ctx, args):
    """work_order.resolve {id, at, diagnosis?, cause?, fix?, parts_used?}: service restored."""
    oid = check.uuid_id(args)
    fields = validate_report({k: args[k] for k in REPORT_FIELDS if k in args})
    step_args(args)
    order, held = workable(ctx, oid, args)
    if held:
        return held
    _checklist_gate(ctx, order)
    return transition(ctx, order, "resolved", args, fields)


def _checklist_gate(ctx, order: dict) -> None:
    """An inspection is resolved and submitted only with its whole checklist answered."""
    refused = checklist_gate.refusal(ctx.db, order)
    if refused:
        raise PermanentError(*refused)


def submit(ctx, args):
    """work_order.submit {id, at}: hand the report in for review (again, after a return:
    kept in the review history as a resubmission)."""
    oid = check.uuid_id(args)
    step_args(args)
    order, held = workable(ctx, oid, args)
    if held:
        return held
    if rules.can(order["wo_type"], order["status"], "submitted"):
        _checklist_gate(ctx, order)
    result = transition(ctx, order, "submitted", args)
    if order["status"] == "returned":
        row = {"id": oid, "org_id": order["org_id"]}
        history.record(ctx.db, ctx.user_id, "work_order", row, "resubmit", at=ctx.server_time)
    return result


def add_photo(ctx, args):
    """work_order.add_photo {id, work_order_id, stage, sha256, mime, size, caption?}."""
    stage = partial(check.choice, args, "stage", STAGES, default="evidence")
    values = photo_values(args, "work_order_id", stage=stage)
    _order, held = workable(ctx, values["work_order_id"], args, "work_order_id")
    if held:
        return held
    return records.insert_child(ctx, "work_order_photo", values, ("work_order_id", "sha256"))


def _site(ctx, args: dict) -> str | None:
    """The optional site an exception report names: one the caller may see (a site that
    does not exist and another branch's get the same rejection)."""
    site_id = check.uuid_id(args, "site_id", required=False)
    if site_id is None:
        return None
    where, params = scope.sites(ctx.caller)
    if one(ctx.db, f"SELECT id FROM site WHERE id = ? AND {where}", [site_id, *params]) is None:
        raise PermanentError("unknown_site", "no such site", arg="site_id")
    return site_id


def report_exception(ctx, args):
    """work_order.report_exception {id, title, description, lat, lon, accuracy, at,
    site_id?}: something abnormal seen in the field, filed already submitted."""
    oid = check.uuid_id(args)
    lat, lon, _ = check.position(args)
    title = check.text(args, "title", max_length=200, required=True)
    description = check.text(args, "description", max_length=MAX_REPORT)
    step_args(args)
    existing = one(ctx.db, "SELECT * FROM work_order WHERE id = ?", [oid])
    if existing:
        mine = (existing["reported_by"], existing["wo_type"]) == (ctx.user_id, "exception_report")
        if not mine:
            raise check.taken()
        return {"id": oid, "already": True}
    row = model.create_order(
        ctx.db,
        ctx.user_id,
        wo_type="exception_report",
        id=oid,
        org_id=ctx.caller.org_id,
        title=title,
        description=description,
        reported_by=ctx.user_id,
        lat=lat,
        lon=lon,
        site_id=_site(ctx, args),
        at=ctx.server_time,
    )
    return {"id": oid, "version": row["version"], "code": row["code"]}


__all__ = [
    "accept",
    "travel",
    "arrive",
    "update",
    "resolve",
    "submit",
    "add_photo",
    "report_exception",
]
