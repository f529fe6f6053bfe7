"""Scoping as a matrix: every role at its place in the tree × list, detail and CSV export.

The tree (tests/conftest.py):

    province P ─ city C ─ district D1 ─ team T1      users: admin (P), sup_city (C),
                        └ district D2 ─ team T2             sup_d1 (D1), sup_k (K),
                        └ contractor K                      am1, tech1 (T1), am2 (T2),
                                                            tech_k (K)

The tables below say who sees what; each test walks one user through every surface and
compares what the pages and downloads show with the table, so loosening any rule in
server/scope.py (or a view that forgets it) fails here.
"""

import csv
import io
import re
from dataclasses import dataclass

import pytest
from flask import url_for

from tests import factories as f

# The records, by code: customer code → (org, account manager).
CUSTOMERS = {
    "CU-T1": ("T1", "am1"),
    "CU-T2": ("T2", "am2"),
    "CU-C": ("C", None),  # held at city level, no account manager below it
}
# Site code → (org, maintaining contractor, customer at whose premises it is).
SITES = {
    "ST-T1": ("T1", None, None),
    "ST-T2": ("T2", None, None),
    "ST-K": ("D2", "K", None),  # in D2, maintained by contractor K
    "ST-CP": ("T1", None, "CU-T1"),  # customer premises at am1's customer
}

ALL_CUSTOMERS = set(CUSTOMERS)
ALL_SITES = set(SITES)
NONE: set[str] = set()

# Who sees which customers and sites.
VISIBLE = {
    "admin": (ALL_CUSTOMERS, ALL_SITES),
    "sup_city": (ALL_CUSTOMERS, ALL_SITES),  # the city's whole subtree
    "sup_d1": ({"CU-T1"}, {"ST-T1", "ST-CP"}),  # D1 and T1 below it
    "sup_k": (NONE, {"ST-K"}),  # a contractor's supervisor: the sites K maintains
    "am1": ({"CU-T1"}, {"ST-CP"}),  # own customers, and sites at them
    "am2": ({"CU-T2"}, NONE),
    "tech1": (NONE, {"ST-T1", "ST-CP"}),  # in-house: the sites of T1's subtree
    "tech_k": (NONE, {"ST-K"}),  # contractor technician: K's sites
}

ALL_USERS = {"admin", "sup_city", "sup_d1", "sup_k", "am1", "am2", "tech1", "tech_k"}
ALL_ORGS = {"P", "C", "D1", "D2", "T1", "T2", "K"}

# Who sees which users and organisations on the admin screens; None: the screens are 403.
ADMIN_VISIBLE = {
    "admin": (ALL_USERS, ALL_ORGS),
    "sup_city": (ALL_USERS - {"admin"}, ALL_ORGS - {"P"}),
    "sup_d1": ({"sup_d1", "am1", "tech1"}, {"D1", "T1"}),
    "sup_k": ({"sup_k", "tech_k"}, {"K"}),
    "am1": None,
    "am2": None,
    "tech1": None,
    "tech_k": None,
}


@dataclass(frozen=True)
class Surface:
    """The pages of one kind of record: endpoints, the detail page's id argument, row marker."""

    index: str
    detail: str
    id_arg: str
    export: str | None
    row_attr: str


CUSTOMER_PAGES = Surface(
    "customers.index", "customers.detail", "customer_id", "customers.export", "data-customer"
)
SITE_PAGES = Surface("sites.index", "sites.detail", "site_id", "sites.export", "data-site")
USER_PAGES = Surface("admin.users", "admin.user", "user_id", None, "data-user")


@pytest.fixture
def records(app, db, tree):
    """The customers and sites of the tables above; returns ids by code."""
    ids = {}
    for code, (org, am) in CUSTOMERS.items():
        ids[code] = f.make_customer(db, tree[org], tree[am] if am else None, code=code)["id"]
    for code, (org, contractor, customer) in SITES.items():
        site = f.make_site(
            db,
            tree[org],
            tree[contractor] if contractor else None,
            {"id": ids[customer]} if customer else None,
            code=code,
            site_type="customer_premises" if customer else "base_station",
        )
        ids[code] = site["id"]
    app.config["PAGE_SIZE"] = 1000  # every visible row on the first page
    return ids


