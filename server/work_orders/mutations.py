"""Work-order mutations from technicians' devices (registered in sync.py).

Each re-checks the caller's scope now; an order taken away (reassigned) or frozen
(approved, closed, cancelled) keeps the work as a late edit for the supervisor.
"""

from sync import PermanentError
from sync.fields import load_clock, merge

from .. import records
from ..db import one
from ..reviews import history
from ..visits.mutations import _position
from ..visits.rules import gps_evidence
from . import model
from .fieldwork import late, order_id, text_list, transition, workable

REPORT_FIELDS = {"diagnosis", "cause", "fix", "parts_used"}


def accept(ctx, args):
    """work_order.accept {id, at}: the technician takes the order (claims a team's order)."""
    oid = order_id(args)
    order, held = workable(ctx, oid, args)
    if held:
        return held
    extra = {} if order["assignee_id"] else {"assignee_id": ctx.user_id}
    return transition(ctx, order, "accepted", args, extra)


def travel(ctx, args):
    """work_order.travel {id, at, lat?, lon?}: on the way to the site."""
    oid = order_id(args)
    lat, lon, _ = _position(args)
    order, held = workable(ctx, oid, args)
    if held:
        return held
    return transition(ctx, order, "en_route", args, position=(lat, lon))


def arrive(ctx, args):
    """work_order.arrive {id, at, lat, lon, accuracy}: GPS check-in on site."""
    oid = order_id(args)
    lat, lon, acc = _position(args)
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


def _report(fields: dict) -> dict:
    unknown = set(fields) - REPORT_FIELDS
    if unknown:
        raise PermanentError("bad_args", f"not editable: {', '.join(sorted(unknown))}")
    out = {}
    for key, value in fields.items():
        if key == "parts_used":
            out[key] = text_list(value, key)
        elif not isinstance(value, str) or len(value) > 5000:
            raise PermanentError("bad_args", f"{key} must be text up to 5000 characters")
        else:
            out[key] = value
    return out


def update(ctx, args):
    """work_order.update {id, fields}: diagnosis, cause, fix, parts used (last writer wins)."""
    oid = order_id(args)
    fields = args.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise PermanentError("bad_args", "fields must be a non-empty object")
    fields = _report(fields)
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
    oid = order_id(args)
    fields = _report({k: args[k] for k in REPORT_FIELDS if k in args})
    order, held = workable(ctx, oid, args)
    if held:
        return held
    if order["wo_type"] == "inspection":
        from .inspection_mutations import checklist_state

        done, missing = checklist_state(ctx.db, order)
        if not done:
            labels = "; ".join(f"{m['label']} ({', '.join(m['problems'])})" for m in missing)
            raise PermanentError("checklist_incomplete", f"{len(missing)} items: {labels}")
    return transition(ctx, order, "resolved", args, fields)


def submit(ctx, args):
    """work_order.submit {id, at}: hand the report in for review (again, after a return:
    kept in the review history as a resubmission)."""
    oid = order_id(args)
    order, held = workable(ctx, oid, args)
    if held:
        return held
    result = transition(ctx, order, "submitted", args)
    if order["status"] == "returned":
        row = {"id": oid, "org_id": order["org_id"]}
        history.record(ctx.db, ctx.user_id, "work_order", row, "resubmit", at=ctx.server_time)
    return result


def add_photo(ctx, args):
    """work_order.add_photo {id, work_order_id, stage, sha256, mime, size, caption?}."""
    from ..visits.attachments import _blob_ref

    photo_id, oid = order_id(args), order_id(args, "work_order_id")
    sha, mime, size = _blob_ref(args)
    stage = args.get("stage", "evidence")
    if stage not in ("before", "after", "evidence"):
        raise PermanentError("bad_args", "stage must be before, after or evidence")
    order, held = workable(ctx, oid, args)
    if held:
        return held
    if one(ctx.db, "SELECT id FROM work_order_photo WHERE id = ?", [photo_id]):
        return {"id": photo_id, "already": True}
    values = dict(
        id=photo_id,
        work_order_id=oid,
        stage=stage,
        sha256=sha,
        mime=mime,
        size=size,
        caption=str(args.get("caption") or "")[:500],
        taken_at=args.get("taken_at"),
    )
    row = records.insert(ctx.db, "work_order_photo", values, ctx.user_id)
    return {"id": photo_id, "version": row["version"]}


def report_exception(ctx, args):
    """work_order.report_exception {id, title, description, lat, lon, accuracy, at,
    site_id?}: something abnormal seen in the field, filed already submitted."""
    oid = order_id(args)
    lat, lon, _ = _position(args)
    title = args.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        raise PermanentError("bad_args", "title must be text of 1-200 characters")
    if one(ctx.db, "SELECT id FROM work_order WHERE id = ?", [oid]):
        return {"id": oid, "already": True}
    site_id = args.get("site_id") or None
    if site_id and one(ctx.db, "SELECT id FROM site WHERE id = ?", [site_id]) is None:
        raise PermanentError("unknown_site", "no such site")
    row = model.create_order(
        ctx.db,
        ctx.user_id,
        wo_type="exception_report",
        id=oid,
        org_id=ctx.caller.org_id,
        title=title.strip(),
        description=str(args.get("description") or "")[:5000],
        reported_by=ctx.user_id,
        lat=lat,
        lon=lon,
        site_id=site_id,
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
    "late",
]
