"""Translations: every UI string has a Chinese translation, placeholders survive translation,
the language is chosen and remembered per user, and times are shown in Beijing time.

The catalogues are compiled from the committed .po files into a temporary directory, so the
tests check the catalogues as they are now (not a stale .mo) and work on a clean clone.
"""

import os
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale, get_timezone

from server import ROOT, create_app
from server.db import connect
from server.i18n import local_time
from server.migrations import upgrade
from server.translations.jsextract import scan
from tests.factories import PASSWORD

CATALOGUES = Path(ROOT) / "server" / "translations"
ZH_PO = CATALOGUES / "zh_CN" / "LC_MESSAGES" / "messages.po"
EN_PO = CATALOGUES / "en" / "LC_MESSAGES" / "messages.po"
# The command of docs/translations.md, minus the output path.
EXTRACT = ["-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location"]
EXTRACT += ["--sort-output", "--omit-header"]
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>\w+)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?P<type>[diouxXeEfFgGcrsa%])"
)
CJK = re.compile(r"[\u3400-\u9fff]")
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')
HTML_LANG = re.compile(r'<html lang="([^"]+)"')


def _read(path: Path, locale: str):
    with path.open("rb") as po_file:
        return read_po(po_file, locale=locale)


@pytest.fixture(scope="session")
def compiled(tmp_path_factory) -> Path:
    """Both catalogues compiled as `make translations` would, into a temporary directory."""
    target = tmp_path_factory.mktemp("translations")
    for path in sorted(CATALOGUES.glob("*/LC_MESSAGES/messages.po")):
        locale = path.parts[-3]
        mo_path = target / locale / "LC_MESSAGES" / "messages.mo"
        mo_path.parent.mkdir(parents=True)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, _read(path, locale), use_fuzzy=True)
    return target


@pytest.fixture
def app(tmp_path, compiled):
    """The app of conftest, reading the freshly compiled catalogues."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "fieldbook.db"),
            "BLOB_DIR": str(tmp_path / "blobs"),
            "SECRET_KEY": "test-secret",
            "SESSION_COOKIE_SECURE": False,
            "LOGIN_RATE_LIMIT": "1000 per minute",
            "BABEL_TRANSLATION_DIRECTORIES": str(compiled),
        }
    )
    upgrade(connect(app.config["DATABASE"]))
    return app


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The strings of the source tree as it is now, extracted as docs/translations.md says."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    argv = ["pybabel", "-q", "extract", *EXTRACT, "-o", str(pot), "."]
    cwd = Path.cwd()
    try:
        os.chdir(ROOT)  # babel.cfg patterns are relative to the repository root
        assert CommandLineInterface().run(argv) in (None, 0)
    finally:
        os.chdir(cwd)
    with pot.open("rb") as pot_file:
        return read_po(pot_file)


def _key(message):
    return message.id if isinstance(message.id, str) else message.id[0]


def _placeholders(text: str) -> Counter:
    return Counter((m["name"], m["type"]) for m in PLACEHOLDER.finditer(text) if m["type"] != "%")


def _forms(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def test_extraction_finds_lazy_labels_templates_and_views(extracted):
    ids = {_key(m) for m in extracted if m.id}
    assert "Account manager" in ids  # _l in server/labels.py
    assert "Sign in" in ids  # _() in templates/auth/login.html
    assert "Wrong username or password, or the account is disabled." in ids  # gettext in a view
    assert "What was promised" in ids  # _() in a nested template literal of pwa/visit.js


def test_device_app_extractor_follows_template_literals_and_skips_the_rest():
    source = (
        '// _("In a comment")\n'
        "/* _('In a block') */ const re = /_\\(\"x\"/g;\n"
        'x = `<img alt="${esc(p.caption || _("Photo"))}">${n ? _("%(n)s left", { n }) : ""}`;\n'
        'y = `${a ? `<i title="${esc(_("Inner"))}">` : ""}` + obj._("member") + _(name);\n'
        'z = _(\'Say \\"hi\\" \\u00e9\') + _("a" + b);'
    )
    found = [(line, args[0]) for line, _name, args in scan(source, {"_": None})]
    assert found == [
        (3, "Photo"),
        (3, "%(n)s left"),
        (4, "Inner"),
        (4, None),
        (5, 'Say "hi" é'),
        (5, None),
    ]


def test_every_string_has_a_chinese_translation(extracted):
    zh = _read(ZH_PO, "zh_CN")
    missing = []
    for message in extracted:
        if not message.id:
            continue
        found = zh.get(message.id)
        if found is None or found.fuzzy or not all(f.strip() for f in _forms(found)):
            missing.append(_key(message))
    assert not missing, (
        f"{len(missing)} string(s) without a zh_CN translation (see docs/translations.md):\n"
        + "\n".join(repr(m) for m in missing)
    )


def test_chinese_translations_keep_placeholders_and_read_as_chinese():
    wrong = []
    for message in _read(ZH_PO, "zh_CN"):
        if not message.id:
            continue
        source = message.id[-1] if isinstance(message.id, tuple) else message.id
        for form in _forms(message):
            if form and _placeholders(form) != _placeholders(source):
                wrong.append(f"placeholders differ: {source!r} -> {form!r}")
            if form and form != source and not CJK.search(form):
                wrong.append(f"not Chinese: {source!r} -> {form!r}")
    assert not wrong, "\n".join(wrong)


def test_placeholder_check_can_fail():
    assert _placeholders("导入完成：新建 %(created)d 条") != _placeholders(
        "Imported: %(created)d created, %(updated)d updated."
    )
    assert _placeholders("完成 100%%，%(n)s") == _placeholders("%(n)s done, 100%%")


def test_catalogue_headers_and_plural_forms():
    zh, en = _read(ZH_PO, "zh_CN"), _read(EN_PO, "en")
    assert zh.num_plurals == 1 and zh.plural_expr.strip() == "0"
    assert en.num_plurals == 2 and en.plural_expr.replace(" ", "") == "(n!=1)"
    for catalogue in (zh, en):
        for message in catalogue:
            if message.id and message.pluralizable:
                assert len(_forms(message)) == catalogue.num_plurals, message.id
    # English falls back to the msgid, but whatever it says must keep the placeholders.
    for message in en:
        if message.id and isinstance(message.string, str) and message.string:
            assert _placeholders(message.string) == _placeholders(message.id), message.id


def _page(client, path: str) -> tuple[str, str]:
    """The page's HTML and its <html lang>."""
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.get_data(as_text=True)
    return html, HTML_LANG.search(html).group(1)


