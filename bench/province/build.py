"""The generated province: orgs, staff, sites, a year of work orders and recent events.

1 province, 11 cities, each with 4 districts of 4 teams (176 teams) and 2 contractors
(22); 2,000 technicians (three in five in-house, spread over the teams; two in five at
the contractors); 20,000 sites, each owned by a team and maintained by one of its city's
two contractors, typed (base station, customer premises, line endpoint) with an
inspection cycle of 30, 90 or 180 days; and the orders of a year before NOW, written by
plain executemany (how rows got there does not matter to the readers benched). An order
goes to a technician who may work the site: half to an in-house technician of the site's
team, half to one of the site's contractor's technicians; a tenth of the open ones wait
on the team or contractor with no technician yet. Orders of the last EVENT_DAYS days carry
their events (one per status step reached); older ones none, to keep the build short.
"""

import random
import uuid
from datetime import UTC, datetime, timedelta

from server import times
from server.inspections import checklists
from server.work_orders import sla
from tests import factories

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
STAMP = "2026-01-01T00:00:00.000Z"
STATUS_OPEN = ("dispatched", "accepted", "en_route", "on_site", "resolved", "submitted")
STEPS = (*STATUS_OPEN, "approved", "closed")
EVENT_DAYS = 90
MINUTES = ("response_minutes", "arrival_minutes", "restore_minutes")
SITE_TYPES = (("base_station", 14), ("customer_premises", 4), ("line_endpoint", 2))
CYCLES = ((30, 2), (90, 5), (180, 3))
WO_COLS = (
    "id, code, wo_type, status, title, site_id, org_id, assigned_org_id, assignee_id,"
    " reported_by, sla_grade, sla_policy_version, dispatched_at, response_due_at,"
    " arrival_due_at, restore_due_at, accepted_at, on_site_at, resolved_at, closed_at,"
    " checklist_template_id, lat, lon, created_at, updated_at, version"
)
EV_COLS = (
    "id, work_order_id, user_id, from_status, to_status, device_at, corrected_at, server_at,"
    " clock_offset_ms, created_at, updated_at, version"
)


