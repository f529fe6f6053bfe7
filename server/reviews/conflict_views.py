"""The conflicts and late-edits inbox page (nested under the review desk: /reviews/conflicts).

Each row is resolved on its own form: field conflicts by choosing the device's or the
server's value, late edits by applying the fields picked (edits only), marking seen or
dismissing. Rows outside the caller's scope are 404.
"""

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _

from ..db import get_db
from ..extensions import htmx
from ..web import caller, finish, paginate, render, roles_required
from . import inbox

bp = Blueprint("conflicts", __name__, url_prefix="/conflicts")
MANAGERS = ("supervisor", "admin")
DECISIONS = ("device", "server", "apply", "seen", "dismissed")


def _page(status=200, refusal=None, failed_id=None):
    listing = paginate(*inbox.query(caller()), inbox.ORDER_BY)
    inbox.evidence(get_db(), listing.items)
    return render(
        "reviews/conflicts.html",
        "reviews/_conflicts.html",
        status=status,
        listing=listing,
        refusal=refusal,
        failed_id=failed_id,
    )


@bp.get("/")
@roles_required(*MANAGERS)
def index():
    return _page()


def _decide(conflict: dict, decision: str) -> None:
    db, actor = get_db(), caller().id
    if decision in ("device", "server"):
        inbox.resolve_field(db, actor, conflict, decision)
    elif decision == "apply":
        inbox.apply_late_edit(db, actor, conflict, request.form.getlist("fields"))
    else:
        inbox.set_aside(db, actor, conflict, decision)


@bp.post("/<conflict_id>")
@roles_required(*MANAGERS)
def resolve(conflict_id):
    conflict = inbox.find(get_db(), caller(), conflict_id)
    if conflict is None:
        abort(404)
    decision = request.form.get("decision", "")
    try:
        if decision not in DECISIONS:
            raise inbox.Refused(_("Choose what to do with this edit."))
        _decide(conflict, decision)
    except inbox.Refused as exc:
        refusal = _("Refused: %(reason)s", reason=str(exc))
        if htmx:
            return render("reviews/_conflict.html", c=conflict, refusal=refusal)
        return _page(409, refusal, conflict_id)
    if htmx:
        return render("reviews/_conflict.html", c=inbox.resolved(get_db(), conflict_id))
    flash(_("Conflict resolved."))
    return finish(url_for("reviews.conflicts.index"))
