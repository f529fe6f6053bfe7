"""User screens: list and view (supervisors: their subtree, read-only); create, edit, reset
password, enable/disable and revoke device tokens (admins)."""

from functools import partial

from flask import abort, request, url_for
from flask_babel import gettext as _

from .. import scope
from ..auth import lockout, model, tokens, websessions
from ..db import get_db, like, one
from ..records import audit
from ..web import (
    caller,
    form_status,
    form_view,
    list_filters,
    paginate,
    render,
    render_form,
    roles_required,
    scoped_one_or_404,
)
from .orgs import SUBTREE_END, parent_choices
from .views import bp

COLUMNS = (
    "SELECT app_user.id, app_user.username, app_user.display_name, app_user.role,"
    " app_user.org_id, app_user.phone, app_user.email, app_user.active,"
    " app_user.must_change_password,"
    " app_user.created_at, app_user.updated_at, org.name AS org_name, org.code AS org_code"
    " FROM app_user JOIN org ON org.id = app_user.org_id"
)


def _listing(filters: dict):
    where, params = scope.users(caller())
    if filters["q"]:
        where += " AND (app_user.username LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\')"
        params = [*params, like(filters["q"]), like(filters["q"])]
    if filters["role"]:
        where += " AND app_user.role = ?"
        params = [*params, filters["role"]]
    if filters["org"]:
        org_where, org_params = scope.orgs(caller())
        org = one(
            get_db(),
            f"SELECT path FROM org WHERE id = ? AND {org_where}",
            [filters["org"], *org_params],
        )
        path = org["path"] if org else "\uffff"  # an org out of scope matches nobody
        where += " AND org.path >= ? AND org.path < ?"
        params = [*params, path, path + SUBTREE_END]
    return paginate(f"{COLUMNS} WHERE {where}", params, "app_user.username COLLATE NOCASE")


def _user_or_404(user_id: str) -> dict:
    return scoped_one_or_404(f"{COLUMNS} WHERE app_user.id = ?", [user_id], scope.users(caller()))


def _managed_or_404(user_id: str) -> dict:
    """A user the caller may change: out of scope is 404, in scope but not admin is 403."""
    user = _user_or_404(user_id)
    if caller().role != "admin":
        abort(403)
    return user


def _detail(partial: str, user_id: str, status: int = 200, **extra):
    user = _user_or_404(user_id)
    context = dict(
        user=user,
        devices=tokens.list_for(get_db(), user_id),
        lockout=lockout.status(get_db(), user["username"]),
        sessions=websessions.open_for(get_db(), user_id),
        errors={},
    )
    return render("admin/user.html", partial, status=status, **(context | extra))


def _form(user, form, errors):
    page = ("admin/user_form.html", "admin/_user_form.html")
    return render_form(*page, form, errors, user=user, orgs=parent_choices())


@bp.get("/users")
@roles_required("admin", "supervisor")
def users():
    filters = list_filters("q", "role", "org")
    return render(
        "admin/users.html",
        "admin/_users.html",
        listing=_listing(filters),
        filters=filters,
        orgs=parent_choices(),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
def user_new():
    def save(clean):
        extra = {k: clean.pop(k) or None for k in ("phone", "email")}
        user = model.create_user(get_db(), caller().id, **clean, **extra)
        return url_for("admin.user", user_id=user["id"])

    check = partial(model.validate, get_db(), new=True)
    shown = {"org_id": request.args.get("org", "")}
    return form_view(shown, request.form.to_dict(), check, save, partial(_form, None))


@bp.get("/users/<user_id>")
@roles_required("admin", "supervisor")
def user(user_id):
    return _detail(None, user_id)


@bp.route("/users/<user_id>/edit", methods=["GET", "POST"])
@roles_required("admin", "supervisor")
def user_edit(user_id):
    user = _managed_or_404(user_id)

    def save(clean):
        model.update_user(get_db(), caller().id, user_id, clean)
        return url_for("admin.user", user_id=user_id)

    form = {**request.form.to_dict(), "id": user_id, "username": user["username"]}
    check = partial(model.validate, get_db(), new=False)
    return form_view(user, form, check, save, partial(_form, user))


@bp.post("/users/<user_id>/password")
@roles_required("admin", "supervisor")
def user_password(user_id):
    user = _managed_or_404(user_id)
    clean, errors = model.validate_password(request.form, user["username"])
    if not errors:
        must_change = request.form.get("must_change") == "1"
        model.set_password(
            get_db(),
            caller().id,
            user_id,
            clean["password"],
            must_change=must_change,
            reason="reset",
        )
    message = (
        None if errors else _("Password set. The user's sessions and devices are signed out.")
    )
    status = form_status(errors)
    return _detail("admin/_user_password.html", user_id, status, errors=errors, message=message)


@bp.post("/users/<user_id>/unlock")
@roles_required("admin", "supervisor")
def user_unlock(user_id):
    user = _managed_or_404(user_id)
    with get_db().atomic():
        lockout.clear(get_db(), user["username"])
        audit(get_db(), caller().id, "clear_sign_in_failures", "app_user", user_id)
    return _detail("admin/_user_sign_in.html", user_id, message=_("Failed sign-ins cleared."))


@bp.post("/users/<user_id>/require-password-change")
@roles_required("admin", "supervisor")
def user_require_change(user_id):
    _managed_or_404(user_id)
    model.require_password_change(get_db(), caller().id, user_id)
    message = _("The user must choose a new password at the next sign-in.")
    return _detail("admin/_user_sign_in.html", user_id, message=message)


@bp.post("/users/<user_id>/active")
@roles_required("admin", "supervisor")
def user_active(user_id):
    _managed_or_404(user_id)
    active = request.form.get("active") == "1"
    if not active and user_id == caller().id:
        errors = {"active": "own_account"}
        return _detail("admin/_user_status.html", user_id, form_status(errors), errors=errors)
    model.set_active(get_db(), caller().id, user_id, active)
    return _detail("admin/_user_status.html", user_id)


@bp.post("/users/<user_id>/tokens/<token_id>/revoke")
@roles_required("admin", "supervisor")
def user_revoke_token(user_id, token_id):
    _managed_or_404(user_id)
    if not tokens.revoke(get_db(), caller().id, user_id, token_id):
        abort(404)
    return _detail("admin/_user_tokens.html", user_id)
