"""The device app's files. Field screens render on the device from its local replica;
the server only serves the shell and the code (see docs/decisions.md)."""

import hashlib
import json
import os
from functools import cache

from babel.support import Translations
from flask import Blueprint, current_app, render_template, send_from_directory
from flask_babel import force_locale

from .. import APP_VERSION, ROOT
from ..labels import LABELS

PWA_DIR = os.path.join(ROOT, "pwa")
bp = Blueprint("pwa", __name__, url_prefix="/m")


def _assets() -> list[str]:
    """Every file of the device app, relative to pwa/ (precached by the service worker)."""
    found = []
    for folder, _, files in os.walk(PWA_DIR):
        for name in files:
            if name != "sw.js":
                found.append(os.path.relpath(os.path.join(folder, name), PWA_DIR))
    return sorted(found)


@cache
def _content_version() -> str:
    digest = hashlib.sha256(APP_VERSION.encode())
    for rel in [*_assets(), "sw.js"]:
        with open(os.path.join(PWA_DIR, rel), "rb") as fh:
            digest.update(rel.encode() + fh.read())
    with open(os.path.join(ROOT, "templates", "field", "shell.html"), "rb") as fh:
        digest.update(fh.read())
    return digest.hexdigest()[:12]


def app_version() -> str:
    """The device app's version: its content hash, or PWA_VERSION when configured."""
    return current_app.config.get("PWA_VERSION") or _content_version()


@bp.get("/assets/<path:filename>")
def asset(filename):
    response = send_from_directory(PWA_DIR, filename, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, stamped with this version and its precache list."""
    with open(os.path.join(PWA_DIR, "sw.js"), encoding="utf-8") as fh:
        source = fh.read()
    precache = ["/m/", "/m/manifest.webmanifest"]
    precache += [
        f"/m/{part}/{lang}.json"
        for part in ("i18n", "labels")
        for lang in current_app.config["LANGUAGES"]
    ]
    precache += [f"/m/assets/{a}" for a in _assets()]
    body = source.replace("__VERSION__", app_version()).replace(
        "__PRECACHE__", json.dumps(precache)
    )
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/m/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    data = {
        "name": "外勤通 Fieldbook",
        "short_name": "外勤通",
        "description": "Offline field app for account managers and maintenance crews",
        "lang": "zh-CN",
        "start_url": "/m/",
        "scope": "/m/",
        "id": "/m/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0a6ebd",
        "icons": [
            {"src": "/m/assets/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/m/assets/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {
                "src": "/m/assets/icons/icon-512.png",
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = current_app.response_class(
        json.dumps(data, ensure_ascii=False), mimetype="application/manifest+json"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/i18n/<locale>.json")
def translations(locale):
    """The device's strings in one language, from the same gettext catalogue as the server."""
    if locale not in current_app.config["LANGUAGES"]:
        return {"error": "unknown language"}, 404
    folder = current_app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")[0]
    catalogue = Translations.load(folder, [locale])
    # Plural entries are keyed (msgid, n) in the compiled catalogue; the device uses none.
    catalog = getattr(catalogue, "_catalog", {})
    messages = {k: v for k, v in catalog.items() if isinstance(k, str) and k and v}
    response = current_app.response_class(
        json.dumps(messages, ensure_ascii=False), mimetype="application/json"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/labels/<locale>.json")
def labels(locale):
    """Every enumeration's display names in one language (server/labels.py), so the device
    shows the server's words: {kind: {value: label}}."""
    if locale not in current_app.config["LANGUAGES"]:
        return {"error": "unknown language"}, 404
    with force_locale(locale):
        data = {kind: {k: str(v) for k, v in values.items()} for kind, values in LABELS.items()}
    response = current_app.response_class(
        json.dumps(data, ensure_ascii=False), mimetype="application/json"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/")
@bp.get("/<path:screen>")
def shell(screen=""):
    """The same shell for every field screen: the device renders the screen itself."""
    response = current_app.make_response(
        render_template("field/shell.html", version=app_version())
    )
    response.headers["Cache-Control"] = "no-cache"
    return response
