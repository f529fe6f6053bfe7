"""The zh_CN catalogue is found and used: Babel names the locale zh_Hans_CN, our folders zh_CN."""

import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from server import create_app
from server.db import connect
from server.migrations import upgrade


def _catalogue(directory, locale: str, messages: dict) -> None:
    catalog = Catalog(locale=locale)
    for english, translated in messages.items():
        catalog.add(english, translated)
    path = directory / locale / "LC_MESSAGES" / "messages.mo"
    path.parent.mkdir(parents=True)
    with path.open("wb") as mo_file:
        write_mo(mo_file, catalog)


@pytest.fixture
def app_with(tmp_path):
    """An app whose translations folder holds only the catalogues a test writes."""

    def build(name: str, messages: dict):
        folder = tmp_path / name
        _catalogue(folder, "zh_CN", messages)
        app = create_app(
            {
                "TESTING": True,
                "DATABASE": str(tmp_path / f"{name}.db"),
                "SECRET_KEY": "test-secret",
                "BABEL_TRANSLATION_DIRECTORIES": str(folder),
            }
        )
        upgrade(connect(app.config["DATABASE"]))
        return app

    return build


def _login_page(app, language: str) -> str:
    page = app.test_client().get("/login", headers={"Accept-Language": language})
    return page.get_data(as_text=True)


def test_chinese_is_the_default_and_uses_the_zh_cn_catalogue(app_with):
    page = _login_page(app_with("one", {"Sign in": "登录"}), "")
    assert "<h1>登录</h1>" in page
    assert '<html lang="zh-CN">' in page
    pressed = re.search(r'aria-pressed="true"\s+data-locale="([^"]+)"', page)
    assert pressed and pressed.group(1) == "zh_CN"


def test_english_browser_gets_english(app_with):
    page = _login_page(app_with("one", {"Sign in": "登录"}), "en-GB,en;q=0.9")
    assert "<h1>Sign in</h1>" in page and '<html lang="en">' in page


def test_each_app_reads_its_own_catalogue_folder(app_with):
    first, second = app_with("one", {"Sign in": "登录"}), app_with("two", {"Sign in": "登入"})
    assert "<h1>登录</h1>" in _login_page(first, "zh-CN")
    assert "<h1>登入</h1>" in _login_page(second, "zh-CN")
