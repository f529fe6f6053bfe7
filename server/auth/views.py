"""Sign-in pages, language switch, and a user's own devices."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..db import get_db
from ..extensions import limiter
from ..web import finish, form_status, render
from . import model, signin, tokens, websessions
from .session import start_session

bp = Blueprint("auth", __name__)

# What a user who must choose a new password may still open before they have.
WHILE_CHANGE_REQUIRED = {
    *("auth.change_password", "auth.login", "auth.logout", "auth.set_language", "static")
}


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    error, status, retry_after = None, 200, 0
    if request.method == "POST":
        db = get_db()
        result = signin.attempt(
            db,
            request.form.get("username", ""),
            request.form.get("password", ""),
            channel="web",
            ip=request.remote_addr,
            cfg=current_app.config,
        )
        if result.user:
            session.clear()
            login_user(start_session(result.user))
            if result.user["must_change_password"]:
                return redirect(url_for("auth.change_password", next=request.args.get("next")))
            return redirect(_safe_next(request.args.get("next")))
        error, status = _("Wrong username or password, or the account is disabled."), 401
        if result.refused == "locked":
            minutes = -(-result.retry_after // 60)
            error = _(
                "Too many failed sign-ins for this account. Try again in %(minutes)s min.",
                minutes=minutes,
            )
            status, retry_after = 429, result.retry_after
    response = render("auth/login.html", error=error, status=status)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        websessions.end(get_db(), current_user.secret, "logout")
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.before_app_request
def _password_change_first():
    """A user whose password an admin wants changed gets the change page until it is done."""
    if request.endpoint in WHILE_CHANGE_REQUIRED or request.path.startswith(("/api/", "/m/")):
        return None
    if current_user.is_authenticated and current_user.row["must_change_password"]:
        return redirect(url_for("auth.change_password", next=request.full_path))
    return None


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password (the current one first). Every other session and device is
    signed out; this browser stays signed in with a new session."""
    db, user = get_db(), current_user.row
    errors = {}
    if request.method == "POST":
        clean, errors = model.validate_change(db, user, request.form)
        if not errors:
            model.set_password(db, user["id"], user["id"], clean["password"], reason="changed")
            session.clear()
            login_user(start_session(model.get(db, user["id"])))
            flash(_("Password changed. Your other sessions and devices are signed out."))
            return finish(_safe_next(request.args.get("next")))
    forced = bool(user["must_change_password"])
    return render(
        "auth/password.html",
        "auth/_password.html",
        status=form_status(errors),
        errors=errors,
        forced=forced,
    )


@bp.post("/lang")
def set_language():
    locale = request.form.get("locale", "")
    if locale not in current_app.config["LANGUAGES"]:
        abort(400, description="unknown language")
    session["locale"] = locale
    if current_user.is_authenticated:
        model.set_locale(get_db(), current_user.row["id"], locale)
    return redirect(_safe_next(request.form.get("next")))


@bp.get("/account/devices")
@login_required
def devices():
    items = tokens.list_for(get_db(), current_user.row["id"])
    return render("auth/devices.html", "auth/_devices.html", devices=items)


@bp.post("/account/devices/<token_id>/revoke")
@login_required
def revoke_device(token_id):
    user_id = current_user.row["id"]
    if not tokens.revoke(get_db(), user_id, user_id, token_id):
        abort(404)
    flash(_("Device signed out."))
    items = tokens.list_for(get_db(), user_id)
    return render("auth/devices.html", "auth/_devices.html", devices=items)
