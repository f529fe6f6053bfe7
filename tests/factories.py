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


# ---- every record the device replicates: make_<entity>(db, ...) returns the stored row ----
# Rows go in through records.insert (change log, keys, audit), as the server's own code does;
# the required columns get plain defaults, anything else is an override.

AT = "2026-11-20T02:00:00.000Z"  # 10:00 in Beijing on a working Friday


def _insert(db, table, values, overrides):
    from server import records

    return records.insert(db, table, {**values, **overrides}, None)


def make_visit(db, customer, account_manager=None, **over) -> dict:
    """A completed on-site visit of customer by its account manager (or the one given)."""
    am_id = account_manager["id"] if account_manager else customer["account_manager_id"]
    values = dict(
        customer_id=customer["id"],
        account_manager_id=am_id,
        org_id=customer["org_id"],
        status="completed",
        channel="on_site",
        check_in_at=AT,
    )
    return _insert(db, "visit", values, over)


def make_follow_up(db, visit, **over) -> dict:
    values = dict(
        visit_id=visit["id"],
        customer_id=visit["customer_id"],
        account_manager_id=visit["account_manager_id"],
        action="送报价单",
        due_date="2026-11-27",
    )
    return _insert(db, "follow_up", values, over)


def make_visit_photo(db, visit, **over) -> dict:
    values = dict(
        visit_id=visit["id"],
        account_manager_id=visit["account_manager_id"],
        sha256="0" * 64,
        mime="image/jpeg",
        size=1000,
    )
    return _insert(db, "visit_photo", values, over)


def make_task(db, assignee, kind="free_text", **over) -> dict:
    n = next(_seq)
    values = dict(
        batch_id=f"batch-{n}",
        kind=kind,
        title=f"任务{n}",
        assignee_id=assignee["id"],
        org_id=assignee["org_id"],
        start_date="2026-11-16",
        due_date="2026-11-30",
        window_start_at="2026-11-15T16:00:00.000Z",
        window_end_at="2026-11-30T16:00:00.000Z",
    )
    return _insert(db, "task", values, over)


def make_appointment(db, customer, **over) -> dict:
    values = dict(
        customer_id=customer["id"],
        org_id=customer["org_id"],
        account_manager_id=customer["account_manager_id"],
        wanted_at="2026-11-25T02:00:00.000Z",
        need="专线扩容咨询",
    )
    return _insert(db, "appointment", values, over)


def make_complaint(db, customer, **over) -> dict:
    """A complaint of customer received at AT, owned by its account manager, with its
    `record` step (server/complaints/model.record)."""
    from server.complaints import model

    values = dict(channel="visit", category="network_quality", severity="high")
    values.update(words="专线经常中断", received_at=AT)
    actor = over.pop("recorded_by", customer["account_manager_id"])
    return model.record(db, actor, customer, {**values, **over})


def make_retention_task(db, customer, month="2026-04", **over) -> dict:
    """An open retention task of customer, with the churn warning it comes from."""
    from server.ids import uuid7

    warning = dict(
        id=uuid7(),
        customer_id=customer["id"],
        month=month,
        policy_version=1,
        fired="[]",
        score=50.0,
        tendency="high",
        bundling="single",
        created_at=AT,
    )
    marks = ", ".join("?" * len(warning))
    db.conn.execute(
        f"INSERT INTO churn_warning ({', '.join(warning)}) VALUES ({marks})",
        list(warning.values()),
    )
    values = dict(
        customer_id=customer["id"],
        org_id=customer["org_id"],
        assignee_id=customer["account_manager_id"],
        warning_id=warning["id"],
        month=month,
        policy_version=1,
        reasons="[]",
        tendency="high",
        bundling="single",
        value_tier="B",
        due_date="2026-04-30",
    )
    return _insert(db, "retention_task", values, over)


