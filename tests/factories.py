"""Factories for test data: make_thing(db, **overrides) returns the stored row."""

import functools
import itertools

from server.auth.model import create_user
from server.auth.passwords import hash_password
from server.customers.model import create_customer
from server.orgs.model import create
from server.sites.model import create_site

PASSWORD = "correct horse 1"
_seq = itertools.count(1)


def make_org(db, kind="team", parent=None, **overrides) -> dict:
    n = next(_seq)
    values = dict(kind=kind, code=f"{kind[:3].upper()}{n:04d}", name=f"{kind} {n}")
    values.update(overrides)
    return create(db, None, parent_id=parent["id"] if parent else None, **values)


@functools.cache
def make_org_tree(db) -> dict:
    """The tests' org tree by key: province P, city C, districts D1 and D2 with teams T1 and
    T2, and contractor K under the city."""
    f = make_org
    t = {}
    t["P"] = f(db, "province", name="浙江省公司")
    t["C"] = f(db, "city", t["P"], name="杭州分公司")
    t["D1"] = f(db, "district", t["C"], name="西湖区")
    t["D2"] = f(db, "district", t["C"], name="上城区")
    t["T1"] = f(db, "team", t["D1"], name="西湖一班")
    t["T2"] = f(db, "team", t["D2"], name="上城一班")
    t["K"] = f(db, "contractor", t["C"], name="华信代维")
    return t


def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash the test password once


def make_user(db, org, role="account_manager", **overrides) -> dict:
    n = next(_seq)
    values = dict(username=f"{role}{n}", display_name=f"用户{n}", role=role)
    values.update(overrides)
    if "password" not in values:
        values["password_hash"] = _password_hash()
    return create_user(db, None, org_id=org["id"], **values)


def make_customer(db, org, account_manager=None, **overrides) -> dict:
    n = next(_seq)
    values = dict(
        code=f"CU{n:05d}",
        name=f"测试客户{n}",
        industry="manufacturing",
        handsets=50,
        sla_grade="standard",
        address="杭州市西湖区",
        lat=30.27,
        lon=120.15,
    )
    values.update(overrides)
    am_id = account_manager["id"] if account_manager else None
    return create_customer(db, None, org_id=org["id"], account_manager_id=am_id, **values)


def make_site(db, org, contractor=None, customer=None, **overrides) -> dict:
    n = next(_seq)
    values = dict(
        code=f"ST{n:05d}",
        name=f"测试站点{n}",
        site_type="base_station",
        lat=30.28,
        lon=120.16,
        area="西湖",
        inspection_cycle_days=90,
    )
    values.update(overrides)
    return create_site(
        db,
        None,
        org_id=org["id"],
        contractor_id=contractor["id"] if contractor else None,
        customer_id=customer["id"] if customer else None,
        **values,
    )


def make_contact(db, customer, **overrides) -> dict:
    from server.customers.contacts import add

    n = next(_seq)
    values = dict(
        name=f"联系人{n}", title="经理", phone="13800000000", birthday="1980-05-01", key_dates="[]"
    )
    values.update(overrides)
    return add(db, None, customer["id"], values)


def make_work_order(db, org, wo_type="fault_repair", assignee=None, assigned_org=None, **over):
    from server.work_orders.model import create_order

    return create_order(
        db,
        None,
        wo_type=wo_type,
        org_id=org["id"],
        assignee_id=assignee["id"] if assignee else None,
        assigned_org_id=assigned_org["id"] if assigned_org else None,
        title=over.pop("title", "基站退服"),
        **over,
    )
