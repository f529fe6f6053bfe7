"""Site pages: list with search and filters, detail, create and edit, CSV export."""

from flask import Blueprint, url_for
from flask_login import login_required

from .. import scope
from ..customers import model as customers
from ..db import get_db
from ..imports.export import export as csv_export
from ..imports.specs import SITE
from ..orgs.model import contractors, tree
from ..web import (
    caller,
    list_filters,
    list_page,
    record_form,
    render,
    render_form,
    roles_required,
    scoped_one_or_404,
)
from . import model

bp = Blueprint("sites", __name__, url_prefix="/sites")
MANAGERS = ("supervisor", "admin")


def _filters() -> dict:
    return list_filters("q", "site_type", "contractor_id")


@bp.get("/")
@login_required
def index():
    filters, page = _filters(), ("sites/list.html", "sites/_table.html")
    query, order_by = model.query(caller(), **filters), "site.name, site.code"
    context = dict(
        contractors=contractors(get_db(), caller()), may_manage=scope.may_manage(caller())
    )
    return list_page(page, query, order_by, filters, **context)


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
    choices = dict(contractors=contractors(db, who), customers=customers.options(db, who))
    orgs = tree(db, *scope.orgs(who))
    return render_form(
        "sites/form.html", "sites/_form.html", form, errors, site=site, orgs=orgs, **choices
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new():
    return _editor(None)


@bp.route("/<site_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit(site_id):
    return _editor(_site_or_404(site_id))


def _editor(site):
    defaults = {"inspection_cycle_days": model.DEFAULT_CYCLE_DAYS}
    create, update = model.create_site, model.update_site
    return record_form(site, defaults, model.validate, create, update, _form_page, _url)


def _url(site: dict) -> str:
    return url_for("sites.detail", site_id=site["id"])
