"""Times as people read them: the server's formatter (server/times.py) and the device's
(pwa/times.js) give the same text on the same cases (tests/time_cases.py), in Chinese and
in English; the device side runs in real Chromium."""

import pytest
from flask_babel import force_locale

from server import times
from tests.browser import catalogue_app, serving
from tests.time_cases import CASES, DEVICE_NAMES

RUN_CASES = """async ([cases, names, lang]) => {
  const i18n = await import('/m/assets/i18n.js');
  const t = await import('/m/assets/times.js');
  await i18n.loadLocale(lang);
  const out = {};
  for (const [name, [fn, args]] of Object.entries(cases)) out[name] = t[names[fn]](...args);
  return out;
}"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return catalogue_app(tmp_path_factory.mktemp("times"))


def _server(app, locale) -> dict:
    with app.test_request_context(), force_locale(locale):
        return {name: getattr(times, fn)(*args) for name, (fn, args, *_) in CASES.items()}


@pytest.mark.parametrize("locale, column", [("zh_CN", 2), ("en", 3)])
def test_the_server_formatter_gives_the_hand_written_text(app, locale, column):
    shown = _server(app, locale)
    assert shown == {name: case[column] for name, case in CASES.items()}


def test_no_raw_hours_minutes_or_negative_zero_seconds(app):
    shown = " ".join(_server(app, "zh_CN").values())
    for raw in ("7238", "440783", "-0.0", " h ", " min"):
        assert raw not in shown


@pytest.mark.browser
@pytest.mark.parametrize("locale, column", [("zh_CN", 2), ("en", 3)])
def test_the_device_formatter_matches_the_server_on_every_case(app, chromium, locale, column):
    cases = {name: [fn, args] for name, (fn, args, *_) in CASES.items()}
    with serving(app) as server:
        page = chromium.new_page()
        try:
            page.goto(server.url + "/login")
            device = page.evaluate(RUN_CASES, [cases, DEVICE_NAMES, locale])
        finally:
            page.close()
    assert device == _server(app, locale)
    assert device == {name: case[column] for name, case in CASES.items()}
