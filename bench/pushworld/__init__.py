"""The reminders bench's world: 10,000 field staff, each with a phone subscribed to the
loopback push service, and a day's worth of things to remind them of.

One province, 10 cities × 5 teams; 6,000 account managers (5 customers each, 30,000
customers, 5 % class A; a contact per customer, birthdays spread over the year; a visit
planned for tomorrow for every second one; a returned visit for one in ten; last visits
spread over 120 days, so some are overdue) and 4,000 technicians (an order dispatched in
the last minutes to each; one in two with its arrival deadline within the lead). Rows go in
by executemany, with change-log rows for the orders and returned visits, as the writers
would leave them. Built in a few seconds, so not cached.
"""

import json
import random
import uuid
from datetime import timedelta

from server import times
from server.push import subscriptions
from server.work_orders import sla

N_AM, N_TECH = 6_000, 4_000


class World:
    def __init__(self, db, now, endpoint_factory):
        self.db, self.now, self.rng = db, now, random.Random(7)
        self.new_endpoint = endpoint_factory
        self.stamp = times.to_stored(now - timedelta(days=30))

    def rid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128)))

    def many(self, table: str, rows: list[dict]) -> None:
        cols = list(rows[0])
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        self.db.conn.executemany(sql, [tuple(r[c] for c in cols) for r in rows])

    def synced(self, **row) -> dict:
        return row | {"created_at": self.stamp, "updated_at": self.stamp}

    def changed(self, entity: str, ids: list[str]) -> None:
        at = times.to_stored(self.now - timedelta(minutes=2))
        self.db.conn.executemany(
            "INSERT INTO change_log (entity, entity_id, at) VALUES (?, ?, ?)",
            [(entity, i, at) for i in ids],
        )

    def build(self) -> dict:
        self.db.execute("BEGIN")
        province = self.org("province", "P", None)
        teams = []
        for c in range(10):
            city = self.org("city", f"C{c}", province)
            teams += [self.org("team", f"C{c}T{t}", city) for t in range(5)]
        ams = self.users("account_manager", N_AM, teams)
        techs = self.users("technician", N_TECH, teams)
        self.customers(ams)
        self.orders(techs)
        self.db.execute("COMMIT")
        return {"users": len(ams) + len(techs)}

    def org(self, kind, code, parent) -> dict:
        row = self.synced(
            id=self.rid(),
            parent_id=parent and parent["id"],
            kind=kind,
            code=code,
            name=code,
            path=(parent["path"] if parent else "") + code + "/",
            depth=(parent["depth"] + 1) if parent else 0,
        )
        self.many("org", [row])
        return row

    def users(self, role, n, teams) -> list[dict]:
        users = [
            self.synced(
                id=self.rid(),
                username=f"{role[:2]}{i:05d}",
                display_name=f"{role}{i}",
                role=role,
                org_id=teams[i % len(teams)]["id"],
                password_hash="!",  # noqa: S106 (no login in the bench)
                locale="en" if i % 10 == 0 else None,
            )
            for i in range(n)
        ]
        self.many("app_user", users)
        for user in users:
            endpoint = self.new_endpoint()
            clean, _errors = subscriptions.validate(endpoint)
            self.db.conn.execute(
                "INSERT INTO push_subscription (id, user_id, endpoint, p256dh, auth,"
                " device_name, created_at) VALUES (?, ?, ?, ?, ?, 'bench', ?)",
                [
                    self.rid(),
                    user["id"],
                    clean["endpoint"],
                    clean["p256dh"],
                    clean["auth"],
                    self.stamp,
                ],
            )
        return users

    def customers(self, ams) -> None:
        tomorrow = (self.now.astimezone(times.LOCAL) + timedelta(days=1)).date().isoformat()
        customers, contacts, visits, returned = [], [], [], []
        for a, am in enumerate(ams):
            for k in range(5):
                cls = "A" if self.rng.random() < 0.05 else self.rng.choice("BCC")
                customer = self.synced(
                    id=self.rid(),
                    code=f"CU{a:05d}{k}",
                    name=f"客户{a}-{k}",
                    computed_class=cls,
                    customer_class=cls,
                    sla_grade="standard",
                    account_manager_id=am["id"],
                    org_id=am["org_id"],
                )
                customers.append(customer)
                birthday = self.now.date() - timedelta(days=self.rng.randrange(365 * 40))
                contacts.append(
                    self.synced(
                        id=self.rid(),
                        customer_id=customer["id"],
                        name=f"联系人{a}-{k}",
                        birthday=birthday.isoformat(),
                        key_dates="[]",
                    )
                )
                last = self.now - timedelta(days=self.rng.randrange(120))
                visits.append(
                    self.visit(customer, am, "completed", check_in_at=times.to_stored(last))
                )
            if a % 2 == 0:
                visits.append(self.visit(customers[-1], am, "planned", planned_date=tomorrow))
            if a % 10 == 0:
                row = self.visit(
                    customers[-2], am, "returned", check_in_at=times.to_stored(self.now)
                )
                row["return_reason"] = "照片不清楚"
                visits.append(row)
                returned.append(row["id"])
        self.many("customer", customers)
        self.many("contact", contacts)
        for status in ("completed", "planned", "returned"):
            self.many("visit", [v for v in visits if v["status"] == status])
        self.changed("visit", returned)

    def visit(self, customer, am, status, **extra) -> dict:
        return (
            self.synced(
                id=self.rid(),
                customer_id=customer["id"],
                account_manager_id=am["id"],
                org_id=customer["org_id"],
                status=status,
                planned_date=None,
                check_in_at=None,
                return_reason=None,
            )
            | extra
        )

    def orders(self, techs) -> None:
        rows = []
        for t, tech in enumerate(techs):
            arrival = self.now + timedelta(minutes=20 if t % 2 else 90)
            rows.append(
                self.synced(
                    id=self.rid(),
                    code=f"WO-B-{t:05d}",
                    wo_type="fault_repair",
                    status="dispatched",
                    title=f"基站退服 {t}",
                    org_id=tech["org_id"],
                    assignee_id=tech["id"],
                    sla_grade=self.rng.choice(sla.GRADES),
                    dispatched_at=times.to_stored(self.now - timedelta(minutes=2)),
                    arrival_due_at=times.to_stored(arrival),
                    restore_due_at=times.to_stored(arrival + timedelta(hours=4)),
                )
            )
        self.many("work_order", rows)
        self.changed("work_order", [r["id"] for r in rows])


def build(db, now, endpoint_factory) -> dict:
    """Fill an empty, migrated database; endpoint_factory() gives a subscription's JSON."""
    return World(db, now, endpoint_factory).build()


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
