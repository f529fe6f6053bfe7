"""Shared view helpers: htmx-aware rendering, pagination, roles, scoped lookups."""

import math
from functools import wraps

from flask import abort, current_app, flash, make_response, redirect, render_template, request
from flask_login import current_user, login_required

from .db import get_db, one, rows
from .extensions import htmx


def render(page: str, partial: str | None = None, status: int = 200, **context):
    """Render the page, or only its partial for a plain htmx request; always Vary: HX-Request.

    Boosted requests and history restores need the whole page, so they get it.
    """
    wants_partial = partial and htmx and not htmx.boosted and not htmx.history_restore_request
    response = make_response(render_template(partial if wants_partial else page, **context))
    response.status_code = status
    response.headers["Vary"] = "HX-Request"
    return response


def caller():
    """The scoping view of the signed-in user."""
    return current_user.caller


def roles_required(*roles):
    """Require a signed-in user with one of the roles; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.row["role"] not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.roles = frozenset(roles)  # who may open it (the page sweep reads this)
        return wrapped

    return decorator


def scoped_one_or_404(sql: str, params: list, clause: tuple[str, list]) -> dict:
    """Fetch one row with the caller's scope clause ANDed in; 404 when out of scope or absent."""
    where, scope_params = clause
    row = one(get_db(), f"{sql} AND {where}", [*params, *scope_params])
    if row is None:
        abort(404)
    return row


class Page:
    """One page of a list: its rows and the numbers for the pager."""

    def __init__(self, items, number, size, total):
        self.items, self.number, self.size, self.total = items, number, size, total
        self.pages = max(1, math.ceil(total / size))

    @property
    def has_prev(self):
        return self.number > 1

    @property
    def has_next(self):
        return self.number < self.pages


MAX_PAGE = 1_000_000  # any page past this is past the end; keeps OFFSET a SQLite integer


def page_number() -> int:
    """The requested page number from ?page=, from 1 to MAX_PAGE (garbage reads as 1)."""
    try:
        return min(MAX_PAGE, max(1, int(request.args.get("page", "1"))))
    except ValueError:
        return 1


def paginate(sql: str, params: list, order_by: str) -> Page:
    """Run a SELECT with LIMIT/OFFSET for the requested page, with a total count."""
    db = get_db()
    size = current_app.config["PAGE_SIZE"]
    total = db.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
    # a page past the end (an old link, a typed number) shows the last page, not nothing
    number = min(page_number(), max(1, math.ceil(total / size)))
    items = rows(
        db,
        f"{sql} ORDER BY {order_by} LIMIT ? OFFSET ?",
        [*params, size, (number - 1) * size],
    )
    return Page(items, number, size, total)


def form_status(errors: dict) -> int:
    """A form with errors re-renders: 200 for htmx (so it swaps), 422 for a plain post."""
    return 200 if htmx or not errors else 422


def render_form(page: str, partial: str, form, errors: dict, **context):
    """Render a form page (or its partial for htmx) with what was typed and its errors, at
    form_status(errors)."""
    return render(page, partial, status=form_status(errors), form=form, errors=errors, **context)


def finish(url: str, message: str | None = None):
    """After a successful form post: htmx follows HX-Redirect, a plain form a 303; `message`,
    if given, is flashed for the page it lands on."""
    if message:
        flash(message)
    if htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


def list_filters(*keys: str) -> dict:
    """A list page's filters from the query string: each key's value stripped, '' when absent."""
    return {key: request.args.get(key, "").strip() for key in keys}


def list_page(
    page: tuple[str, str], query: tuple, order_by: str, filters: dict, more=None, **context
):
    """A filtered, paginated, scoped list: `page` is its (page, htmx table partial) templates,
    `query` the (sql, params) of the caller's rows matching `filters`; `more(listing)`, if
    given, adds what the shown page's rows need."""
    listing = paginate(*query, order_by)
    context |= more(listing) if more else {}
    return render(*page, listing=listing, filters=filters, **context)


def form_view(shown, submitted, validate, save, page):
    """A create or edit form, GET and POST: a GET shows `shown`; a POST validates `submitted`
    (`validate(form) -> (clean, errors)`) and either shows it again beside its errors or saves
    it (`save(clean) -> url`) and follows to that URL. `page(form, errors)` renders the form."""
    if request.method == "GET":
        return page(shown, {})
    clean, errors = validate(submitted)
    if errors:
        return page(submitted, errors)
    return finish(save(clean))


def record_form(record, defaults: dict, validate, create, update, page, url):
    """The new (`record` None, showing `defaults`) or edit form of a scoped record, GET and
    POST. `validate(db, caller, data)` checks what was typed (data["id"] set when editing);
    `create(db, actor_id, **clean)` or `update(db, actor_id, id, clean)` stores it and returns
    the row; `url(row)` is where to go next; `page(form, errors, record)` renders the form."""
    db, who = get_db(), caller()
    if record is None:
        return form_view(
            defaults,
            request.form,
            lambda form: validate(db, who, form),
            lambda clean: url(create(db, who.id, **clean)),
            page,
        )
    return form_view(
        record,
        request.form,
        lambda form: validate(db, who, {**form, "id": record["id"]}),
        lambda clean: url(update(db, who.id, record["id"], clean)),
        lambda form, errors: page(form, errors, record),
    )
