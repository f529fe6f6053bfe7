"""What the user types is kept when a re-render (a sync finishing) was already under way."""

import pytest

from server.db import connect
from tests.browser import compile_catalogues, demo_app, phone_page
from tests.live import LiveServer

pytestmark = pytest.mark.browser

TYPE_DURING_RENDER = """async () => {
  const app = window.fieldbook;
  const rendering = app.render();  // started before the user types, as after a sync
  const form = document.querySelector('[data-form=appointment]');
  const select = form.querySelector('select[name=customer_id]');
  select.value = select.options[1].value;
  select.dispatchEvent(new Event('input', { bubbles: true }));
  form.querySelector('textarea[name=need]').value = '下周演示';
  await rendering;
  const now = document.querySelector('[data-form=appointment]');
  return [select.options[1].value, now.querySelector('select[name=customer_id]').value,
          now.querySelector('textarea[name=need]').value, now === form];
}"""

CARE_CHOICE = """async () => {
  const forms = [...document.querySelectorAll('[data-form=care-done]')];
  forms[1].querySelector('select[name=how]').value = 'gift';
  forms[1].querySelector('select[name=how]').dispatchEvent(new Event('input', { bubbles: true }));
  await window.fieldbook.render();
  const again = [...document.querySelectorAll('[data-form=care-done]')];
  return again.map((f) => f.querySelector('select[name=how]').value);
}"""


def test_typing_during_a_render_is_kept(chromium, tmp_path):
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    db = connect(app.config["DATABASE"])
    username = db.execute(
        "SELECT username FROM app_user WHERE role = 'account_manager' AND active = 1"
        " ORDER BY username LIMIT 1"
    ).fetchone()[0]
    db.conn.close()
    server = LiveServer(app).start()
    context = chromium.new_context()
    try:
        # Signed in, first sync done and the service worker in control: it serves the
        # screens below once the server is gone (a first sync alone does not wait for it).
        page = phone_page(context, server, username)
        server.stop()

        page.goto(server.url + "/m/appointments")
        page.wait_for_selector("[data-form=appointment] textarea[name=need]")
        chosen, kept, need, same_node = page.evaluate(TYPE_DURING_RENDER)
        assert not same_node  # the form was really replaced by the render
        assert (kept, need) == (chosen, "下周演示")

        # A list of small forms: the choice stays on its own row, not on the first one.
        page.goto(server.url + "/m/care")
        page.wait_for_selector("[data-form=care-done]")
        assert page.locator("[data-form=care-done]").count() >= 2  # demo: birthdays this week
        hows = page.evaluate(CARE_CHOICE)
        assert hows[1] == "gift" and hows[0] != "gift"
    finally:
        context.close()
        server.stop()


EVERY_FORM = """async () => {
  const TEXT = '#app form input[type=text], #app form input:not([type]), #app form textarea';
  const typed = () => [...document.querySelectorAll(TEXT)]
    .filter((el) => el.name && !el.closest('[data-form=search], [data-form=login]'));
  const fields = typed();
  fields.forEach((el, i) => {
    el.value = `手写${i}`;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await window.fieldbook.render();
  const lost = typed().filter((el, i) => el.value !== `手写${i}`)
    .map((el) => `${el.closest('form').dataset.form}.${el.name}`);
  window.fieldbook.setFormOpen(false);
  return [fields.length, lost];
}"""


