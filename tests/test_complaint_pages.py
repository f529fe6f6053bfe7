"""Complaint pages: the queue, a new complaint, the detail with its steps; scope is 404."""

import pytest

from server.complaints import model
from tests import factories as f


@pytest.fixture
def world(db, field):
    t = dict(field)
    t["k1"] = f.make_complaint(db, field["cust1"], words="专线中断三次")
    t["k2"] = f.make_complaint(db, field["cust2"], words="话费多扣", severity="critical")
    return t


def csrf(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_the_queue_lists_the_scope_most_severe_first(client, auth, world):
    auth.login("sup_city")
    html = client.get("/complaints/").get_data(as_text=True)
    assert html.index(world["k2"]["id"]) < html.index(world["k1"]["id"])
    auth.login("sup_d1")
    html = client.get("/complaints/").get_data(as_text=True)
    assert world["k1"]["id"] in html and world["k2"]["id"] not in html


@pytest.mark.parametrize("query", ["?status=bogus", "?severity=x", "?owner_id=nobody", "?page=-1"])
def test_bad_filters_are_left_out(client, auth, world, query):
    auth.login("sup_d1")
    resp = client.get(f"/complaints/{query}")
    assert resp.status_code == 200 and world["k1"]["id"] in resp.get_data(as_text=True)


def test_filters_narrow_the_queue(client, auth, world):
    auth.login("sup_city")
    html = client.get("/complaints/?severity=critical").get_data(as_text=True)
    assert world["k2"]["id"] in html and world["k1"]["id"] not in html


@pytest.mark.parametrize("who", ["sup_d1", "sup_k"])
@pytest.mark.parametrize(
    ("method", "path"),
    [("get", ""), ("post", "/step"), ("post", "/owner"), ("post", "/severity")],
)
def test_another_orgs_complaint_is_404_on_every_page(client, auth, world, who, method, path):
    auth.login(who)
    token = csrf(client.get("/complaints/new").get_data(as_text=True))
    url = f"/complaints/{world['k2']['id']}{path}"
    resp = client.get(url) if method == "get" else client.post(url, data={"csrf_token": token})
    assert resp.status_code == 404


@pytest.mark.parametrize("who", ["am1", "tech1"])
def test_field_users_do_not_open_the_desk_pages(client, auth, world, who):
    auth.login(who)
    assert client.get("/complaints/").status_code == 403
    assert client.get(f"/complaints/{world['k1']['id']}").status_code == 403


def test_a_supervisor_records_a_complaint(client, auth, db, world):
    auth.login("sup_d1")
    token = csrf(client.get("/complaints/new").get_data(as_text=True))
    data = dict(
        csrf_token=token,
        customer_id=world["cust1"]["id"],
        channel="hotline_transfer",
        category="billing",
        severity="low",
        words="客户来电反映账单",
        external_ticket_id="CC-2026-0001",
    )
    resp = client.post("/complaints/new", data=data)
    assert resp.status_code == 303
    row = db.execute(
        "SELECT * FROM complaint WHERE external_ticket_id = 'CC-2026-0001'"
    ).fetchone()
    assert (row["recorded_by"], row["owner_id"]) == (world["sup_d1"]["id"], world["am1"]["id"])
    again = client.post("/complaints/new", data=data)
    assert again.status_code == 422 and 'data-error="external_ticket_id"' in again.get_data(
        as_text=True
    )


def test_the_form_refuses_another_scopes_customer_and_bad_choices(client, auth, world):
    auth.login("sup_d1")
    token = csrf(client.get("/complaints/new").get_data(as_text=True))
    data = dict(csrf_token=token, customer_id=world["cust2"]["id"], channel="fax", words="")
    html = client.post("/complaints/new", data=data).get_data(as_text=True)
    for field in ("customer_id", "channel", "category", "severity", "words"):
        assert f'data-error="{field}"' in html


def test_steps_from_the_detail_page_leave_history(client, auth, db, world):
    auth.login("sup_d1")
    k = world["k1"]
    page = client.get(f"/complaints/{k['id']}").get_data(as_text=True)
    token = csrf(page)
    url = f"/complaints/{k['id']}/step"
    assert client.post(url, data={"csrf_token": token, "action": "investigate"}).status_code == 303
    refused = client.post(url, data={"csrf_token": token, "action": "archive"})
    assert refused.status_code == 409
    missing = client.post(url, data={"csrf_token": token, "action": "handle"})
    assert 'data-error="handling"' in missing.get_data(as_text=True)
    client.post(url, data={"csrf_token": token, "action": "handle", "handling": "已修复"})
    owner = client.post(
        f"/complaints/{k['id']}/owner",
        data={"csrf_token": token, "owner_id": world["sup_d1"]["id"], "reason": "升级"},
    )
    assert owner.status_code == 303
    steps = [s["action"] for s in model.history(db, k["id"])]
    assert steps == ["record", "investigate", "handle", "reassign"]
    html = client.get(f"/complaints/{k['id']}").get_data(as_text=True)
    assert 'data-step="reassign"' in html and 'data-clock="resolution"' in html


def test_a_post_without_csrf_is_refused(client, auth, world):
    auth.login("sup_d1")
    resp = client.post(f"/complaints/{world['k1']['id']}/step", data={"action": "investigate"})
    assert resp.status_code == 400


def test_a_held_device_edit_shows_on_the_complaint_and_in_the_inbox(client, auth, db, world):
    from tests.device import Device

    k = world["k1"]
    db.execute("UPDATE complaint SET status = 'archived' WHERE id = ?", [k["id"]])
    device = Device(client, "am1", f.PASSWORD)
    result = device.push_one("complaint.update", {"id": k["id"], "fields": {"words": "补充说明"}})
    assert result["status"] == "held"
    held_id = result["result"]["id"]
    auth.login("sup_d1")
    page = client.get(f"/complaints/{k['id']}").get_data(as_text=True)
    assert f'data-held="{held_id}"' in page and 'data-reason="archived"' in page
    inbox = client.get("/reviews/conflicts/").get_data(as_text=True)
    assert held_id in inbox and k["customer_id"] and world["cust1"]["name"] in inbox
    auth.login("sup_k")
    assert held_id not in client.get("/reviews/conflicts/").get_data(as_text=True)