def make_care_done(db, user, contact, occurs_on="2026-11-28", **over) -> dict:
    values = dict(
        user_id=user["id"],
        org_id=user["org_id"],
        item_key=f"birthday:{contact['id']}:{occurs_on}",
        kind="birthday",
        customer_id=contact["customer_id"],
        contact_id=contact["id"],
        occurs_on=occurs_on,
        how="call",
        done_at=AT,
    )
    return _insert(db, "care_done", values, over)


def make_public_holiday(db, **over) -> dict:
    values = dict(name="元旦", starts_on="2027-01-01", ends_on="2027-01-01")
    return _insert(db, "public_holiday", values, over)


def make_checklist_template(db, site_type="base_station", **over) -> dict:
    n = next(_seq)
    values = dict(site_type=site_type, template_version=n, name=f"巡检表{n}")
    return _insert(db, "checklist_template", values, over)


def make_checklist_item(db, template, position=1, kind="pass_fail", **over) -> dict:
    values = dict(template_id=template["id"], position=position, label=f"检查项{position}")
    return _insert(db, "checklist_item", {**values, "kind": kind}, over)


def make_inspection_answer(db, order, item, passed=1, **over) -> dict:
    values = dict(work_order_id=order["id"], item_id=item["id"], passed=passed)
    return _insert(db, "inspection_answer", values, over)


def make_work_order_event(db, order, to_status="accepted", **over) -> dict:
    values = dict(work_order_id=order["id"], to_status=to_status, server_at=AT)
    return _insert(db, "work_order_event", values, over)


def make_work_order_photo(db, order, stage="before", **over) -> dict:
    values = dict(
        work_order_id=order["id"], stage=stage, sha256="1" * 64, mime="image/jpeg", size=1000
    )
    return _insert(db, "work_order_photo", values, over)


def make_scorecard(db, user, month="2026-10", **over) -> dict:
    values = dict(
        month=month, role=user["role"], user_id=user["id"], org_id=user["org_id"], computed_at=AT
    )
    return _insert(db, "scorecard", values, over)


def make_subscription(db, user, endpoint="https://fcm.googleapis.com/fcm/send/x", **over) -> dict:
    """A push subscription of user's (not replicated: the device holds its own)."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from server.push import subscriptions

    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    p256dh = base64.urlsafe_b64encode(point).rstrip(b"=").decode()
    auth = base64.urlsafe_b64encode(bytes(range(16))).rstrip(b"=").decode()
    body = {
        "endpoint": endpoint,
        "keys": {"p256dh": over.pop("p256dh", p256dh), "auth": over.pop("auth", auth)},
        "device_name": over.pop("device_name", "测试手机"),
    }
    clean, errors = subscriptions.validate(body)
    assert errors == {}, errors
    return subscriptions.save(db, user["id"], None, clean)


def make_world_of_every_record(db, tree) -> dict:
    """One row of every replicated entity, reachable from tree's am1, tech1 and sup_d1."""
    am, tech = tree["am1"], tree["tech1"]
    customer = make_customer(db, tree["T1"], am)
    contact = make_contact(db, customer)
    visit = make_visit(db, customer)
    site = make_site(db, tree["T1"], customer=customer)
    order = make_work_order(db, tree["T1"], assignee=tech, site_id=site["id"])
    template = make_checklist_template(db)
    item = make_checklist_item(db, template)
    return {
        "customer": customer,
        "contact": contact,
        "visit": visit,
        "follow_up": make_follow_up(db, visit),
        "visit_photo": make_visit_photo(db, visit),
        "site": site,
        "work_order": order,
        "work_order_event": make_work_order_event(db, order),
        "work_order_photo": make_work_order_photo(db, order),
        "checklist_template": template,
        "checklist_item": item,
        "inspection_answer": make_inspection_answer(db, order, item),
        "task": make_task(db, am),
        "appointment": make_appointment(db, customer),
        "complaint": make_complaint(db, customer),
        "retention_task": make_retention_task(db, customer),
        "care_done": make_care_done(db, am, contact),
        "public_holiday": make_public_holiday(db),
        "scorecard": make_scorecard(db, am),
    }
