"""Supervisors' visit pages: synced visits with GPS flags, filters, scope, CSV, photos, approve."""

import csv
import io
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests import factories
from tests.conftest import Auth, fetch, signed_in
from tests.device import Device, check_in, jpeg_bytes, new_id, sha256

APPROVE = 'data-action="approve"'
ROW = re.compile(r'<tr data-visit="([^"]+)"[^>]*>(.*?)</tr>', re.S)


@pytest.fixture
def field(app, client, db, tree):
    """am1 (district D1) checks in three times, one visit completed; am2 (D2) once."""
    t = dict(tree)
    t["sup_d2"] = factories.make_user(db, t["D2"], "supervisor", username="sup_d2")
    t["cust1"] = factories.make_customer(
        db, t["T1"], t["am1"], name="西湖电子", code="XH001", lat=30.2741, lon=120.1551
    )
    t["cust2"] = factories.make_customer(db, t["T2"], t["am2"], name="上城银行", code="SC001")
    dev1 = Device(client, "am1", factories.PASSWORD)
    near = check_in(dev1, t["cust1"])
    far = check_in(dev1, t["cust1"], lat=30.30, lon=120.20, accuracy=250)
    nofix = check_in(dev1, t["cust1"], lat=None, lon=None, accuracy=None)
    leave = {"id": near["args"]["id"], "lat": 30.2745, "lon": 120.1555, "accuracy": 10}
    out = dev1.mutation("visit.check_out", leave)
    assert _applied(dev1.push([near, far, nofix, out]))
    dev2 = Device(client, "am2", factories.PASSWORD)
    other = check_in(dev2, t["cust2"], lat=30.27, lon=120.15)
    assert _applied(dev2.push([other]))
    t.update(dev1=dev1, dev2=dev2)
    t["v"] = {
        "near": near["args"]["id"],
        "far": far["args"]["id"],
        "nofix": nofix["args"]["id"],
        "d2": other["args"]["id"],
    }
    return t


def _applied(push) -> bool:
    status, body = push
    return status == 200 and all(r["status"] == "applied" for r in body["results"])


def listed(client, query="") -> dict[str, str]:
    resp = client.get(f"/visits/?{query}")
    assert resp.status_code == 200
    return dict(ROW.findall(resp.get_data(as_text=True)))


def test_list_shows_the_subtree_visits_with_their_gps_flags(app, field):
    rows = listed(signed_in(app, "sup_d1").client)
    v = field["v"]
    assert set(rows) == {v["near"], v["far"], v["nofix"]}  # not D2's visit
    assert 'data-flag="ok"' in rows[v["near"]]
    assert 'data-flag="far"' in rows[v["far"]] and 'data-flag="low_accuracy"' in rows[v["far"]]
    assert 'class="badge error" data-flag="far"' in rows[v["far"]]
    assert 'data-flag="no_fix"' in rows[v["nofix"]]
    assert "西湖电子" in rows[v["near"]] and field["am1"]["display_name"] in rows[v["near"]]
    assert re.search(r"<td>\d+</td>", rows[v["near"]])  # a distance in metres
    assert set(listed(signed_in(app, "sup_city").client)) == set(v.values())


def test_newest_first(app, db, field):
    time.sleep(0.01)  # one push shares one server time; this one is later
    dev = field["dev1"]
    planned = {"id": new_id(), "customer_id": field["cust1"]["id"], "planned_date": "2026-12-01"}
    assert _applied(dev.push([dev.mutation("visit.plan", planned)]))
    order = list(listed(signed_in(app, "sup_d1").client))
    expected = db.execute(
        "SELECT id FROM visit WHERE customer_id = ?"
        " ORDER BY coalesce(check_in_at, created_at) DESC, id DESC",
        [field["cust1"]["id"]],
    ).fetchall()
    assert order[0] == planned["id"] and order == [r[0] for r in expected]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("flag=far", {"far"}),
        ("flag=low_accuracy", {"far"}),
        ("flag=no_fix", {"nofix"}),
        ("flag=flagged", {"far", "nofix"}),
        ("status=completed", {"near"}),
        ("status=in_progress", {"far", "nofix", "d2"}),
        ("q=SC00", {"d2"}),
        ("q=西湖", {"near", "far", "nofix"}),
        ("flag=far&q=上城", set()),
        ("flag=bogus", {"near", "far", "nofix", "d2"}),  # a bad filter is reported, not applied
    ],
)
def test_filters(app, field, query, expected):
    rows = listed(signed_in(app, "sup_city").client, query)
    assert set(rows) == {field["v"][k] for k in expected}


