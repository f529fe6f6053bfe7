"""Sites: validation, list/search/filters, scope, create and edit."""

import pytest

from server.auth.model import caller
from server.sites import model
from tests import factories as f


def _form(tree, **overrides) -> dict:
    values = dict(
        code="BS-0001",
        name="文三路基站",
        site_type="base_station",
        lat="30.28",
        lon="120.13",
        area="西湖",
        address="文三路 1 号",
        org_id=tree["T1"]["id"],
        contractor_id=tree["K"]["id"],
        customer_id="",
        inspection_cycle_days="30",
    )
    return values | overrides


def test_validate_accepts_a_good_form(tree, db):
    clean, errors = model.validate(db, caller(db, tree["sup_d1"]["id"]), _form(tree))
    assert errors == {}
    assert clean["inspection_cycle_days"] == 30 and clean["customer_id"] is None
    clean, _ = model.validate(
        db, caller(db, tree["sup_d1"]["id"]), _form(tree, inspection_cycle_days="")
    )
    assert clean["inspection_cycle_days"] == model.DEFAULT_CYCLE_DAYS


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"code": ""}, "code", "required"),
        ({"name": ""}, "name", "required"),
        ({"site_type": "tower"}, "site_type", "invalid_choice"),
        ({"site_type": ""}, "site_type", "required"),
        ({"lat": "-91"}, "lat", "invalid_latitude"),
        ({"lon": "181"}, "lon", "invalid_longitude"),
        ({"org_id": ""}, "org_id", "required"),
        ({"contractor_id": "nope"}, "contractor_id", "unknown_org"),
        ({"customer_id": "nope"}, "customer_id", "unknown_customer"),
        ({"inspection_cycle_days": "0"}, "inspection_cycle_days", "out_of_range"),
        ({"inspection_cycle_days": "weekly"}, "inspection_cycle_days", "invalid_integer"),
    ],
)
def test_validate_rejects(tree, db, overrides, field, code):
    _, errors = model.validate(db, caller(db, tree["sup_d1"]["id"]), _form(tree, **overrides))
    assert errors == {field: code}


def test_validate_references(tree, db):
    sup_d1 = caller(db, tree["sup_d1"]["id"])
    f.make_site(db, tree["T1"], code="BS-0001")
    outside = f.make_customer(db, tree["T2"])
    _, errors = model.validate(
        db,
        sup_d1,
        _form(
            tree,
            contractor_id=tree["D1"]["id"],
            customer_id=outside["id"],
            org_id=tree["T2"]["id"],
        ),
    )
    assert errors == {
        "code": "duplicate",
        "contractor_id": "not_contractor",
        "customer_id": "out_of_scope",
        "org_id": "out_of_scope",
    }


def test_supervisor_creates_and_edits_a_site(tree, db, auth, client):
    customer = f.make_customer(db, tree["T1"])
    auth.login("sup_d1")
    response = auth.post("/sites/new", data=_form(tree, customer_id=customer["id"]))
    assert response.status_code == 303
    site = db.execute("SELECT * FROM site WHERE code = 'BS-0001'").fetchone()
    assert site["customer_id"] == customer["id"] and site["contractor_id"] == tree["K"]["id"]
    changed = _form(tree, name="文三路宏站", contractor_id="", customer_id=customer["id"])
    assert auth.post(f"/sites/{site['id']}/edit", data=changed).status_code == 303
    row = db["site"].get(site["id"])
    assert row["name"] == "文三路宏站" and row["contractor_id"] is None
    page = client.get(f"/sites/{site['id']}").get_data(as_text=True)
    assert "文三路宏站" in page and customer["name"] in page


def test_form_errors_beside_fields(tree, db, auth):
    auth.login("sup_d1")
    assert auth.post("/lang", data={"locale": "en"}).status_code == 302
    response = auth.post("/sites/new", data=_form(tree, contractor_id=tree["T1"]["id"]))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-error="contractor_id"' in page
    assert "This organisation is not a contractor." in page
    assert db["site"].count == 0


