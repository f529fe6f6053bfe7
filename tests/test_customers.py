"""Customers: the class rule, validation, list/search/pagination, scope, forms, contacts."""

import json

import pytest

from server.customers import contacts, model
from server.customers.model import compute_class
from tests import factories as f


def english(auth):
    """Switch the signed-in user to English, so messages can be read in assertions."""
    assert auth.post("/lang", data={"locale": "en"}).status_code == 302


@pytest.mark.parametrize(
    ("handsets", "industry", "top500", "expected"),
    [
        (0, "manufacturing", False, "unclassified"),
        (11, "manufacturing", False, "C"),
        (99, "manufacturing", False, "C"),
        (100, "manufacturing", False, "B"),
        (499, "retail", False, "B"),
        (500, "retail", False, "A"),
        (5, "retail", True, "A"),
        (0, "government", False, "A"),
        (0, "party", False, "A"),
        (0, "military", False, "A"),
        (0, "media", False, "A"),
        (0, "bank", False, "A"),
        (0, "railway", False, "A"),
        (0, "securities", False, "B"),
        (99, "insurance", False, "B"),
        (500, "insurance", False, "A"),
        (10, "other", False, "unclassified"),
    ],
)
def test_compute_class(handsets, industry, top500, expected):
    assert compute_class(handsets, industry, top500) == expected


def test_override_wins_and_is_recomputed_on_update(tree, db):
    bank = f.make_customer(
        db, tree["T1"], industry="bank", class_override="C", class_override_reason="dormant"
    )
    assert (bank["computed_class"], bank["customer_class"]) == ("A", "C")
    cleared = model.update_customer(db, None, bank["id"], {"class_override": None})
    assert cleared["customer_class"] == "A"
    assert cleared["class_override_reason"] is None
    grown = model.update_customer(db, None, bank["id"], {"industry": "retail", "handsets": 120})
    assert grown["customer_class"] == "B"


def _form(tree, **overrides) -> dict:
    values = dict(
        code="HZ001",
        name="杭州钢铁",
        industry="manufacturing",
        handsets="150",
        sla_grade="gold",
        account_manager_id=tree["am1"]["id"],
        org_id=tree["T1"]["id"],
        address="拱墅区",
        lat="30.3",
        lon="120.1",
    )
    return values | overrides


def _caller(db, user):
    from server.auth.model import caller

    return caller(db, user["id"])


def test_validate_accepts_a_good_form(tree, db):
    clean, errors = model.validate(db, _caller(db, tree["sup_d1"]), _form(tree))
    assert errors == {}
    assert clean["handsets"] == 150 and clean["lat"] == 30.3 and clean["top500"] == 0


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"code": ""}, "code", "required"),
        ({"name": "  "}, "name", "required"),
        ({"industry": "casino"}, "industry", "invalid_choice"),
        ({"handsets": "-1"}, "handsets", "out_of_range"),
        ({"handsets": "1.5"}, "handsets", "invalid_integer"),
        ({"sla_grade": "platinum"}, "sla_grade", "invalid_choice"),
        ({"class_override": "D"}, "class_override", "invalid_choice"),
        (
            {"class_override": "A", "class_override_reason": ""},
            "class_override_reason",
            "reason_required",
        ),
        ({"top500": "maybe"}, "top500", "invalid_choice"),
        ({"account_manager_id": "nobody"}, "account_manager_id", "unknown_user"),
        ({"org_id": ""}, "org_id", "required"),
        ({"org_id": "nowhere"}, "org_id", "unknown_org"),
        ({"lat": "90.5"}, "lat", "invalid_latitude"),
        ({"lon": "-180.1"}, "lon", "invalid_longitude"),
        ({"lat": "north"}, "lat", "invalid_number"),
        ({"lat": "nan"}, "lat", "invalid_latitude"),
        ({"handsets": str(2**64)}, "handsets", "out_of_range"),  # was a 500 (SQLite integer)
        ({"handsets": "1000000001"}, "handsets", "out_of_range"),
    ],
)
def test_validate_rejects(tree, db, overrides, field, code):
    _, errors = model.validate(db, _caller(db, tree["sup_d1"]), _form(tree, **overrides))
    assert errors == {field: code}


