"""Labels have one source: the server's catalogue (server/labels.py, each domain's
domain.py) served to the device at /m/labels/<locale>.json. The device shows the same label
as the server for every enumeration value, in both languages; it keeps no label maps of its
own; every mutation has a human name (the device's Sync page shows it, not `visit.check_in`)."""

import json
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from server.labels import LABELS, label
from server.sync_api.registry import build_registry
from tests.browser import catalogue_app, serving

ROOT = Path(__file__).resolve().parent.parent
DEVICE_LABELS = """async ([catalogue, lang]) => {
  const i18n = await import('/m/assets/i18n.js');
  const ui = await import('/m/assets/ui.js');
  await i18n.loadLocale(lang);
  const out = {};
  for (const [kind, values] of Object.entries(catalogue)) {
    out[kind] = {};
    for (const value of Object.keys(values)) out[kind][value] = ui.label(kind, value);
  }
  return out;
}"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return catalogue_app(tmp_path_factory.mktemp("labels"))


def _server_labels(app, locale) -> dict:
    with app.test_request_context(), force_locale(locale):
        return {kind: {v: label(v, kind) for v in values} for kind, values in LABELS.items()}


def test_every_mutation_has_a_human_name(app):
    with app.app_context():
        names = set(build_registry().mutations)
    assert names and names == set(LABELS["mutation"])
    with app.test_request_context(), force_locale("zh_CN"):
        assert str(LABELS["mutation"]["visit.check_in"]) == "拜访签到"


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_served_catalogue_is_the_servers(app, locale):
    served = app.test_client().get(f"/m/labels/{locale}.json")
    assert served.status_code == 200
    assert served.get_json() == _server_labels(app, locale)
    assert app.test_client().get("/m/labels/xx.json").status_code == 404


def test_the_service_worker_precaches_the_labels(app):
    body = app.test_client().get("/m/sw.js").get_data(as_text=True)
    assert '"/m/labels/zh_CN.json"' in body and '"/m/labels/en.json"' in body


def test_the_device_keeps_no_label_map_of_its_own():
    """A `value: _("Label")` entry in pwa/ whose value is an enumeration value of the
    server's catalogue would be a second source that drifts (en_route "On the way" against
    "En route" once)."""
    columns = ("audit_field", "changed_field")  # column names, not enumeration values
    values = {v for kind, found in LABELS.items() if kind not in columns for v in found}
    found = []
    for path in sorted((ROOT / "pwa").glob("*.js")):
        for key in re.findall(r"\b(\w+)\s*:\s*_\(", path.read_text(encoding="utf-8")):
            if key in values:
                found.append(f"{path.name}: {key}")
    assert found == []


def test_the_map_check_can_fail():
    assert re.findall(r"\b(\w+)\s*:\s*_\(", 'x = { en_route: _("On the way") }') == ["en_route"]


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_device_shows_the_servers_label_for_every_value(app, chromium, locale):
    expected = _server_labels(app, locale)
    with serving(app) as server:
        page = chromium.new_page()
        try:
            page.goto(server.url + "/login")
            device = page.evaluate(DEVICE_LABELS, [json.loads(json.dumps(expected)), locale])
        finally:
            page.close()
    assert device == expected
    if locale == "zh_CN":  # the drift the issue saw, now one text on both sides
        assert device["wo_status"]["en_route"] == expected["wo_status"]["en_route"] == "在途"
        assert device["gps_flag"]["ok"] == "GPS 正常"
