"""Phone numbers are masked where they are listed; showing one needs a reason and is audited."""

import pytest

from server.appointments import model as appointments
from server.auth.model import caller
from server.privacy.phones import mask
from tests import factories as f


@pytest.mark.parametrize(
    "phone, shown",
    [
        ("13812345678", "138****5678"),
        ("+86 138 1234 5678", "+86 1** **** 5678"),
        ("0571-8888 6666", "057*-**** 6666"),
        ("12345", "***45"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_keeps_the_first_three_and_last_four_digits(phone, shown):
    assert mask(phone) == shown


@pytest.fixture
def contact(db, tree):
    customer = f.make_customer(db, tree["T1"], tree["am1"], name="西湖数码")
    return customer, f.make_contact(db, customer, phone="13912345678")


def _audits(db, entity_id):
    return db.execute(
        "SELECT user_id, action, after FROM audit_log WHERE action = 'reveal_phone'"
        " AND entity_id = ?",
        [entity_id],
    ).fetchall()


@pytest.mark.parametrize("who", ["sup_d1", "am1"])
def test_customer_page_masks_and_reveals_with_a_reason(db, tree, auth, client, contact, who):
    customer, person = contact
    auth.login(who)
    page = client.get(f"/customers/{customer['id']}").get_data(as_text=True)
    assert "139****5678" in page and "13912345678" not in page
    url = f"/customers/{customer['id']}/contacts/{person['id']}/phone"
    refused = auth.post(url, data={"reason": ""})
    assert refused.status_code == 422
    assert 'data-error="reason"' in refused.get_data(as_text=True)
    assert "13912345678" not in refused.get_data(as_text=True)
    assert _audits(db, person["id"]) == []
    shown = auth.post(url, data={"reason": "回访确认联系方式"}, headers={"HX-Request": "true"})
    assert shown.status_code == 200
    assert "13912345678" in shown.get_data(as_text=True)
    (entry,) = _audits(db, person["id"])
    assert entry["user_id"] == tree[who]["id"] and "回访确认联系方式" in entry["after"]


def test_another_scope_cannot_reveal(db, tree, auth, contact):
    customer, person = contact
    auth.login("am2")
    url = f"/customers/{customer['id']}/contacts/{person['id']}/phone"
    assert auth.post(url, data={"reason": "看看"}).status_code == 404
    auth.logout()
    auth.login("sup_d1")
    wrong = f"/customers/{customer['id']}/contacts/{'0' * 8}-0000-7000-8000-{'0' * 12}/phone"
    assert auth.post(wrong, data={"reason": "看看"}).status_code == 404
    assert _audits(db, person["id"]) == []


def test_appointment_phone_masked_in_list_and_detail(db, tree, auth, client, contact):
    customer, _ = contact
    clean, errors = appointments.validate_record(
        db,
        caller(db, tree["am1"]["id"]),
        {
            "customer_id": customer["id"],
            "wanted_at": "2026-12-10T02:00:00Z",
            "need": "宽带报装",
            "contact_name": "王先生",
            "contact_phone": "13700001111",
        },
        "Asia/Shanghai",
    )
    assert not errors
    appointment = appointments.record(db, tree["am1"]["id"], clean)
    auth.login("sup_d1")
    for path in ("/appointments/", f"/appointments/{appointment['id']}"):
        html = client.get(path).get_data(as_text=True)
        assert "137****1111" in html and "13700001111" not in html, path
    shown = auth.post(f"/appointments/{appointment['id']}/phone", data={"reason": "预约改期"})
    assert shown.status_code == 200 and "13700001111" in shown.get_data(as_text=True)
    assert len(_audits(db, appointment["id"])) == 1
