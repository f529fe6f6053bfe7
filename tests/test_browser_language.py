"""In real Chromium: a supervisor signs in, reads the customer list in Chinese, switches to
English (remembered across a reload) and back to 中文.

What the Chinese page should say comes from the compiled zh_CN catalogue, so the test checks
that the strings are translated and shown, not one translator's wording.
"""

import re

import pytest
from flask import url_for
from playwright.sync_api import expect

from server.seed.demo import DEMO_PASSWORD
from tests.browser import (
    compile_catalogues,
    demo_app,
    serving,
    translations,
)

pytestmark = pytest.mark.browser

SUPERVISOR = "sup.city"  # a demo supervisor: the whole city branch
HEADERS = ("Code", "Name", "Class", "Service grade", "Account manager", "Organisation", "Address")
CLASSES = ("Class A", "Class B", "Class C")
GRADES = ("Diamond", "Gold", "Silver", "Bronze", "Standard")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def catalogues(tmp_path_factory):
    return compile_catalogues(tmp_path_factory.mktemp("translations"))


@pytest.fixture(scope="module")
def live_demo(tmp_path_factory, catalogues):
    app = demo_app(tmp_path_factory.mktemp("demo"), catalogues)
    with serving(app) as server:
        yield app, server


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="zh-CN")  # a browser set to Chinese, as users' are
    try:
        yield context.new_page()
    finally:
        context.close()


class Words:
    """What the page should say in one language: English source, or the zh_CN catalogue's."""

    def __init__(self, catalogues, locale: str):
        self.chinese = locale == "zh_CN"
        self._catalogue = translations(catalogues, locale) if self.chinese else None

    def __call__(self, english: str) -> str:
        if not self.chinese:
            return english
        translated = self._catalogue.gettext(english)
        assert CJK.search(translated), f"no Chinese translation of {english!r}: {translated!r}"
        return translated

    def all(self, english: tuple[str, ...]) -> set[str]:
        return {self(text) for text in english}


def cells(page, column: int) -> list[str]:
    """The leading text of one column of the customer table (a badge after it left out)."""
    rows = page.locator(f"#customer-table tbody tr[data-customer] td:nth-child({column})")
    return rows.evaluate_all("cells => cells.map(c => (c.firstChild?.textContent || '').trim())")


def see_customer_list(page, words: Words) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if words.chinese else "en")
    expect(page.locator("main h1")).to_have_text(words("Customers"))
    headers = page.locator("#customer-table thead th")
    expect(headers).to_have_text([words(h) for h in HEADERS])
    classes, grades = set(cells(page, 3)), set(cells(page, 4))
    assert classes and classes <= words.all(CLASSES), classes
    assert grades and grades <= words.all(GRADES), grades
    names = page.locator("#customer-table tbody tr[data-customer] td:nth-child(2) a")
    expect(names).to_have_count(25)
    assert CJK.search(names.first.inner_text()), "demo customers have Chinese names"


def switch_language(page, locale: str, label: str) -> None:
    button = page.locator(f'header form.lang button[data-locale="{locale}"]')
    expect(button).to_have_text(label)
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")


def test_customer_list_in_chinese_and_english(live_demo, catalogues, page, tmp_path):
    app, server = live_demo
    zh, en = Words(catalogues, "zh_CN"), Words(catalogues, "en")
    with app.test_request_context():
        login, customers = url_for("auth.login"), url_for("customers.index")

    page.goto(server.url + login)
    expect(page.locator("main h1")).to_have_text(zh("Sign in"))
    page.fill("input[name=username]", SUPERVISOR)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.locator("header nav").get_by_role("link", name=zh("Customers"), exact=True).click()
    expect(page).to_have_url(server.url + customers)
    see_customer_list(page, zh)
    page.screenshot(path=tmp_path / "customers-zh_CN.png", full_page=True)

    switch_language(page, "en", "English")
    see_customer_list(page, en)
    page.screenshot(path=tmp_path / "customers-en.png", full_page=True)
    page.reload()  # saved on the user, not only for this page
    see_customer_list(page, en)

    switch_language(page, "zh_CN", "中文")
    see_customer_list(page, zh)
