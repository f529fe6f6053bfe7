"""Scores pages: rankings by month, a card's indicators, an indicator's records, the
weights policy, CSV. Supervisors see their subtree; admins everything."""

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_babel import gettext as _

from .. import policy_views
from ..csvio import download as csv_download
from ..db import get_db
from ..ids import now_utc
from ..web import Page, caller, finish, page_number, render, roles_required
from . import cards, compute, indicators, months, policy

bp = Blueprint("scores", __name__, url_prefix="/scores")
MANAGERS = ("supervisor", "admin")
KINDS = ("account_manager", "technician", "team", "contractor")
TOP = 20  # each ranking's first rows on the overview; ?kind= pages through one ranking


def _month() -> str:
    wanted = request.values.get("month", "")
    return wanted if months.parse(wanted) else months.previous(months.current(now_utc()))


@bp.get("/")
@roles_required(*MANAGERS)
def index():
    month, db, who = _month(), get_db(), caller()
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None
    size = current_app.config["PAGE_SIZE"] if kind else TOP
    offset = (page_number() - 1) * size if kind else 0
    tables = {
        k: Page(
            cards.ranking(db, who, month, k, size, offset),
            offset // size + 1,
            size,
            cards.count(db, who, month, k),
        )
        for k in ((kind,) if kind else KINDS)
    }
    return render(
        "scores/index.html", "scores/_rankings.html", month=month, tables=tables, kind=kind
    )


@bp.post("/compute")
@roles_required(*MANAGERS)
def compute_now():
    month, who = _month(), caller()
    org_id = None if who.role == "admin" else who.org_id
    result = compute.compute_month(get_db(), month, org_id=org_id, actor_id=who.id)
    flash(_("Scores for %(month)s computed: %(n)s cards.", month=month, n=result["cards"]))
    return finish(url_for("scores.index", month=month))


def _subject(kind: str, subject_id: str) -> dict:
    db, who = get_db(), caller()
    found = (
        cards.person(db, who, subject_id)
        if kind == "person"
        else cards.organisation(db, who, subject_id)
    )
    if found is None:
        abort(404)
    return found


@bp.get("/people/<user_id>")
@roles_required(*MANAGERS)
def person(user_id):
    month, who = _month(), _subject("person", user_id)
    card = cards.stored(get_db(), month, who["role"], user_id)
    card = card or cards.live(get_db(), who["role"], user_id, month)
    specs = {s.key: s for s in indicators.for_role(who["role"])}
    return render("scores/card.html", month=month, who=who, card=card, specs=specs)


@bp.get("/orgs/<org_id>")
@roles_required(*MANAGERS)
def organisation(org_id):
    month, org = _month(), _subject("org", org_id)
    db = get_db()
    card = cards.stored(db, month, org["kind"], org_id)
    if org["kind"] == "team":
        team = cards.members(db, caller(), org_id, month)
        return render("scores/team.html", month=month, org=org, card=card, members=team)
    card = card or cards.live(db, "contractor", org_id, month)
    specs = {s.key: s for s in indicators.for_role("technician")}
    return render("scores/card.html", month=month, who=org, card=card, specs=specs)


@bp.get("/people/<user_id>/<key>")
@bp.get("/orgs/<org_id>/<key>")
@roles_required(*MANAGERS)
def records(key, user_id=None, org_id=None):
    month = _month()
    who = _subject("person", user_id) if user_id else _subject("org", org_id)
    spec = indicators.get(key)
    role = who.get("role") or ("technician" if who.get("kind") == "contractor" else None)
    if spec is None or spec.role != role:
        abort(404)
    subject = {"subject": user_id} if user_id else {"contractor": org_id}
    value, found = indicators.measure(get_db(), spec, month, **subject)
    return render(
        "scores/records.html", month=month, who=who, spec=spec, value=value, records=found
    )


@bp.get("/export.csv")
@roles_required(*MANAGERS)
def export_csv():
    month = _month()
    columns, found = cards.export_rows(get_db(), caller(), month)
    return csv_download(columns, found, f"scores-{month}.csv")


def _policy_page(form=None, errors=None, status=200):
    db, month = get_db(), months.current(now_utc())
    return policy_views.page(
        "scores/policy.html",
        form or {"effective_month": month},
        errors,
        status,
        current={role: policy.in_force(db, role, month) for role in policy.ROLES},
        specs={role: indicators.for_role(role) for role in policy.ROLES},
        history=policy.history(db),
    )


def _store_policy(clean: dict, _now: str) -> str:
    version = policy.save(get_db(), caller().id, **clean)
    return _("Score weights version %(version)s saved.", version=version)


policy_views.add_routes(
    bp,
    "/policy",
    readers=MANAGERS,
    page=_policy_page,
    validate=policy.validate,
    store=_store_policy,
)
