"""The page of a versioned policy (server/policies.py): its readers see the version in force
and the history; admins save a new version through its form (CSRF-protected, audited by
the domain's save). `add_routes` gives a blueprint the page's GET and POST."""

from flask import flash, request, url_for

from .ids import now_utc
from .web import caller, finish, form_status, render, roles_required


def page(template: str, form: dict, errors: dict | None = None, status: int = 200, **context):
    """The policy page: `form` as typed (or the version in force), its errors, and whether
    the caller may save a version (`may_edit`: admins)."""
    return render(
        template,
        status=status,
        form=form,
        errors=errors or {},
        may_edit=caller().role == "admin",
        **context,
    )


def add_routes(bp, path: str, *, readers, page, validate, store, endpoints=None) -> None:
    """GET `path`: `page()` for the `readers` roles. POST `path` (admins): `validate(form,
    now)` gives (clean, errors); with errors `page(form, errors, status)` shows the form as
    typed (422), else `store(clean, now)` saves the version and returns what to flash, and
    the answer goes back to the page. `endpoints`: the (GET, POST) endpoint names, by default
    policy_page and policy_save."""
    shown, saved = endpoints or ("policy_page", "policy_save")

    def show():
        return page()

    def save():
        now = now_utc()
        clean, errors = validate(request.form, now)
        if errors:
            return page(request.form.to_dict(), errors, form_status(errors))
        flash(store(clean, now))
        return finish(url_for(f"{bp.name}.{shown}"))

    show.__name__, save.__name__ = shown, saved
    bp.add_url_rule(path, shown, roles_required(*readers)(show), methods=["GET"])
    bp.add_url_rule(path, saved, roles_required("admin")(save), methods=["POST"])