def test_search_and_filters(tree, db, auth, client, app):
    for n in range(27):
        f.make_site(db, tree["T1"], tree["K"], name=f"站点{n:02d}", area="西湖")
    f.make_site(db, tree["T1"], name="客户机房", area="滨江", site_type="customer_premises")
    auth.login("sup_d1")
    page1 = client.get("/sites/?q=西湖").get_data(as_text=True)
    assert page1.count("data-site=") == app.config["PAGE_SIZE"]
    page2 = client.get("/sites/?q=西湖&page=2").get_data(as_text=True)
    assert page2.count("data-site=") == 27 - app.config["PAGE_SIZE"]
    premises = client.get("/sites/?site_type=customer_premises").get_data(as_text=True)
    assert premises.count("data-site=") == 1 and "客户机房" in premises
    by_contractor = client.get(f"/sites/?contractor_id={tree['K']['id']}&q=站点0")
    assert by_contractor.get_data(as_text=True).count("data-site=") == 10
    partial = client.get("/sites/?q=滨江", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert partial.startswith('<div id="site-table">') and "客户机房" in partial


def test_field_users_read_only(tree, db, auth, client):
    site = f.make_site(db, tree["K"], tree["K"])
    auth.login("tech_k")
    assert client.get(f"/sites/{site['id']}").status_code == 200
    assert client.get("/sites/new").status_code == 403
    assert auth.post(f"/sites/{site['id']}/edit", data=_form(tree)).status_code == 403


@pytest.mark.parametrize(
    ("username", "org", "contractor", "with_customer_of"),
    [
        ("sup_d1", "T2", None, None),  # another district
        ("sup_k", "T1", None, None),  # not maintained by their contractor
        ("tech_k", "T2", None, None),  # contractor technician: only their contractor's sites
        ("tech1", "T2", "K", None),  # in-house technician: only their own subtree
        ("am1", "T1", None, "am2"),  # account manager: only sites at their customers
    ],
)
def test_out_of_scope_site_is_404(
    tree, db, auth, client, username, org, contractor, with_customer_of
):
    customer = (
        f.make_customer(db, tree["T1"], tree[with_customer_of]) if with_customer_of else None
    )
    site = f.make_site(db, tree[org], tree[contractor] if contractor else None, customer)
    auth.login(username)
    assert client.get(f"/sites/{site['id']}").status_code == 404
    assert site["code"] not in client.get("/sites/").get_data(as_text=True)


def test_in_scope_sites_are_visible(tree, db, auth, client):
    customer = f.make_customer(db, tree["T1"], tree["am1"])
    at_customer = f.make_site(db, tree["T1"], None, customer)
    maintained = f.make_site(db, tree["T2"], tree["K"])
    for username, site in (("am1", at_customer), ("sup_k", maintained), ("tech_k", maintained)):
        auth.login(username)
        assert client.get(f"/sites/{site['id']}").status_code == 200, username


def test_contractor_options_and_choice_follow_scope(tree, db, auth, client):
    """Another city's contractor is neither listed nor accepted (answered like a missing id);
    the city's own contractor serves its districts' supervisors."""
    other_city = f.make_org(db, "city", tree["P"], name="宁波分公司")
    elsewhere = f.make_org(db, "contractor", other_city, name="甬城代维")
    sup_d1 = caller(db, tree["sup_d1"]["id"])
    _, errors = model.validate(db, sup_d1, _form(tree, contractor_id=elsewhere["id"]))
    assert errors == {"contractor_id": "unknown_org"}
    _, missing = model.validate(db, sup_d1, _form(tree, contractor_id="no-such-org"))
    assert missing == errors
    auth.login("sup_d1")
    for path in ("/sites/", "/sites/new"):
        html = client.get(path).get_data(as_text=True)
        assert "华信代维" in html, path  # K, contracted by the city above D1
        assert "甬城代维" not in html, path
    auth.logout()
    auth.login("tech_k")
    html = client.get("/sites/").get_data(as_text=True)
    assert "华信代维" in html and "甬城代维" not in html
