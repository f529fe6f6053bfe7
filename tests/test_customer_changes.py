"""The customer page's change history: who changed what (field, old → new), from the audit log."""

import re

import pytest

from tests import factories
from tests.device import Device, new_id


@pytest.fixture
def world(db, tree):
    t = dict(tree)
    t["cust"] = factories.make_customer(db, t["T1"], t["am1"], address="旧地址")
    t["contact"] = factories.make_contact(db, t["cust"], name="王经理", phone="13800001234")
    t["other"] = factories.make_customer(db, t["T2"], t["am2"])
    return t


def rows_of(html: str) -> list[str]:
    section = html.split('data-testid="change-history"', 1)[1].split("</section>", 1)[0]
    return re.findall(r"<tr data-change=.*?</tr>", section, re.S)


def test_device_and_web_changes_are_listed_newest_first_with_who_and_old_new(
    client, db, world, auth
):
    dev = Device(client, "am1", factories.PASSWORD)
    cust, cid = world["cust"]["id"], world["contact"]["id"]
    dev.applied("contact.update", {"id": cid, "fields": {"phone": "13955556666"}})
    dev.applied("customer.update", {"id": cust, "fields": {"address": "新地址 8 号"}})
    added = new_id()
    dev.applied("contact.add", {"id": added, "customer_id": cust, "name": "赵秘书"})
    dev.applied("contact.update", {"id": added, "fields": {"birthday": "1990-06-01"}})
    auth.login("sup_d1")
    html = client.get(f"/customers/{cust}").get_data(as_text=True)
    rows = rows_of(html)
    assert len(rows) == 4 + 2  # the four device writes; the two creates by the factories
    birthday, added_row, address, phone = rows[:4]
    assert 'data-change-field="birthday"' in birthday and "1990-06-01" in birthday
    assert "赵秘书" in birthday
    assert 'data-change="create"' in added_row and "赵秘书" in added_row
    assert 'data-change-field="address"' in address
    assert "<del>旧地址</del> → <ins>新地址 8 号</ins>" in address
    # Phone numbers stay masked here as everywhere they are listed.
    assert "<del>138****1234</del> → <ins>139****6666</ins>" in phone
    assert "13955556666" not in html.split('data-testid="change-history"', 1)[1]
    who = world["am1"]["display_name"]
    assert all(who in r for r in rows[:4])
    # Labels are localised (the default language is Chinese).
    assert "地址:" in address and "电话:" in phone and "生日:" in birthday


def test_history_in_english_and_of_a_web_edit(client, db, world, auth):
    cust = world["cust"]["id"]
    db.execute("UPDATE app_user SET locale = 'en' WHERE id = ?", [world["sup_d1"]["id"]])
    db.conn.commit()
    auth.login("sup_d1")
    form = {
        "code": world["cust"]["code"],
        "name": world["cust"]["name"],
        "industry": "manufacturing",
        "sla_grade": "gold",
        "handsets": "50",
        "account_manager_id": world["am1"]["id"],
        "org_id": world["T1"]["id"],
        "address": "旧地址",
        "notes": "前台在二楼",
    }
    assert auth.post(f"/customers/{cust}/edit", form).status_code == 303
    html = client.get(f"/customers/{cust}").get_data(as_text=True)
    newest = rows_of(html)[0]
    assert 'data-change-field="sla_grade"' in newest and 'data-change-field="notes"' in newest
    assert world["sup_d1"]["display_name"] in newest
    assert "Notes:" in newest and "Service grade:" in newest
    assert "<del>Standard</del> → <ins>Gold</ins>" in newest


def test_another_teams_customer_page_and_its_history_are_404(client, world, auth):
    auth.login("am1")
    assert client.get(f"/customers/{world['other']['id']}").status_code == 404


def test_web_contact_form_checks_phone_and_email_and_keeps_the_new_fields(client, db, world, auth):
    cust, cid = world["cust"]["id"], world["contact"]["id"]
    auth.login("sup_d1")
    bad = {"name": "王经理", "phone": "call me", "email": "nope"}
    resp = auth.post(f"/customers/{cust}/contacts/{cid}/edit", bad)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'data-error="phone"' in html and 'data-error="email"' in html
    stored = db.execute("SELECT phone, email FROM contact WHERE id = ?", [cid]).fetchone()
    assert tuple(stored) == ("13800001234", "")
    good = {"name": "王经理", "phone": "0571-8888 6666#12", "email": "w@example.com"}
    good["notes"] = "周三"
    assert auth.post(f"/customers/{cust}/contacts/{cid}/edit", good).status_code == 303
    stored = db.execute("SELECT phone, email, notes FROM contact WHERE id = ?", [cid]).fetchone()
    assert tuple(stored) == ("0571-8888 6666#12", "w@example.com", "周三")