class World:
    """What a build made, as ids the benches need (stored in meta as JSON)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.teams, self.contractors, self.districts, self.cities = [], [], [], []
        self.techs_of: dict[str, list[tuple]] = {}  # org id -> technician rows
        self.city_of: dict[str, dict] = {}  # team/contractor id -> city

    def rid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128)))


def _org(db, world, kind, code, parent):
    path = (parent["path"] if parent else "") + code + "/"
    row = dict(
        id=world.rid(),
        kind=kind,
        code=code,
        name=code,
        parent_id=parent["id"] if parent else None,
        path=path,
        depth=path.count("/"),
        created_at=STAMP,
        updated_at=STAMP,
        version=1,
    )
    db["org"].insert(row)
    return row


def orgs(db, world) -> dict:
    """The org tree; return the province."""
    province = _org(db, world, "province", "P", None)
    for c in range(11):
        city = _org(db, world, "city", f"C{c:02d}", province)
        world.cities.append(city)
        for k in range(2):
            world.contractors.append(_org(db, world, "contractor", f"C{c:02d}K{k}", city))
            world.city_of[world.contractors[-1]["id"]] = city
        for d in range(4):
            district = _org(db, world, "district", f"C{c:02d}D{d}", city)
            world.districts.append(district)
            for t in range(4):
                team = _org(db, world, "team", f"C{c:02d}D{d}T{t}", district)
                world.teams.append(team)
                world.city_of[team["id"]] = city
    return province


def technicians(db, world) -> None:
    """2,000 technicians who can all sign in with factories.PASSWORD."""
    password = factories._password_hash()
    techs = []
    for n in range(2000):
        org = world.teams[n % 176] if n % 5 < 3 else world.contractors[n % 22]
        row = (world.rid(), f"t{n}", f"技术员{n}", "technician", org["id"], password, STAMP, STAMP)
        techs.append(row)
        world.techs_of.setdefault(org["id"], []).append(row)
    db.conn.executemany(
        "INSERT INTO app_user (id, username, display_name, role, org_id, password_hash,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        techs,
    )


def sites(db, world) -> list[tuple]:
    """20,000 sites: a team's, maintained by one of its city's contractors."""
    rng, found = world.rng, []
    city_contractors = {}
    for contractor in world.contractors:
        city_contractors.setdefault(contractor["parent_id"], []).append(contractor)
    for n in range(20000):
        team = rng.choice(world.teams)
        city = world.city_of[team["id"]]
        contractor = rng.choice(city_contractors[city["id"]])
        site_type = rng.choices(*zip(*SITE_TYPES, strict=True))[0]
        cycle = rng.choices(*zip(*CYCLES, strict=True))[0]
        c = int(city["code"][1:])
        lat, lon = 28.0 + c * 0.3 + rng.uniform(0, 0.3), 119.0 + rng.uniform(0, 2.0)
        found.append(
            (world.rid(), f"BS-{n:05d}", f"站点{n}", site_type, team["id"], contractor["id"])
            + (round(lat, 5), round(lon, 5), cycle)
        )
    db.conn.executemany(
        "INSERT INTO site (id, code, name, site_type, org_id, contractor_id, lat, lon,"
        " inspection_cycle_days, created_at, updated_at)"
        f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '{STAMP}', '{STAMP}')",
        found,
    )
    return found


def _status(rng, age_min: float) -> str:
    if age_min > 3 * 24 * 60:
        return rng.choices(("closed", "cancelled"), (97, 3))[0]
    return rng.choice(STATUS_OPEN)


def _assign(world, site: tuple, status: str) -> tuple:
    """(assigned org id, assignee id or None) for an order at `site`."""
    rng = world.rng
    org_id = site[4] if rng.random() < 0.5 else site[5]
    tech = rng.choice(world.techs_of[org_id])
    if status in STATUS_OPEN[:1] and rng.random() < 0.1:
        return org_id, None, tech
    return org_id, tech[0], tech


def _order(world, n: int, site: tuple, limits: dict, templates: dict) -> tuple[tuple, list]:
    rng = world.rng
    age_min = rng.uniform(0, 365 * 24 * 60) if rng.random() > 0.03 else rng.uniform(0, 600)
    start = NOW - timedelta(minutes=age_min)
    grade = rng.choices(sla.GRADES, (1, 3, 6, 10, 30))[0]
    pol = limits[grade]
    due = [start + timedelta(minutes=pol[k]) for k in MINUTES]
    status = _status(rng, age_min)
    step = STATUS_OPEN.index(status) if status in STATUS_OPEN else 9
    late = rng.random() < 0.1
    done = [
        (d + timedelta(minutes=30 if late else -5)) if step > i else None
        for i, d in zip((0, 2, 3), due, strict=True)
    ]
    assigned_org, assignee, tech = _assign(world, site, status)
    wo_type = rng.choice(("fault_repair", "fault_repair", "on_demand", "inspection"))
    reporter = tech[0] if rng.random() < 0.01 else None
    at, oid = times.to_stored(start), world.rid()
    closed = times.to_stored(done[2] + timedelta(hours=20)) if status == "closed" else None
    row = (oid, f"WO-{start:%Y%m%d}-{n:07d}", wo_type, status, "基站退服", site[0], site[4])
    row += (assigned_org, assignee, reporter, grade, 1, at, *(times.to_stored(d) for d in due))
    row += (*(times.to_stored(d) if d else None for d in done), closed)
    row += (templates[site[3]] if wo_type == "inspection" else None, site[6], site[7])
    row += (at, closed or at, n + 1)
    events = []
    if age_min < EVENT_DAYS * 24 * 60 and assignee:
        events = _events(world, oid, assignee, start, status)
    return row, events


def _events(world, order_id, user_id, start, status) -> list[tuple]:
    last = STEPS.index(status) if status in STEPS else 0
    out, previous = [], None
    for i, step in enumerate(STEPS[: last + 1]):
        at = times.to_stored(start + timedelta(minutes=20 * i))
        out.append((world.rid(), order_id, user_id, previous, step, at, at, at, 0, at, at, 1))
        previous = step
    return out


def orders(db, world, site_rows: list[tuple], n_orders: int) -> int:
    """The work orders and their recent events; return the number of events."""
    limits = {r["sla_grade"]: r for r in db["sla_policy"].rows}
    checklists.ensure_default_templates(db)
    templates = {t: checklists.current_template(db, t)["id"] for t in (s for s, _ in SITE_TYPES)}
    wo_sql = f"INSERT INTO work_order ({WO_COLS}) VALUES ({', '.join('?' * 26)})"
    ev_sql = f"INSERT INTO work_order_event ({EV_COLS}) VALUES ({', '.join('?' * 12)})"
    batch, events, n_events = [], [], 0
    with db.atomic():
        for n in range(n_orders):
            row, evs = _order(world, n, world.rng.choice(site_rows), limits, templates)
            batch.append(row)
            events += evs
            if len(batch) == 20000:
                db.conn.executemany(wo_sql, batch)
                db.conn.executemany(ev_sql, events)
                n_events += len(events)
                batch, events = [], []
        db.conn.executemany(wo_sql, batch)
        db.conn.executemany(ev_sql, events)
    return n_events + len(events)
