"""Internal names stay out of the Chinese desk: the audit log names its actions and record
types, sync health names a device by its browser and system, policy histories say 默认."""

import re

import pytest

from server.sync_health.model import device_label
from tests.conftest import signed_in
from tests.device import Device
from tests.factories import PASSWORD

ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/131.0.0.0 Mobile Safari/537.36"
)


def test_audit_log_shows_actions_and_record_types_by_name(app, tree):
    admin = signed_in(app, "admin")
    admin.post(f"/admin/users/{tree['am1']['id']}/active", {"active": "0"})
    html = admin.client.get("/admin/audit").get_data(as_text=True)
    cells = re.findall(r'<td data-action="(\w+)">([^<]*)</td>', html)
    shown = dict(cells)
    assert shown["disable"] == "停用账号" and shown["create"] == "新建"
    assert '<td data-entity="app_user">用户' in html and '<td data-entity="org">组织' in html
    assert ">app_user<" not in html and ">create<" not in html
    assert re.search(r'<option value="org"\s*>组织</option>', html)  # the filter too


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        (ANDROID, "Chrome 131 · Android"),
        (ANDROID[:80], "Chrome · Android"),  # the device app sends 80 characters
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
            " (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari 17 · iOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge 131 · Windows",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox 128 · Linux",
        ),
        ("Huawei P40", "Huawei P40"),
        (None, None),
    ],
)
def test_device_names_from_user_agents(name, shown):
    assert device_label(name) == shown


def test_sync_health_shows_the_parsed_name(app, tree):
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    Device(app.test_client(), "am1", PASSWORD, name=firefox).pull()
    html = signed_in(app, "admin").client.get("/sync-health/").get_data(as_text=True)
    assert "Firefox 128 · Linux" in html
    assert f">{firefox}" not in html  # the raw string only as a data attribute


def test_policy_history_says_defaults_in_chinese(app, tree):
    sup = signed_in(app, "admin")
    for path in ("/visits/policy", "/points/policy", "/retention/policy", "/classes/policy"):
        resp = sup.client.get(path)
        assert resp.status_code == 200, path
        html = resp.get_data(as_text=True)
        assert "<td>默认</td>" in html and "<td>defaults</td>" not in html, path
