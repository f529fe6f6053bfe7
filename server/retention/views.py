"""Retention pages: retention tasks (with the rules that fired and their figures), recording
an outcome, the segment grid, retention rates by team and segment, and the churn policy.

Account managers see their own tasks; supervisors their subtree's; admins everything.
"""

import json

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _

from ..charts import bar_chart
from ..db import get_db, rows
from ..web import caller, finish, form_status, paginate, render, roles_required
from . import model, outcomes, segments
from . import policy as policies
from .run import run_rules

bp = Blueprint("retention", __name__, url_prefix="/retention")
STAFF = ("account_manager", "supervisor", "admin")
MANAGERS = ("supervisor", "admin")


def _filters() -> dict:
    args = request.args
    found = {key: args.get(key, "").strip() for key in ("status", "outcome", "tendency")}
    if found["status"] not in ("", "open", "closed"):
        found["status"] = ""
    if found["outcome"] not in ("", *model.OUTCOMES):
        found["outcome"] = ""
    if found["tendency"] not in ("", "high", "medium", "low"):
        found["tendency"] = ""
    return found


@bp.get("/")
@roles_required(*STAFF)
def index():
    filters = _filters()
    where, params = model.visible(caller(), "t")
    sql = f"{model.LIST_SQL} AND {where}"
    for key in ("status", "outcome", "tendency"):
        if filters[key]:
            sql += f" AND t.{key} = ?"
            params = [*params, filters[key]]
    listing = paginate(sql, params, "t.status DESC, t.due_date, c.name")
    return render("retention/list.html", "retention/_table.html", listing=listing, filters=filters)


def _task_or_404(task_id: str) -> dict:
    where, params = model.visible(caller(), "t")
    found = rows(get_db(), f"{model.LIST_SQL} AND t.id = ? AND {where}", [task_id, *params])
    if not found:
        abort(404)
    task = found[0]
    task["reasons_data"] = json.loads(task["reasons"])
    return task


def _warnings(task: dict) -> list[dict]:
    found = rows(
        get_db(),
        "SELECT * FROM churn_warning WHERE customer_id = ? ORDER BY month DESC LIMIT 24",
        [task["customer_id"]],
    )
    for w in found:
        w["fired_data"] = json.loads(w["fired"])
    return found


@bp.get("/tasks/<task_id>")
@roles_required(*STAFF)
def detail(task_id):
    task = _task_or_404(task_id)
    return render("retention/detail.html", task=task, warnings=_warnings(task), errors={}, form={})


@bp.post("/tasks/<task_id>/outcome")
@roles_required(*STAFF)
def outcome(task_id):
    task = _task_or_404(task_id)
    form = {"outcome": request.form.get("outcome", ""), "reason": request.form.get("reason", "")}
    errors = model.validate_outcome(form["outcome"], form["reason"])
    if task["status"] == "closed" and task["outcome"] == form["outcome"] and not errors:
        # the same outcome again (a double click, a resent form): recorded already
        return finish(url_for("retention.detail", task_id=task_id))
    if task["status"] == "closed":
        errors["outcome"] = "already_closed"
    if errors:
        return render(
            "retention/detail.html",
            task=task,
            warnings=_warnings(task),
            errors=errors,
            form=form,
            status=form_status(errors),
        )
    try:
        model.record_outcome(get_db(), caller().id, task_id, form["outcome"], form["reason"])
    except model.AlreadyClosed as closed:  # closed meanwhile (a device, another request)
        if closed.outcome == form["outcome"]:
            return finish(url_for("retention.detail", task_id=task_id))
        return render(
            "retention/detail.html",
            task=_task_or_404(task_id),
            warnings=_warnings(task),
            errors={"outcome": "already_closed"},
            form=form,
            status=409,
        )
    flash(_("Outcome recorded."))
    return finish(url_for("retention.detail", task_id=task_id))


@bp.get("/segments")
@roles_required(*MANAGERS)
def segment_grid():
    bundling = request.args.get("bundling", "")
    if bundling not in ("", *segments.BUNDLINGS):
        bundling = ""
    found = segments.grid(get_db(), caller(), bundling)
    return render(
        "retention/segments.html",
        grid=found,
        bundling=bundling,
        tiers=segments.TIERS,
        tendencies=segments.TENDENCIES,
        bundlings=segments.BUNDLINGS,
    )


@bp.get("/outcomes")
@roles_required(*MANAGERS)
def rates():
    group = request.args.get("by", "team")
    found = outcomes.rates(get_db(), caller(), group)
    series = [
        (
            str(g["name"]) if found["group"] == "team" else str(g["name"]),
            [g["by_month"].get(m, {}).get("rate") for m in found["months"]],
        )
        for g in found["groups"][:8]
    ]
    chart = bar_chart(_("Retention rate"), found["months"], series, unit="%", ceiling=100)
    return render("retention/outcomes.html", rates=found, chart=chart, groups=outcomes.GROUPS)


@bp.route("/policy", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def policy():
    db = get_db()
    current = policies.current(db)
    errors, form = {}, {}
    if request.method == "POST":
        if caller().role != "admin":
            abort(403)
        form = request.form
        clean, errors = policies.validate(form)
        if not errors:
            version = policies.save(db, caller().id, clean["rules"], clean["note"])
            flash(_("Churn policy version %(v)s saved.", v=version))
            return finish(url_for("retention.policy"))
    return render(
        "retention/policy.html",
        current=current,
        history=policies.history(db),
        errors=errors,
        form=form,
        rules=policies.RULES,
        status=form_status(errors) if errors else 200,
    )


@bp.post("/run")
@roles_required("admin")
def run_now():
    found = run_rules(get_db(), actor_id=caller().id)
    flash(
        _(
            "Churn rules for %(month)s: %(n)d new warnings, %(t)d retention tasks opened.",
            month=found["month"] or "–",
            n=found["warnings"],
            t=found["tasks"],
        )
    )
    return finish(url_for("retention.index"))