def _switch(client, locale: str, page: str = "/login"):
    html = client.get(page).get_data(as_text=True)
    token = CSRF_META.search(html).group(1)
    data = {"locale": locale, "csrf_token": token, "next": page}
    response = client.post("/lang", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(page)


def _sign_in(client, username: str):
    token = CSRF_META.search(client.get("/login").get_data(as_text=True)).group(1)
    data = {"username": username, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 302


def _sign_out(client):
    token = CSRF_META.search(client.get("/").get_data(as_text=True)).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def test_login_page_is_chinese_by_default_and_switches_to_english(client):
    html, lang = _page(client, "/login")
    assert lang == "zh-CN"
    assert "登录" in html and "用户名" in html and "外勤通" in html
    assert "Sign in" not in html and "Username" not in html

    _switch(client, "en")
    html, lang = _page(client, "/login")
    assert lang == "en"
    assert "Sign in" in html and "Username" in html
    assert "登录" not in html

    _switch(client, "zh_CN")
    html, lang = _page(client, "/login")
    assert lang == "zh-CN" and "登录" in html


def test_unknown_language_is_refused(client):
    token = CSRF_META.search(client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/lang", data={"locale": "fr", "csrf_token": token}).status_code == 400
    assert client.post("/lang", data={"locale": "en"}).status_code == 400  # no CSRF token
    assert _page(client, "/login")[1] == "zh-CN"


def test_language_is_remembered_per_user(app, client, tree, db):
    _sign_in(client, "am1")
    html, lang = _page(client, "/")
    assert lang == "zh-CN" and "退出登录" in html

    _switch(client, "en", "/")
    html, lang = _page(client, "/")
    assert lang == "en" and "Sign out" in html and "退出登录" not in html
    assert db["app_user"].get(tree["am1"]["id"])["locale"] == "en"

    _sign_out(client)  # the session is cleared: the sign-in page is Chinese again
    assert _page(client, "/login")[1] == "zh-CN"

    _sign_in(client, "am1")  # the user's own choice comes back
    html, lang = _page(client, "/")
    assert lang == "en" and "Sign out" in html and "Account manager" in html

    other = app.test_client()  # another user on another phone keeps the default
    _sign_in(other, "am2")
    html, lang = _page(other, "/")
    assert lang == "zh-CN" and "客户经理" in html


@pytest.mark.parametrize(
    ("locale", "stored", "shown"),
    [
        ("zh_CN", "2026-03-05T18:30:00Z", r"2026-03-06 02:30"),  # +8 h crosses midnight
        ("zh_CN", "2026-03-05T01:02:00+00:00", r"2026-03-05 09:02"),
        ("zh_CN", "2026-03-05T01:02:00", r"2026-03-05 09:02"),  # no zone: stored UTC
        # The device's format in English too (pwa/times.js clockText): one way to read a time.
        ("en", "2026-03-05T18:30:00Z", r"2026-03-06 02:30"),
        ("en", "2026-03-05T06:15:00Z", r"2026-03-05 14:15"),
    ],
)
def test_local_time_is_beijing_time_as_the_device_shows_it(app, locale, stored, shown):
    with app.test_request_context("/"), force_locale(locale):
        assert str(get_timezone()) == "Asia/Shanghai"
        assert re.fullmatch(shown, local_time(stored)), local_time(stored)
        assert local_time(None) == "" and local_time("") == ""


def test_local_time_long_format_shows_the_zone(app):
    with app.test_request_context("/"):
        with force_locale("zh_CN"):
            assert local_time("2026-03-05T18:30:00Z", "long").startswith("2026年3月6日")
        with force_locale("en"):
            assert "+0800" in local_time("2026-03-05T18:30:00Z", "long")


def test_the_device_gets_the_catalogue_as_json_even_with_plural_entries(client):
    """A plural msgid compiles to tuple keys; the device's JSON must skip them, not fail."""
    resp = client.get("/m/i18n/zh_CN.json")
    assert resp.status_code == 200
    messages = resp.get_json()
    assert messages["Sign in"] == "登录" and all(isinstance(k, str) for k in messages)
