"""Security headers on every response (server/security_headers.py, docs/operations.md), and
no inline script, event handler or style attribute anywhere the policy would refuse it."""

import re
from pathlib import Path

import pytest

from tests import factories
from tests.device import Device

ROOT = Path(__file__).resolve().parent.parent
PATHS = [
    "/login",  # a page
    "/",  # a redirect to sign in
    "/no-such-page",  # 404 page
    "/static/app.css",
    "/static/vendor/htmx-2.0.11/htmx.min.js",
    "/m/",
    "/m/visits/abc",
    "/m/assets/app.js",
    "/m/sw.js",
    "/m/manifest.webmanifest",
    "/m/i18n/en.json",
    "/api/push/key",  # 401 JSON
    "/api/blobs/" + "0" * 64,  # a blob (401 without a token)
    "/healthz",
]


def directives(policy: str) -> dict:
    found = {}
    for part in policy.split(";"):
        name, *values = part.split()
        found[name] = values
    return found


@pytest.mark.parametrize("path", PATHS)
def test_every_response_has_the_headers(client, path):
    with client.get(path) as response:
        headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Permissions-Policy"].startswith("camera=(self), geolocation=(self)")
    policy = directives(headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert "Strict-Transport-Security" not in headers  # plain http
    for values in policy.values():
        assert "'unsafe-inline'" not in values and "'unsafe-eval'" not in values


def test_pages_allow_only_their_own_code_and_device_images(client):
    policy = directives(client.get("/login").headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "blob:", "data:"]
    for name in ("connect-src", "worker-src", "manifest-src"):
        assert policy[name] == ["'self'"]
    assert policy["object-src"] == ["'none'"]


def test_api_answers_and_blobs_run_nothing_when_opened(client, tree, db):
    phone = Device(client, "tech1", factories.PASSWORD)
    response = client.get("/api/blobs/" + "0" * 64, headers=phone.headers)
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"] and "sandbox" in policy


def test_hsts_only_over_https(client):
    secure = client.get("/login", base_url="https://fieldbook.example")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_error_answers_have_them_too(client, auth, tree):
    auth.login("tech1")
    response = client.get("/admin/users")  # 403 for a technician
    assert response.status_code in (302, 403)
    assert "Content-Security-Policy" in response.headers


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"'{$]", re.I)  # an attribute, not `onlyLate = x`
STYLE_ATTR = re.compile(r"\sstyle\s*=\s*[\"'{$]", re.I)


def browser_templates():
    """Templates a browser renders (the PDF report templates are rendered by WeasyPrint)."""
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if "reports" not in path.relative_to(ROOT / "templates").parts:
            yield path
    yield from sorted((ROOT / "pwa").glob("*.js"))


@pytest.mark.parametrize("path", list(browser_templates()), ids=lambda p: p.name)
def test_no_inline_script_handler_or_style_attribute(path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        assert not INLINE_SCRIPT.search(text), "inline <script>: move it to a file"
        assert "<style" not in text, "inline <style>: put it in the stylesheet"
    assert not HANDLER.search(text), "event-handler attribute: use addEventListener"
    assert not STYLE_ATTR.search(text), "style attribute: use a class"
