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
from ..web import render
from . import model, tokens
from .session import SessionUser

bp = Blueprint("auth", __name__)


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    error = None
    if request.method == "POST":
        db = get_db()
        user = model.authenticate(
            db, request.form.get("username", ""), request.form.get("password", "")
        )
        if user:
            session.clear()
            login_user(SessionUser(user, model.caller(db, user["id"])))
            return redirect(_safe_next(request.args.get("next")))
        error = _("Wrong username or password, or the account is disabled.")
    return render("auth/login.html", error=error, status=200 if error is None else 401)


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


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
