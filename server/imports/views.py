"""Import pages: upload a CSV, read the dry run, apply it once. Supervisors and admins."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from ..csvio import read_upload
from ..db import get_db
from ..web import caller, render, roles_required
from . import engine
from .export import csv_response
from .specs import SPECS

bp = Blueprint("imports", __name__, url_prefix="/imports")
LISTS = {"customer": "customers.index", "site": "sites.index"}


def _spec(kind: str) -> engine.Spec:
    if kind not in SPECS:
        abort(404)
    return SPECS[kind]


@bp.get("/<kind>/template.csv")
@roles_required("supervisor", "admin")
def template(kind):
    spec = _spec(kind)
    return csv_response(spec, [], f"{kind}-template.csv")


@bp.route("/<kind>", methods=["GET", "POST"])
@roles_required("supervisor", "admin")
def upload(kind):
    spec = _spec(kind)
    if request.method == "GET":
        return render("imports/upload.html", spec=spec, errors={})
    upload_file = request.files.get("file")
    text, error = read_upload(upload_file)
    if error:
        return render("imports/upload.html", spec=spec, errors={"file": error}, status=422)
    batch_id = engine.store(get_db(), caller(), kind, upload_file.filename or "", text)
    return redirect(url_for("imports.batch", batch_id=batch_id))


def _batch_or_404(batch_id: str) -> tuple[dict, engine.Spec]:
    batch = engine.get_batch(get_db(), caller(), batch_id)
    if batch is None or batch["kind"] not in SPECS:
        abort(404)
    return batch, SPECS[batch["kind"]]


@bp.get("/batch/<batch_id>")
@roles_required("supervisor", "admin")
def batch(batch_id):
    batch, spec = _batch_or_404(batch_id)
    report = (
        None if batch["applied_at"] else engine.check(get_db(), caller(), spec, batch["content"])
    )
    return render("imports/batch.html", batch=batch, spec=spec, report=report)


@bp.post("/batch/<batch_id>/apply")
@roles_required("supervisor", "admin")
def apply(batch_id):
    batch, spec = _batch_or_404(batch_id)
    try:
        report = engine.apply(get_db(), caller(), spec, batch)
    except engine.AlreadyApplied:
        batch, _spec_again = _batch_or_404(batch_id)
        refused = _("This file was imported already; a file is imported once.")
        return render("imports/batch.html", batch=batch, spec=spec, refused=refused, status=409)
    if not report.ok:
        return render("imports/batch.html", batch=batch, spec=spec, report=report, status=422)
    flash(
        _(
            "Imported: %(created)d created, %(updated)d updated.",
            created=report.count("create"),
            updated=report.count("update"),
        )
    )
    return redirect(url_for(LISTS[spec.kind]))
