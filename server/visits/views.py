"""Visit pages: synced visits of the caller's scope with their GPS evidence, detail, approve.

Supervisors and admins see their subtree; account managers may read their own customers'
visits here; technicians have no visits.
"""

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _

from ..blob_files import send_attached
from ..csvio import download as csv_download
from ..db import get_db
from ..held import held_edits
from ..i18n import select_timezone
from ..reviews.panel import record_panel
from ..scope import may_manage
from ..web import caller, finish, paginate, render, roles_required, scoped_one_or_404
from . import listing, model

bp = Blueprint("visits", __name__, url_prefix="/visits")
READERS = ("supervisor", "admin", "account_manager")
MANAGERS = ("supervisor", "admin")


def _filters() -> tuple[dict, dict, list[dict]]:
    managers = listing.account_managers(get_db(), caller())
    clean, errors = listing.validate_filters(request.args, {m["id"] for m in managers})
    return clean, errors, managers


@bp.get("/")
@roles_required(*READERS)
def index():
    filters, errors, managers = _filters()
    query = listing.query(caller(), filters, select_timezone())
    return render(
        "visits/list.html",
        "visits/_table.html",
        listing=paginate(*query, listing.ORDER_BY),
        filters=filters,
        export_args={key: value for key, value in filters.items() if value},
        errors=errors,
        managers=managers,
        flags=listing.flags,
        highlight=listing.HIGHLIGHT,
    )


@bp.get("/export.csv")
@roles_required(*READERS)
def export():
    filters, _errors, _managers = _filters()
    query = listing.query(caller(), filters, select_timezone())
    records = listing.csv_records(get_db(), query, select_timezone())
    return csv_download(listing.CSV_COLUMNS, records, "visits.csv")


def _visit_or_404(visit_id: str) -> dict:
    return scoped_one_or_404(*listing.detail_query(caller(), visit_id))


def _detail(visit: dict, status: int = 200, error: str | None = None):
    db = get_db()
    return render(
        "visits/detail.html",
        status=status,
        visit=visit,
        flags=listing.flags,
        highlight=listing.HIGHLIGHT,
        times=listing.times(visit),
        contacts_met=listing.contacts_met(db, visit),
        photos=model.photos(db, visit["id"]),
        follow_ups=model.follow_ups(db, visit["id"]),
        signature=visit["signature_sha256"]
        and listing.attached(db, visit, visit["signature_sha256"]),
        held=held_edits(db, "visit", visit["id"]),
        **record_panel(db, "visit", visit["id"]),
        may_approve=may_manage(caller()) and visit["status"] == "completed",
        error=error,
    )


@bp.get("/<visit_id>")
@roles_required(*READERS)
def detail(visit_id):
    return _detail(_visit_or_404(visit_id))


@bp.get("/<visit_id>/photos/<sha>")
@roles_required(*READERS)
def photo(visit_id, sha):
    """A photo or the signature of this visit, once its blob is complete; else 404."""
    visit = _visit_or_404(visit_id)
    return send_attached(sha, lambda sha: listing.attached(get_db(), visit, sha))


@bp.post("/<visit_id>/approve")
@roles_required(*MANAGERS)
def approve(visit_id):
    visit = _visit_or_404(visit_id)
    try:
        model.approve(get_db(), caller().id, visit_id)
    except ValueError:
        return _detail(visit, 409, _("Only a completed visit can be approved."))
    flash(_("Visit approved."))
    return finish(url_for("visits.detail", visit_id=visit_id))


from . import policy_views  # noqa: E402, F401  (the visit policy page, on this blueprint)
