"""Site pages: list with search and filters, detail, create and edit, CSV export."""

from flask import Blueprint, request, url_for
from flask_login import login_required

from .. import scope
from ..customers import model as customers
from ..db import get_db
from ..imports.export import export as csv_export
from ..imports.specs import SITE
from ..orgs.model import contractors, tree
from ..web import (
    caller,
    finish,
    form_status,
    paginate,
    render,
    roles_required,
    scoped_one_or_404,
)
from . import model

bp = Blueprint("sites", __name__, url_prefix="/sites")
MANAGERS = ("supervisor", "admin")


def _filters() -> dict:
    args = request.args
    return {key: args.get(key, "").strip() for key in ("q", "site_type", "contractor_id")}


@bp.get("/")
@login_required
def index():
    filters = _filters()
    listing = paginate(*model.query(caller(), **filters), "site.name, site.code")
    return render(
        "sites/list.html",
        "sites/_table.html",
        listing=listing,
        filters=filters,
        contractors=contractors(get_db(), caller()),
        may_manage=scope.may_manage(caller()),
    )


@bp.get("/export.csv")
@login_required
def export():
    query = model.query(caller(), **_filters())
    return csv_export(get_db(), SITE, query, "site.code", "sites.csv")


def _site_or_404(site_id: str) -> dict:
    return scoped_one_or_404(*model.detail_query(caller(), site_id))


@bp.get("/<site_id>")
@login_required
def detail(site_id):
    site = _site_or_404(site_id)
    return render("sites/detail.html", site=site, may_manage=scope.may_manage(caller()))


def _form_page(form: dict, errors: dict, site=None):
    db, who = get_db(), caller()
    return render(
        "sites/form.html",
        "sites/_form.html",
        status=form_status(errors),
        site=site,
        form=form,
        errors=errors,
        orgs=tree(db, *scope.orgs(who)),
        contractors=contractors(db, who),
        customers=customers.options(db, who),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new():
    if request.method == "GET":
        return _form_page({"inspection_cycle_days": model.DEFAULT_CYCLE_DAYS}, {})
    clean, errors = model.validate(get_db(), caller(), request.form)
    if errors:
        return _form_page(request.form, errors)
    site = model.create_site(get_db(), caller().id, **clean)
    return finish(url_for("sites.detail", site_id=site["id"]))


@bp.route("/<site_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit(site_id):
    site = _site_or_404(site_id)
    if request.method == "GET":
        return _form_page(site, {}, site)
    clean, errors = model.validate(get_db(), caller(), {**request.form, "id": site_id})
    if errors:
        return _form_page(request.form, errors, site)
    model.update_site(get_db(), caller().id, site_id, clean)
    return finish(url_for("sites.detail", site_id=site_id))
