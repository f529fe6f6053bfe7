"""Organisation tree screens: browse and search (supervisors: their subtree), create and
rename (admins)."""

from functools import partial

from flask import abort, request, url_for

from .. import scope
from ..db import get_db, like
from ..orgs import model
from ..web import (
    caller,
    form_view,
    paginate,
    render,
    render_form,
    roles_required,
    scoped_one_or_404,
)
from .views import bp

# Users in the org itself, and in its whole subtree (a path range, as scope.py does).
LIST_SQL = (
    "SELECT org.id, org.kind, org.code, org.name, org.depth, org.parent_id,"
    " (SELECT count(*) FROM app_user u WHERE u.org_id = org.id) AS members,"
    " (SELECT count(*) FROM app_user u JOIN org sub ON sub.id = u.org_id"
    "   WHERE sub.path >= org.path AND sub.path < org.path || ?) AS subtree_members"
    " FROM org WHERE {where}"
)
SUBTREE_END = "\uffff"


def _listing(q: str):
    where, params = scope.orgs(caller())
    if q:
        where += " AND (org.name LIKE ? ESCAPE '\\' OR org.code LIKE ? ESCAPE '\\')"
        params = [*params, like(q), like(q)]
    sql = LIST_SQL.format(where=where)
    return paginate(sql, [SUBTREE_END, *params], "org.path")


def parent_choices() -> list[dict]:
    """Organisations the caller may see, in tree order, for a parent or org select box."""
    where, params = scope.orgs(caller())
    return model.tree(get_db(), where, params)


@bp.get("/orgs")
@roles_required("admin", "supervisor")
def orgs():
    q = request.args.get("q", "").strip()
    return render("admin/orgs.html", "admin/_orgs.html", listing=_listing(q), q=q)


@bp.route("/orgs/new", methods=["GET", "POST"])
@roles_required("admin")
def org_new():
    def save(clean):
        model.create(get_db(), caller().id, **clean)
        return url_for("admin.orgs", q=clean["code"])

    shown, page = {"parent_id": request.args.get("parent", "")}, partial(_form, None, parents=True)
    return form_view(shown, request.form.to_dict(), partial(model.validate, get_db()), save, page)


@bp.route("/orgs/<org_id>/edit", methods=["GET", "POST"])
@roles_required("admin", "supervisor")
def org_edit(org_id):
    org = scoped_one_or_404("SELECT * FROM org WHERE org.id = ?", [org_id], scope.orgs(caller()))
    if caller().role != "admin":
        abort(403)

    def save(clean):
        model.rename(get_db(), caller().id, org_id, name=clean["name"], code=clean["code"])
        return url_for("admin.orgs", q=clean["code"])

    form = {**org, "name": request.form.get("name", ""), "code": request.form.get("code", "")}
    return form_view(org, form, partial(model.validate, get_db()), save, partial(_form, org))


def _form(org, form: dict, errors: dict, parents: bool = False):
    """The new (with the parents to pick from) or rename form of an organisation."""
    page = ("admin/org_form.html", "admin/_org_form.html")
    return render_form(*page, form, errors, org=org, parents=parent_choices() if parents else [])
