"""Billing import pages: upload a month's CSV, read the dry run, import it once.

Supervisors import for the customers of their subtree, admins for all. The uploaded file is
kept as an import batch of the caller's (server/imports/engine.store), as every import is.
"""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from ..csvio import read_upload
from ..db import get_db
from ..imports import engine
from ..retention.run import latest_month, run_rules
from ..web import caller, render, roles_required
from . import importer

bp = Blueprint("billing", __name__, url_prefix="/billing")
KIND = "billing:"


@bp.get("/")
@roles_required("supervisor", "admin")
def index():
    db = get_db()
    return render(
        "billing/index.html",
        errors={},
        form={},
        columns=importer.COLUMNS,
        imports=importer.history(db, caller()),
        months=importer.months(db),
    )


@bp.post("/")
@roles_required("supervisor", "admin")
def upload():
    db = get_db()
    month = (request.form.get("month") or "").strip()
    errors = {}
    if importer.month_error(month):
        errors["month"] = importer.month_error(month)
    upload_file = request.files.get("file")
    text, error = read_upload(upload_file)
    if error:
        errors["file"] = error
    if errors:
        return render(
            "billing/index.html",
            errors=errors,
            form={"month": month},
            columns=importer.COLUMNS,
            imports=importer.history(db, caller()),
            months=importer.months(db),
            status=422,
        )
    batch_id = engine.store(db, caller(), KIND + month, upload_file.filename or "", text)
    return redirect(url_for("billing.batch", batch_id=batch_id))


def _batch_or_404(batch_id: str) -> tuple[dict, str]:
    batch = engine.get_batch(get_db(), caller(), batch_id)
    if batch is None or not batch["kind"].startswith(KIND):
        abort(404)
    return batch, batch["kind"][len(KIND) :]


@bp.get("/batch/<batch_id>")
@roles_required("supervisor", "admin")
def batch(batch_id):
    batch, month = _batch_or_404(batch_id)
    outcome = None
    if not batch["applied_at"]:
        outcome = importer.import_month(get_db(), caller(), month, batch["content"], dry_run=True)
    return render("billing/batch.html", batch=batch, month=month, outcome=outcome)


@bp.post("/batch/<batch_id>/apply")
@roles_required("supervisor", "admin")
def apply(batch_id):
    db = get_db()
    batch, month = _batch_or_404(batch_id)

    def write():
        outcome = importer.import_month(
            db, caller(), month, batch["content"], filename=batch["filename"], batch_id=batch_id
        )
        if not outcome.applied:
            raise engine.Refused(outcome)
        return outcome

    try:
        outcome = engine.apply_once(db, batch_id, write)
    except engine.AlreadyApplied:
        refused = _("This file was imported already; a file is imported once.")
        return render("billing/batch.html", batch=batch, month=month, refused=refused, status=409)
    if not outcome.applied:
        return render("billing/batch.html", batch=batch, month=month, outcome=outcome, status=422)
    found = None
    if month == latest_month(db):
        found = run_rules(db, month, actor_id=caller().id)
    flash(
        _(
            "Billing for %(month)s imported: %(added)d added, %(changed)d changed,"
            " %(removed)d removed, %(same)d unchanged.",
            month=month,
            added=outcome.added,
            changed=outcome.changed,
            removed=outcome.removed,
            same=outcome.unchanged,
        )
    )
    if found:
        flash(
            _(
                "Churn rules: %(n)d new warnings, %(t)d retention tasks opened.",
                n=found["warnings"],
                t=found["tasks"],
            )
        )
    return redirect(url_for("billing.index"))
