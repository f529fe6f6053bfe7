"""The supervisor's home: today's counts (reviews by age, SLA breaches, orders due soon,
overdue customers, devices with old unsent work, conflicts), each a link to its filtered list
and scoped to the caller's subtree; field users get the way to the field app."""

import re
from datetime import UTC, datetime, timedelta

from server.times import to_stored
from tests import factories as f
from tests.conftest import signed_in
from tests.device import Device

TILE = re.compile(r'href="([^"]+)" data-tile="(\w+)" data-count="(\d+)"')


def _tiles(auth) -> dict:
    html = auth.client.get("/").get_data(as_text=True)
    return {key: (int(count), url.replace("&amp;", "&")) for url, key, count in TILE.findall(html)}


def _ago(days=0, hours=0) -> str:
    return to_stored(datetime.now(UTC) - timedelta(days=days, hours=hours))


def test_counts_by_age_and_scope_each_link_to_its_list(app, db, tree):
    c1 = f.make_customer(db, tree["T1"], tree["am1"])
    c2 = f.make_customer(db, tree["T2"], tree["am2"])
    for customer, days in ((c1, 0), (c1, 2), (c1, 9), (c2, 0)):
        at = _ago(days)
        f.make_visit(db, customer, check_in_at=at, check_out_at=at)
    f.make_work_order(db, tree["T1"], at=_ago(days=2), title="退服两天")
    db.conn.commit()

    d1 = _tiles(signed_in(app, "sup_d1"))
    assert {k: d1[k][0] for k in ("reviews_today", "reviews_recent", "reviews_older")} == {
        "reviews_today": 1,
        "reviews_recent": 1,
        "reviews_older": 1,
    }
    assert d1["sla_breached"][0] == 1 and d1["conflicts"][0] == 0
    city = _tiles(signed_in(app, "sup_city"))
    assert city["reviews_today"][0] == 2  # the other district's visit counts one level up

    sup = signed_in(app, "sup_d1")
    for key, (count, url) in d1.items():
        resp = sup.client.get(url)
        assert resp.status_code == 200, (key, url)
        html = resp.get_data(as_text=True)
        if key.startswith("reviews_"):
            assert html.count("data-review=") == count, key
        if key == "sla_breached":
            assert "退服两天" in html
        if key == "customers_overdue":
            assert html.count("customers/" + c1["id"]) >= (1 if count else 0)
            assert c2["id"] not in html  # another district's customer is not listed


def test_overdue_filter_lists_exactly_the_counted_customers(app, db, tree):
    for _ in range(3):
        f.make_customer(db, tree["T1"], tree["am1"])
    db.conn.commit()
    sup = signed_in(app, "sup_d1")
    count, url = _tiles(sup)["customers_overdue"]
    html = sup.client.get(url).get_data(as_text=True)
    assert count == 3  # never visited: due at once
    assert len(re.findall(r'data-overdue="1"', html)) == count
    assert 'name="overdue" value="1" checked' in html


def test_field_users_get_the_field_app(app, tree):
    for username in ("am1", "tech1"):
        html = signed_in(app, username).client.get("/").get_data(as_text=True)
        assert 'data-testid="field-app-link"' in html and 'href="/m/"' in html
        assert "data-tile=" not in html


def test_a_device_with_work_unsent_for_a_day_counts_in_its_subtree(app, tree):
    phone = Device(app.test_client(), "am1", f.PASSWORD)
    body = {
        "client_id": phone.client_id,
        "server_epoch": phone.epoch,
        "schema_version": 1,
        "app_version": "2026.06.1",
        "mutations": [],
        "device": {"unsynced_count": 2, "oldest_unsynced_at": _ago(hours=30)},
    }
    assert phone.client.post("/api/sync/push", json=body, headers=phone.headers).status_code == 200
    count, url = _tiles(signed_in(app, "sup_d1"))["devices_unsent"]
    assert count == 1 and url == "/sync-health/?problems=1"
    assert _tiles(signed_in(app, "sup_k"))["devices_unsent"][0] == 0  # not the contractor's