def test_account_manager_and_day_filters(app, field):
    client = signed_in(app, "sup_city").client
    assert set(listed(client, f"account_manager={field['am2']['id']}")) == {field["v"]["d2"]}
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    tomorrow, yesterday = today + timedelta(days=1), today - timedelta(days=1)
    assert len(listed(client, f"day_from={today}&day_to={today}")) == 4
    assert listed(client, f"day_from={tomorrow}") == {}
    assert listed(client, f"day_to={yesterday}") == {}
    html = client.get("/visits/?day_from=20-11-2026").get_data(as_text=True)
    assert 'data-error="day_from"' in html and len(ROW.findall(html)) == 4


def test_account_manager_filter_offers_only_managers_in_scope(app, field):
    client = signed_in(app, "sup_d1").client
    html = client.get("/visits/").get_data(as_text=True)
    assert field["am1"]["id"] in html and field["am2"]["id"] not in html
    html = client.get(f"/visits/?account_manager={field['am2']['id']}").get_data(as_text=True)
    assert 'data-error="account_manager"' in html


def test_htmx_filter_returns_the_table_partial(app, field):
    client = signed_in(app, "sup_d1").client
    resp = client.get("/visits/?flag=far", headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert "HX-Request" in resp.headers["Vary"]
    assert html.lstrip().startswith('<div id="visit-table">') and "<html" not in html
    assert [m[0] for m in ROW.findall(html)] == [field["v"]["far"]]
    assert "export.csv?flag=far" in html  # the export link follows the filters


def test_scope_of_detail_pages(app, field):
    v = field["v"]
    assert signed_in(app, "sup_d1").client.get(f"/visits/{v['far']}").status_code == 200
    assert signed_in(app, "sup_d2").client.get(f"/visits/{v['far']}").status_code == 404
    assert signed_in(app, "sup_d2").client.get(f"/visits/{v['d2']}").status_code == 200
    assert signed_in(app, "sup_k").client.get(f"/visits/{v['far']}").status_code == 404
    assert signed_in(app, "am2").client.get(f"/visits/{v['far']}").status_code == 404
    am1 = signed_in(app, "am1").client
    assert am1.get(f"/visits/{v['near']}").status_code == 200
    assert APPROVE not in am1.get(f"/visits/{v['near']}").get_data(as_text=True)
    assert set(listed(am1)) == {v["near"], v["far"], v["nofix"]}
    tech = signed_in(app, "tech1").client
    assert tech.get("/visits/").status_code == 403
    assert tech.get(f"/visits/{v['far']}").status_code == 403
    assert tech.get("/visits/export.csv").status_code == 403


def test_nav_link_for_supervisors_only(app, field):
    assert "/visits/" in signed_in(app, "sup_d1").client.get("/").get_data(as_text=True)
    assert "/visits/" not in signed_in(app, "tech1").client.get("/").get_data(as_text=True)


def test_detail_shows_evidence(app, db, field):
    v = field["v"]
    dev = field["dev1"]
    boss = factories.make_contact(db, field["cust1"], name="李总", title="总经理")
    update = {"notes": "谈了新套餐", "satisfaction": 4, "contacts_met": ["王经理", boss["id"]]}
    follow = {"id": new_id(), "visit_id": v["far"], "action": "送报价单", "due_date": "2026-12-01"}
    assert _applied(
        dev.push(
            [
                dev.mutation("visit.update", {"id": v["far"], "fields": update}),
                dev.mutation("visit.add_follow_up", follow),
            ]
        )
    )
    html = signed_in(app, "sup_d1").client.get(f"/visits/{v['far']}").get_data(as_text=True)
    for text in ("谈了新套餐", "王经理, 李总 (总经理)", "送报价单", "2026-12-01", "± 250 m"):
        assert text in html, text
    assert 'data-flag="far"' in html and 'data-flag="low_accuracy"' in html
    assert '<tr data-event="check_in">' in html
    device_cell = re.search(r'data-event="check_in">.*?</td>\s*<td>([^<]*)</td>', html, re.S)
    assert "10:00" in device_cell.group(1)  # the device said 02:00Z: 10:00 in Shanghai
    assert "data-skew=" in html  # the device clock disagrees with the server's
    assert "30.3, 120.2" in html and "30.2741, 120.1551" in html  # position and customer's


def test_pages_keep_the_filters(app, field):
    app.config["PAGE_SIZE"] = 2
    client = signed_in(app, "sup_city").client
    first, second = (
        listed(client, "status=in_progress"),
        listed(client, "status=in_progress&page=2"),
    )
    assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)
    html = client.get("/visits/?status=in_progress").get_data(as_text=True)
    assert "status=in_progress&amp;page=2" in html