def test_validate_scope_and_uniqueness(tree, db):
    sup_d1 = _caller(db, tree["sup_d1"])
    existing = f.make_customer(db, tree["T1"], code="HZ001", name="已有客户")
    _, errors = model.validate(db, sup_d1, _form(tree, name="已有客户"))
    assert errors == {"code": "duplicate", "name": "duplicate"}
    # Editing the record itself is not a duplicate.
    _, errors = model.validate(db, sup_d1, _form(tree, name="已有客户", id=existing["id"]))
    assert errors == {}
    outside = _form(tree, code="X", name="Y", org_id=tree["T2"]["id"])
    outside["account_manager_id"] = tree["am2"]["id"]
    _, errors = model.validate(db, sup_d1, outside)
    assert errors == {"org_id": "out_of_scope", "account_manager_id": "out_of_scope"}
    _, errors = model.validate(
        db, sup_d1, _form(tree, code="X", name="Y", account_manager_id=tree["tech1"]["id"])
    )
    assert errors == {"account_manager_id": "not_account_manager"}


def test_edit_keeps_a_reference_set_by_a_wider_scope(tree, db):
    sup_d1 = _caller(db, tree["sup_d1"])
    customer = f.make_customer(db, tree["T1"], tree["am2"], code="HZ001", name="杭州钢铁")
    kept = _form(tree, id=customer["id"], account_manager_id=tree["am2"]["id"], handsets="5")
    assert model.validate(db, sup_d1, kept)[1] == {}
    other = f.make_customer(db, tree["T1"], tree["am1"])
    moved = _form(tree, id=other["id"], code=other["code"], name=other["name"])
    moved["account_manager_id"] = tree["am2"]["id"]
    assert model.validate(db, sup_d1, moved)[1] == {"account_manager_id": "out_of_scope"}