def url(app, endpoint: str, **values) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


def listed(client, app, pages: Surface, **args) -> set[str]:
    response = client.get(url(app, pages.index, **args))
    assert response.status_code == 200
    return set(re.findall(rf'{pages.row_attr}="([^"]+)"', response.get_data(as_text=True)))


def exported(client, app, pages: Surface) -> set[str]:
    response = client.get(url(app, pages.export))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return {row["code"] for row in csv.DictReader(io.StringIO(text))}


def check_surface(client, app, pages: Surface, ids: dict, everything: set, visible: set):
    """The list, a search for each record, every detail page and the export match `visible`."""
    assert listed(client, app, pages) == visible
    for key in sorted(everything):
        found = listed(client, app, pages, q=key)
        assert (key in found) == (key in visible), f"search for {key}"
        status = client.get(url(app, pages.detail, **{pages.id_arg: ids[key]})).status_code
        assert status == (200 if key in visible else 404), f"detail of {key}"
    if pages.export:
        assert exported(client, app, pages) == visible


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_customers(username, app, client, auth, records):
    auth.login(username)
    visible, _sites = VISIBLE[username]
    check_surface(client, app, CUSTOMER_PAGES, records, ALL_CUSTOMERS, visible)


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_sites(username, app, client, auth, records):
    auth.login(username)
    _customers, visible = VISIBLE[username]
    check_surface(client, app, SITE_PAGES, records, ALL_SITES, visible)


@pytest.mark.parametrize("username", sorted(ADMIN_VISIBLE))
def test_users_and_orgs(username, app, client, auth, tree):
    auth.login(username)
    expected = ADMIN_VISIBLE[username]
    if expected is None:
        for endpoint in ("admin.users", "admin.orgs"):
            assert client.get(url(app, endpoint)).status_code == 403, endpoint
        return
    users, orgs = expected
    user_ids = {name: tree[name]["id"] for name in ALL_USERS}
    check_surface(client, app, USER_PAGES, user_ids, ALL_USERS, users)
    codes = {tree[key]["code"]: key for key in ALL_ORGS}
    html = client.get(url(app, "admin.orgs")).get_data(as_text=True)
    assert {codes[code] for code in re.findall(r'data-org="([^"]+)"', html)} == orgs
    for key in sorted(ALL_ORGS):
        status = client.get(url(app, "admin.org_edit", org_id=tree[key]["id"])).status_code
        in_scope = 200 if username == "admin" else 403  # only admins rename organisations
        assert status == (in_scope if key in orgs else 404), f"org {key}"


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_complaints(username, app, client, auth, db, records):
    """A complaint is seen with its customer: on the desk pages (supervisors and admins; field
    users 403) and in a device's pull (everyone, their own scope)."""
    from tests.device import Device

    complaints = {}
    for code in sorted(CUSTOMERS):
        customer = dict(
            db.execute("SELECT * FROM customer WHERE id = ?", [records[code]]).fetchone()
        )
        complaints[code] = f.make_complaint(db, customer)["id"]
    visible, _sites = VISIBLE[username]
    expected = {complaints[code] for code in visible}
    auth.login(username)
    listing = client.get(url(app, "complaints.index"))
    if username in ("am1", "am2", "tech1", "tech_k"):
        assert listing.status_code == 403
    else:
        found = re.findall(r'data-complaint="([^"]+)"', listing.get_data(as_text=True))
        assert set(found) == expected
        for code, complaint_id in complaints.items():
            status = client.get(url(app, "complaints.detail", complaint_id=complaint_id))
            assert status.status_code == (200 if code in visible else 404), code
    device = Device(client, username, f.PASSWORD)
    device.pull()
    assert set(device.entities("complaint")) == expected
