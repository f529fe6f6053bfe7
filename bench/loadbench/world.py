"""The benches' database: a fresh migrated file with one team of account managers (each with
their own customers), technicians, supervisors and dispatched work orders."""

from server.auth import tokens
from server.db import connect
from server.migrations import upgrade
from tests import factories

PASSWORD = factories.PASSWORD


def build(path: str, managers: int, customers_each: int = 10, orders: int = 0) -> dict:
    """Migrate a new file and seed the world; returns its users, customers and orders."""
    db = connect(path)
    upgrade(db)
    province = factories.make_org(db, "province", name="浙江省公司")
    city = factories.make_org(db, "city", province, name="杭州分公司")
    district = factories.make_org(db, "district", city, name="西湖区")
    team = factories.make_org(db, "team", district, name="西湖一班")
    world = {"team": team, "managers": [], "customers": {}, "supervisors": [], "orders": []}
    for i in range(managers):
        am = factories.make_user(db, team, "account_manager", username=f"bench_am{i:03d}")
        world["managers"].append(am)
        world["customers"][am["id"]] = [
            factories.make_customer(
                db, team, am, lat=30.20 + (i % 20) * 0.005, lon=120.10 + (i // 20) * 0.005
            )
            for _ in range(customers_each)
        ]
    for i in range(2):
        sup = factories.make_user(db, team, "supervisor", username=f"bench_sup{i}")
        world["supervisors"].append(sup)
    world["technicians"] = [
        factories.make_user(db, team, "technician", username=f"bench_tech{i}") for i in range(4)
    ]
    for n in range(orders):
        tech = world["technicians"][n % 4]
        order = factories.make_work_order(db, team, assignee=tech, assigned_org=team)
        world["orders"].append(order)
    db.conn.close()
    return world


def refresh_tokens(path: str, users: list[dict], count: int) -> list[str]:
    """`count` device token pairs issued straight into the database; their refresh tokens."""
    db = connect(path)
    out = [
        tokens.issue(db, users[i % len(users)]["id"], f"bench refresh {i}")["refresh_token"]
        for i in range(count)
    ]
    db.conn.close()
    return out