def test_form_shows_errors_beside_fields_and_saves_nothing(tree, db, auth, client):
    auth.login("sup_d1")
    english(auth)
    bad = _form(tree, class_override="A", class_override_reason="", lat="95")
    response = auth.post("/customers/new", data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-error="class_override_reason"' in page
    assert "Give a reason for the override." in page
    assert 'data-error="lat"' in page and "Latitude must be between -90 and 90." in page
    assert 'value="杭州钢铁"' in page  # what was typed stays
    assert db["customer"].count == 0
    htmx = auth.post("/customers/new", data=bad, headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and "<html" not in htmx.get_data(as_text=True)


def test_supervisor_creates_and_edits_a_customer(tree, db, auth, client):
    auth.login("sup_d1")
    response = auth.post("/customers/new", data=_form(tree, industry="bank"))
    assert response.status_code == 303
    customer = db.execute("SELECT * FROM customer WHERE code = 'HZ001'").fetchone()
    assert customer["customer_class"] == "A" and customer["updated_by"] == tree["sup_d1"]["id"]
    edited = _form(tree, industry="retail", class_override="C", class_override_reason="合同到期")
    assert auth.post(f"/customers/{customer['id']}/edit", data=edited).status_code == 303
    page = client.get(f"/customers/{customer['id']}").get_data(as_text=True)
    assert "合同到期" in page
    row = db["customer"].get(customer["id"])
    assert (row["computed_class"], row["customer_class"]) == ("B", "C")
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE entity='customer'")]
    assert actions == ["create", "update"]


def test_field_users_read_only(tree, db, auth, client):
    mine = f.make_customer(db, tree["T1"], tree["am1"])
    auth.login("am1")
    assert client.get(f"/customers/{mine['id']}").status_code == 200
    assert client.get("/customers/new").status_code == 403
    assert auth.post(f"/customers/{mine['id']}/edit", data=_form(tree)).status_code == 403
    assert auth.post(f"/customers/{mine['id']}/contacts", data={"name": "x"}).status_code == 403
    assert "New customer" not in client.get("/customers/").get_data(as_text=True)


def test_search_filters_and_pagination(tree, db, auth, client, app):
    for n in range(30):
        f.make_customer(db, tree["T1"], tree["am1"], name=f"西湖茶厂{n:02d}", handsets=50)
    f.make_customer(
        db, tree["T1"], tree["am1"], name="龙井银行", industry="bank", address="龙井路"
    )
    auth.login("sup_d1")
    size = app.config["PAGE_SIZE"]
    first = client.get("/customers/?q=茶厂").get_data(as_text=True)
    assert first.count("data-customer=") == size and "龙井银行" not in first
    second = client.get("/customers/?q=茶厂&page=2").get_data(as_text=True)
    assert second.count("data-customer=") == 30 - size
    by_address = client.get("/customers/?q=龙井路").get_data(as_text=True)
    assert by_address.count("data-customer=") == 1 and "龙井银行" in by_address
    class_a = client.get("/customers/?customer_class=A").get_data(as_text=True)
    assert class_a.count("data-customer=") == 1
    # A wildcard in the search term is a literal character, not "anything".
    assert client.get("/customers/?q=%25").get_data(as_text=True).count("data-customer=") == 0
    partial = client.get("/customers/?q=龙井", headers={"HX-Request": "true"})
    assert "HX-Request" in partial.headers["Vary"]
    body = partial.get_data(as_text=True)
    assert body.startswith('<div id="customer-table">') and "<html" not in body


def test_lists_are_scoped(tree, db, auth, client):
    f.make_customer(db, tree["T1"], tree["am1"], name="一号客户")
    f.make_customer(db, tree["T2"], tree["am2"], name="二号客户")
    auth.login("am1")
    page = client.get("/customers/").get_data(as_text=True)
    assert "一号客户" in page and "二号客户" not in page
    auth.login("tech1")
    assert client.get("/customers/").get_data(as_text=True).count("data-customer=") == 0


@pytest.mark.parametrize(
    ("username", "owner_org", "owner_am"),
    [
        ("sup_d1", "T2", "am2"),  # another district
        ("sup_k", "T1", "am1"),  # a contractor's supervisor sees no customers
        ("am1", "T1", "am2"),  # same team, another account manager's customer
        ("tech1", "T1", "am1"),  # technicians see no customers yet
    ],
)
def test_out_of_scope_customer_is_404(tree, db, auth, client, username, owner_org, owner_am):
    other = f.make_customer(db, tree[owner_org], tree[owner_am])
    auth.login(username)
    assert client.get(f"/customers/{other['id']}").status_code == 404
    if username.startswith("sup"):
        assert client.get(f"/customers/{other['id']}/edit").status_code == 404
        assert (
            auth.post(f"/customers/{other['id']}/contacts", data={"name": "x"}).status_code == 404
        )


def test_admin_sees_any_customer(tree, db, auth, client):
    other = f.make_customer(db, tree["T2"], tree["am2"])
    auth.login("admin")
    assert client.get(f"/customers/{other['id']}").status_code == 200


def test_contacts_add_edit_remove(tree, db, auth, client):
    customer = f.make_customer(db, tree["T1"], tree["am1"])
    base = f"/customers/{customer['id']}/contacts"
    auth.login("sup_d1")
    english(auth)
    bad = {
        "name": "王经理",
        "birthday": "1980-13-01",
        "key_date_label": ["成立日"],
        "key_date": [""],
    }
    page = auth.post(base, data=bad).get_data(as_text=True)
    assert 'data-error="birthday"' in page and 'data-error="key_dates"' in page
    assert db["contact"].count == 0
    good = {
        "name": "王经理",
        "title": "总经理",
        "phone": "13800000000",
        "birthday": "1980-05-01",
        "key_date_label": ["成立日", ""],
        "key_date": ["2001-09-10", ""],
    }
    assert auth.post(base, data=good).status_code == 303
    [contact] = contacts.for_customer(db, customer["id"])
    assert contact["key_dates"] == [{"label": "成立日", "date": "2001-09-10"}]
    detail = client.get(f"/customers/{customer['id']}").get_data(as_text=True)
    assert "成立日: 2001-09-10" in detail and "总经理" in detail
    edit = f"{base}/{contact['id']}/edit"
    assert auth.post(edit, data={**good, "title": "董事长"}).status_code == 303
    assert contacts.get(db, customer["id"], contact["id"])["title"] == "董事长"
    assert auth.post(f"{base}/{contact['id']}/delete").status_code == 303
    stored = db["contact"].get(contact["id"])
    assert stored["deleted_at"] and json.loads(stored["key_dates"])[0]["label"] == "成立日"
    page = client.get(f"/customers/{customer['id']}").get_data(as_text=True)
    listed = page.split('<div id="contacts">', 1)[1].split("</table>", 1)[0]
    assert "王经理" in page and "王经理" not in listed  # in the change history only
    assert client.get(edit).status_code == 404


def test_contact_of_another_customer_is_404(tree, db, auth, client):
    mine = f.make_customer(db, tree["T1"])
    theirs = f.make_customer(db, tree["T1"])
    contact = contacts.add(db, None, theirs["id"], {"name": "李四"})
    auth.login("sup_d1")
    assert client.get(f"/customers/{mine['id']}/contacts/{contact['id']}/edit").status_code == 404
