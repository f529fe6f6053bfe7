"""Helpers for browser tests: Playwright driving Debian's Chromium against a live, seeded app.

Test files turn these into fixtures (a session-scoped browser, a module-scoped live app), so
every piece is opened and closed by a context manager and nothing leaks a ResourceWarning.
"""

import time
from contextlib import contextmanager
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import sync_playwright

from server import create_app
from server.db import connect
from server.migrations import upgrade
from server.seed.demo import DEMO_PASSWORD, seed_demo
from tests.live import CHROMIUM, CHROMIUM_ARGS, LiveServer

# Every visible thing a thumb can hit; a radio or box counts by its label (the label is the
# target). Elements inside a closed <details> have no box and are not on screen.
SMALL_TARGETS = """() => {
  const out = [];
  const seen = new Set();
  const all = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  for (let el of document.querySelectorAll(all)) {
    const boxed = ['radio', 'checkbox', 'file'].includes(el.type);
    if (boxed && el.closest('label')) el = el.closest('label');
    if (seen.has(el) || el.closest('.toast')) continue;
    seen.add(el);
    const r = el.getBoundingClientRect();
    if (!el.getClientRects().length || r.width === 0 || r.height === 0) continue;
    const what = (el.textContent || el.name || '').trim().slice(0, 30);
    const size = `${Math.round(r.width)}×${Math.round(r.height)}`;
    if (r.width < 43.5 || r.height < 43.5) out.push(`${el.tagName.toLowerCase()} ${size} ${what}`);
  }
  return out;
}"""
CATALOGUES = Path(__file__).resolve().parent.parent / "server" / "translations"


@contextmanager
def start_playwright():
    """A running Playwright driver (no browsers downloaded: we launch /usr/bin/chromium)."""
    playwright = sync_playwright().start()
    try:
        yield playwright
    finally:
        playwright.stop()


@contextmanager
def launch_chromium(playwright):
    """Headless Chromium from Debian, with the flags in tests/live.py."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


def compile_catalogues(target: Path, source: Path | None = None) -> Path:
    """Compile every messages.po under source into target (as `make translations` does,
    fuzzy entries included), so tests never write into the working tree."""
    source = source or CATALOGUES
    for po_path in sorted(source.glob("*/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parts[-3])
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=True)
    return target


def translations(directory: Path, locale: str) -> Translations:
    """The compiled catalogue of one locale, to look up what a page should say."""
    return Translations.load(str(directory), [locale])


def catalogue_app(directory: Path):
    """An app on an empty file database in directory that reads freshly compiled
    catalogues (for pages that show translated text without data)."""
    return create_app(
        {
            "TESTING": True,
            "DATABASE": str(directory / "fieldbook.db"),
            "SECRET_KEY": "test-secret",
            "BABEL_TRANSLATION_DIRECTORIES": str(compile_catalogues(directory / "translations")),
        }
    )


def demo_app(directory: Path, translations_dir: Path):
    """An app on a file database in directory, seeded with the demo data (DEMO_SEED)."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(directory / "fieldbook.db"),
            "BLOB_DIR": str(directory / "blobs"),
            "BACKUP_DIR": str(directory / "backups"),
            "SECRET_KEY": "browser-test-secret",
            "SESSION_COOKIE_SECURE": False,  # plain http on loopback
            "PUSH_ENDPOINT_HOSTS": ["127.0.0.1"],  # the push service stand-in
            "PUSH_ALLOW_PRIVATE_ADDRESSES": True,  # ... on loopback, over http (docs/push.md)
            "BABEL_TRANSLATION_DIRECTORIES": str(translations_dir),
        }
    )
    db = connect(app.config["DATABASE"])
    try:
        upgrade(db)
        seed_demo(db, app.config["DEMO_SEED"])
    finally:
        db.conn.close()
    return app


@contextmanager
def serving(app):
    """The app on a loopback port for as long as the block runs."""
    server = LiveServer(app).start()
    try:
        yield server
    finally:
        server.stop()


def wait_for(page, predicate: str, timeout: float = 30000):
    """Wait until predicate (a JavaScript expression or function) is truthy in the page.

    Playwright's page.wait_for_function compiles its predicate with eval() inside the page,
    which the app's Content-Security-Policy refuses (no 'unsafe-eval'); page.evaluate goes
    through the DevTools protocol, which the policy does not govern. An error while the page
    navigates (its context destroyed) is retried until the timeout, then raised."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            value = page.evaluate(predicate)
        except PlaywrightError:
            if time.monotonic() >= deadline:
                raise
            value = None
        if value:
            return value
        if time.monotonic() >= deadline:
            raise PlaywrightTimeoutError(f"timed out after {timeout} ms waiting for {predicate}")
        page.wait_for_timeout(50)


# Signing in and waiting on the device and the desk ------------------------------------


def sign_in(page, server, username):
    """Sign in on the device and wait for the first sync and the service worker (each role
    has its own home screen, so wait for the sign-in form to go, not for one home's tiles)."""
    page.goto(server.url + "/m/")
    page.wait_for_selector("[data-form=login]")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("[data-form=login] button[type=submit]")
    page.wait_for_selector("[data-form=login]", state="detached")
    wait_for(
        page,
        "() => Boolean(window.fieldbook && window.fieldbook.lastSync)"
        " && document.querySelector('#sync-status').dataset.state === 'idle'",
        timeout=20000,
    )
    # The service worker controls the page once it has activated and claimed it.
    wait_for(page, "() => navigator.serviceWorker.controller !== null", timeout=20000)


def phone_page(context, server, username):
    """A new page in context, signed in on the device (first sync done)."""
    page = context.new_page()
    sign_in(page, server, username)
    return page


def desk_sign_in(page, server, username):
    """Sign in on the web desk and wait for its navigation (folded away on a phone)."""
    page.goto(server.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_selector("header.top nav", state="attached")


def supervisor_page(context, server, username):
    """A new page in context, signed in on the web desk."""
    page = context.new_page()
    desk_sign_in(page, server, username)
    return page


def unsynced(page) -> int:
    """How many changes the device says are waiting to be sent."""
    return int(page.get_attribute("#sync-status", "data-unsynced"))


def synced(page):
    """Tell the page it is online and wait until its outbox is empty and sync idle."""
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_for(
        page,
        "document.querySelector('#sync-status').dataset.unsynced === '0'"
        " && document.querySelector('#sync-status').dataset.state === 'idle'",
        timeout=60000,
    )


def an_account_manager(app) -> dict:
    """The first demo account manager and their first customer without visits (the demo
    leaves one per manager: server/seed/visits.py) (username, id, name, lat, lon)."""
    db = connect(app.config["DATABASE"])
    row = db.execute(
        "SELECT u.username, c.id, c.name, c.lat, c.lon FROM app_user u"
        " JOIN customer c ON c.account_manager_id = u.id"
        " WHERE u.role = 'account_manager' ORDER BY u.username,"
        " EXISTS (SELECT 1 FROM visit v WHERE v.customer_id = c.id), c.code LIMIT 1"
    ).fetchone()
    db.conn.close()
    return dict(row)


def jpeg_file(path: Path, seed: int) -> Path:
    """A 2400×1800 striped JPEG (a phone photo's size), different for each seed."""
    img = Image.new("RGB", (2400, 1800), (seed * 40 % 255, 120, 200))
    for x in range(0, 2400, 150):
        img.paste((255 - seed * 30 % 255, 60, 30), (x, 0, x + 40, 1800))
    img.save(path, "JPEG", quality=90)
    return path