def test_csv_export_equals_the_filtered_list(app, field):
    client = signed_in(app, "sup_city").client
    for query in ("flag=flagged", "", "status=completed", "q=上城"):
        shown = list(listed(client, query))
        resp = client.get(f"/visits/export.csv?{query}")
        raw = resp.get_data()
        assert raw.startswith("\ufeff".encode())
        records = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        assert [r["visit_id"] for r in records] == shown, query
    resp = signed_in(app, "sup_d1").client.get("/visits/export.csv?flag=far")
    records = list(csv.DictReader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    assert [r["visit_id"] for r in records] == [field["v"]["far"]]
    assert records[0]["flags"] == "far,low_accuracy" and records[0]["customer_code"] == "XH001"


def _upload(dev, data):
    headers = {**dev.headers, "Upload-Offset": "0", "Upload-Length": str(len(data))}
    resp = dev.client.put(
        f"/api/blobs/{sha256(data)}", data=data, headers=headers, content_type="image/jpeg"
    )
    assert resp.status_code == 200 and resp.get_json()["state"] == "complete"


def _photo(dev, visit_id, data):
    args = {"id": new_id(), "visit_id": visit_id, "sha256": sha256(data)}
    args.update(mime="image/jpeg", size=len(data))
    return dev.mutation("visit.add_photo", args)


def test_photos_are_served_for_their_visit_only(app, field):
    v, dev = field["v"], field["dev1"]
    arrived, pending, elsewhere = jpeg_bytes(1), jpeg_bytes(2), jpeg_bytes(3)
    _upload(dev, arrived)
    _upload(dev, elsewhere)
    batch = [_photo(dev, v["far"], arrived), _photo(dev, v["far"], pending)]
    assert _applied(dev.push([*batch, _photo(dev, v["nofix"], elsewhere)]))
    sup = signed_in(app, "sup_d1").client
    row = listed(sup)[v["far"]]
    assert "<td>2 <span" in row and 'data-pending="1"' in row
    html = sup.get(f"/visits/{v['far']}").get_data(as_text=True)
    assert f'data-photo="{sha256(arrived)}" data-state="complete"' in html
    assert f'data-photo="{sha256(pending)}" data-state="pending"' in html
    assert html.count("<img ") == 1
    resp = fetch(sup, f"/visits/{v['far']}/photos/{sha256(arrived)}")
    assert resp.status_code == 200 and resp.data == arrived
    assert resp.mimetype == "image/jpeg"
    assert fetch(sup, f"/visits/{v['far']}/photos/{sha256(pending)}").status_code == 404
    assert fetch(sup, f"/visits/{v['far']}/photos/{sha256(elsewhere)}").status_code == 404
    assert fetch(sup, f"/visits/{v['far']}/photos/..%2f..%2fetc").status_code == 404
    other = signed_in(app, "sup_d2").client
    assert fetch(other, f"/visits/{v['far']}/photos/{sha256(arrived)}").status_code == 404
    am1 = signed_in(app, "am1").client
    assert fetch(am1, f"/visits/{v['far']}/photos/{sha256(arrived)}").status_code == 200


def test_signature_is_served_once_uploaded(app, field):
    v, dev = field["v"], field["dev1"]
    ink = jpeg_bytes(9)
    args = {"visit_id": v["near"], "sha256": sha256(ink), "mime": "image/jpeg", "size": len(ink)}
    sup = signed_in(app, "sup_d1").client
    path = f"/visits/{v['near']}/photos/{sha256(ink)}"
    assert _applied(dev.push([dev.mutation("visit.sign", args)]))
    assert 'data-state="pending"' in sup.get(f"/visits/{v['near']}").get_data(as_text=True)
    assert fetch(sup, path).status_code == 404
    _upload(dev, ink)
    assert fetch(sup, path).data == ink
    assert fetch(sup, f"/visits/{v['far']}/photos/{sha256(ink)}").status_code == 404


def _status(db, visit_id):
    return db.execute("SELECT status FROM visit WHERE id = ?", [visit_id]).fetchone()[0]


def test_approve_once_then_refused(app, db, field):
    v = field["v"]
    sup = signed_in(app, "sup_d1").client
    page = sup.get(f"/visits/{v['near']}").get_data(as_text=True)
    assert APPROVE in page
    assert APPROVE not in sup.get(f"/visits/{v['far']}").get_data(as_text=True)
    helper = Auth(sup)
    assert sup.post(f"/visits/{v['near']}/approve").status_code == 400  # no CSRF token
    assert _status(db, v["near"]) == "completed"
    assert signed_in(app, "am1").post(f"/visits/{v['near']}/approve").status_code == 403
    assert signed_in(app, "sup_d2").post(f"/visits/{v['near']}/approve").status_code == 404
    resp = helper.post(f"/visits/{v['near']}/approve")
    assert resp.status_code == 303 and _status(db, v["near"]) == "approved"
    again = helper.post(f"/visits/{v['near']}/approve")
    assert again.status_code == 409 and 'data-error="approve"' in again.get_data(as_text=True)
    assert helper.post(f"/visits/{v['far']}/approve").status_code == 409
    assert _status(db, v["far"]) == "in_progress"
    audit = db.execute(
        "SELECT user_id FROM audit_log WHERE action = 'approve' AND entity_id = ?", [v["near"]]
    ).fetchall()
    assert [r[0] for r in audit] == [field["sup_d1"]["id"]]


def test_late_edits_show_on_the_detail_page_with_their_reason(app, db, field):
    v, dev = field["v"], field["dev1"]
    sup = signed_in(app, "sup_d1").client
    assert Auth(sup).post(f"/visits/{v['near']}/approve").status_code == 303
    late = dev.mutation("visit.update", {"id": v["near"], "fields": {"notes": "补充说明"}})
    status, body = dev.push([late])
    assert body["results"][0]["status"] == "held"
    html = sup.get(f"/visits/{v['near']}").get_data(as_text=True)
    held = re.search(r'<tr data-held="[^"]+" data-reason="approved">(.*?)</tr>', html, re.S)
    assert held, html
    assert "补充说明" in held.group(1) and "visit.update" in held.group(1)
    am1_name = field["am1"]["display_name"]
    assert am1_name in held.group(1)
    assert db.execute("SELECT notes FROM visit WHERE id = ?", [v["near"]]).fetchone()[0] == ""
    assert "data-held" not in sup.get(f"/visits/{v['far']}").get_data(as_text=True)