def test_no_form_on_the_field_screens_loses_text_to_a_render(chromium, tmp_path):
    """Every text field of every form on the account manager's and technician's screens."""
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    db = connect(app.config["DATABASE"])
    am = db.execute(
        "SELECT * FROM app_user WHERE role = 'account_manager' AND active = 1"
        " ORDER BY username LIMIT 1"
    ).fetchone()
    customer = db.execute(
        "SELECT id FROM customer WHERE account_manager_id = ? ORDER BY code LIMIT 1", [am["id"]]
    ).fetchone()[0]
    tech = db.execute(
        "SELECT username FROM app_user WHERE role = 'technician' AND active = 1"
        " ORDER BY username LIMIT 1"
    ).fetchone()[0]
    db.conn.close()
    server = LiveServer(app).start()
    try:
        for username, paths in (
            (am["username"], [f"/m/customers/{customer}", "/m/appointments", "/m/care"]),
            (tech, ["/m/report"]),
        ):
            context = chromium.new_context()
            page = phone_page(context, server, username)
            seen = 0
            for path in paths:
                page.evaluate("path => window.fieldbook.go(path)", path)
                page.wait_for_selector("#app form", state="attached")
                count, lost = page.evaluate(EVERY_FORM)
                assert lost == [], path
                seen += count
            assert seen >= 2, username  # text fields were really found and typed into
            context.close()
    finally:
        server.stop()


OPEN_EVERY_BOX = """async () => {
  const boxes = () => [...document.querySelectorAll('#app details')];
  const before = boxes();
  before.forEach((el) => { el.open = true; });
  await window.fieldbook.render();
  const after = boxes();
  return [before.length, after.filter((el) => !el.open).length, after[0] === before[0]];
}"""


def _with_contacts(tmp_path):
    """The demo app, its first account manager and a customer of theirs with contacts."""
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    db = connect(app.config["DATABASE"])
    am = db.execute(
        "SELECT * FROM app_user WHERE role = 'account_manager' AND active = 1"
        " ORDER BY username LIMIT 1"
    ).fetchone()
    customer = db.execute(
        "SELECT c.id FROM customer c JOIN contact k ON k.customer_id = c.id"
        " WHERE c.account_manager_id = ? ORDER BY c.code LIMIT 1",
        [am["id"]],
    ).fetchone()[0]
    db.conn.close()
    return app, am, customer


def test_an_opened_edit_box_stays_open_through_a_render(chromium, tmp_path):
    """A sync finishing while the user has a contact's or the customer's edit box open must
    not fold it shut under their finger (a CI run lost the phone field this way)."""
    app, am, customer = _with_contacts(tmp_path)
    server = LiveServer(app).start()
    context = chromium.new_context()
    try:
        page = phone_page(context, server, am["username"])
        page.evaluate("path => window.fieldbook.go(path)", f"/m/customers/{customer}")
        page.wait_for_selector("[data-testid=edit-contact]", state="attached")
        count, closed, same = page.evaluate(OPEN_EVERY_BOX)
        assert count >= 2 and not same  # contact and customer boxes, really re-rendered
        assert closed == 0
        # Closed ones stay closed: nothing opens by itself.
        page.evaluate("document.querySelectorAll('#app details').forEach(d => d.open = false)")
        page.evaluate("window.fieldbook.render()")
        assert page.locator("#app details[open]").count() == 0
    finally:
        context.close()
        server.stop()


def test_a_render_between_the_tap_and_the_typing_keeps_the_field(chromium, tmp_path):
    """A sync finishing right after the user taps a field must leave the keyboard in that
    field, not in the first one of the same name: a CI run typed a call's note into a
    contact's notes box this way (both are named "notes") and logged the call empty."""
    app, am, customer = _with_contacts(tmp_path)
    server = LiveServer(app).start()
    context = chromium.new_context()
    errors = []
    try:
        page = phone_page(context, server, am["username"])
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.evaluate("path => window.fieldbook.go(path)", f"/m/customers/{customer}")
        call_notes = "[data-form=log-contact] input[name=notes]"
        page.wait_for_selector(call_notes)
        assert page.locator("#app [data-form] [name=notes]").count() >= 2  # namesakes before it
        page.focus(call_notes)
        page.evaluate("window.fieldbook.render({ keepFocus: true })")  # as changed() after a sync
        page.keyboard.type("续约意向")
        assert page.locator(call_notes).input_value() == "续约意向"
        others = page.eval_on_selector_all(
            "#app [data-form]:not([data-form=log-contact]) [name=notes]",
            "els => els.map((el) => el.value).filter((v) => v.includes('续约意向'))",
        )
        assert others == []
        assert errors == []
    finally:
        context.close()
        server.stop()
