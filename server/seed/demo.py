"""The demo data set: 浙江省公司 → 杭州分公司, three districts, six teams, two contractors,
24 staff, 300 customers with contacts, 200 sites and 150 work orders; three months of visits
with follow-ups (server/seed/visits.py); last month's scorecards (server/seed/scores.py); four
months of billing figures with the points they earn, churn warnings and retention tasks
(server/seed/retention.py).

Everything dated is placed around an anchor, the seeding moment (`anchor`: whole minutes;
10:00 local on a given `today`), so the demo looks like a branch at work that day. The same
seed and anchor give the same rows, ids included (a seeded UUIDv7-shaped generator); only
the write timestamps and the salted password hashes differ between runs, and the ids of what
app code writes itself (billing imports, warnings, retention tasks, review steps, scorecards).
Rows are written through the model functions, so the audit log and change log are filled as
for any other write.
"""

import json
import random
import uuid
from datetime import UTC, date, datetime, time

from .. import records
from ..auth.model import create_user
from ..auth.passwords import hash_password, verify_password
from ..customers.model import GRADES, create_customer
from ..db import rows
from ..orgs.model import create as create_org
from ..times import LOCAL, from_stored, local_date, now_stored, to_stored
from .companies import company
from .desk import seed_desk
from .names import (
    CONTACT_TITLES,
    CONTRACTORS,
    DISTRICTS,
    GIVEN_CHARS,
    KEY_DATE_LABELS,
    SURNAMES,
)
from .retention import seed_retention
from .scores import seed_scores
from .sites import seed_sites
from .visits import seed_visits
from .work_orders import seed_work_orders

# DEMO DATA ONLY: every demo user gets this password and `flask demo-logins` prints it.
DEMO_PASSWORD = "fieldbook-demo"  # noqa: S105 - public on purpose, never for real users

CLASS_COUNTS = {"A": 15, "B": 75, "C": 210}  # 5 % / 25 % / 70 % of 300
# Weights of diamond, gold, silver, bronze, standard per class: bigger customers, better SLA.
GRADE_WEIGHTS = {"A": (35, 35, 20, 10, 0), "B": (3, 17, 40, 30, 10), "C": (0, 2, 13, 30, 55)}
AMS_PER_TEAM = (2, 1, 2, 1, 1, 1)
TEAMS_WITH_TECHNICIAN = (0, 2, 4, 5)
CONTRACTOR_TECHNICIANS = {"huaxin": 3, "tianhe": 2}
_ID_CLOCK_START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


class DemoIds:
    """UUIDv7-shaped ids from a seed: a clock ticking 1 ms per id, then seeded randomness."""

    def __init__(self, seed: int):
        self._rng = random.Random(f"fieldbook-demo-ids:{seed}")
        self._ms = _ID_CLOCK_START_MS

    def __call__(self) -> str:
        self._ms += 1
        rand = self._rng.getrandbits(74)
        value = self._ms << 80 | 0x7 << 76 | (rand >> 62) << 64 | 0b10 << 62
        return str(uuid.UUID(int=value | (rand & ((1 << 62) - 1))))


class Build:
    """What the steps of one seeding share: the database, the random source, the ids."""

    def __init__(self, db, seed: int, now: datetime):
        self.db = db
        self.now = now  # the anchor: every demo time is an offset from it (UTC)
        self.today = local_date(to_stored(now))  # its local day
        self.rng = random.Random(seed)
        self.next_id = DemoIds(seed)
        self.taken: set[str] = set()  # customer names and usernames already used

    def point(self, box) -> tuple[float, float]:
        """A random (lat, lon) inside a (lat_min, lat_max, lon_min, lon_max) box."""
        lat = round(self.rng.uniform(box[0], box[1]), 6)
        return lat, round(self.rng.uniform(box[2], box[3]), 6)

    def address(self, district: dict) -> str:
        road = self.rng.choice(district["roads"])
        return f"浙江省杭州市{district['name']}{road}{self.rng.randint(1, 999)}号"

    def mobile(self) -> str:
        return f"1{self.rng.choice('3578')}{self.rng.randint(0, 999_999_999):09d}"

    def person(self) -> tuple[str, str]:
        """(Chinese display name, surname in pinyin)."""
        surname, pinyin = self.rng.choice(SURNAMES)
        given = "".join(self.rng.choice(GIVEN_CHARS) for _ in range(self.rng.choice((1, 2, 2))))
        return surname + given, pinyin

    def date(self, first_year: int, last_year: int) -> str:
        year = self.rng.randint(first_year, last_year)
        return f"{year}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"


def anchor(today: date | None = None, now: datetime | None = None) -> datetime:
    """The moment the demo is built around (UTC, whole minutes): `now` if given, else 10:00
    local on `today` if given, else the current minute."""
    if now is None and today is not None:
        now = datetime.combine(today, time(10), LOCAL)
    moment = (now or from_stored(now_stored())).astimezone(UTC)
    return moment.replace(second=0, microsecond=0)


def seed_demo(
    db, seed: int, today: date | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Fill an empty database with the demo branch in one transaction; return row counts.

    The demo is a branch at work on the seeding day (anchor(today, now)): open orders due
    in the coming hours, three months of visits and follow-ups, last month's scores, the
    demo birthdays in the care calendar's week ahead. The same seed and anchor give the
    same rows; only billing and churn (server/seed/retention.py) keep fixed months.
    """
    build = Build(db, seed, anchor(today, now))
    password_hash = hash_password(DEMO_PASSWORD)  # once: argon2 is slow on purpose
    with db.atomic():
        orgs = _orgs(build)
        ams = _staff(build, orgs, password_hash)
        customers = _customers(build, orgs, ams)
        seed_sites(build, orgs, customers)
        seed_work_orders(build)
        seed_visits(build)
        seed_retention(build, build.today)
        seed_scores(build)
        seed_desk(build)
    return {
        table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        for table in (
            *("org", "app_user", "customer", "contact", "site", "work_order"),
            *("visit", "follow_up", "scorecard"),
            *("billing_month", "points_entry", "churn_warning", "retention_task"),
            *("task", "appointment", "import_batch"),
        )
    }


def _orgs(build: Build) -> dict:
    def org(kind, code, name, parent):
        parent_id = parent["id"] if parent else None
        return create_org(
            build.db,
            None,
            kind=kind,
            code=code,
            name=name,
            parent_id=parent_id,
            id=build.next_id(),
        )

    province = org("province", "ZJ", "浙江省公司", None)
    city = org("city", "HZ", "杭州分公司", province)
    districts, teams = [], []
    for spec in DISTRICTS:
        district = org("district", f"HZ-{spec['code']}", spec["name"], city)
        districts.append((district, spec))
        for n, numeral in ((1, "一"), (2, "二")):
            code, name = f"HZ-{spec['code']}-T{n}", f"{spec['short']}{numeral}班"
            teams.append((org("team", code, name, district), spec))
    contractors = {c["key"]: org("contractor", c["code"], c["name"], city) for c in CONTRACTORS}
    return dict(
        province=province, city=city, districts=districts, teams=teams, contractors=contractors
    )


def _user(build: Build, org: dict, role: str, username: str | None, password_hash: str) -> dict:
    display_name, pinyin = build.person()
    if username is None:
        prefix = "am" if role == "account_manager" else "tech"
        base = username = f"{prefix}.{pinyin}"
        n = 1
        while username in build.taken:
            n += 1
            username = f"{base}{n}"
    build.taken.add(username)
    return create_user(
        build.db,
        None,
        id=build.next_id(),
        username=username,
        display_name=display_name,
        role=role,
        org_id=org["id"],
        password_hash=password_hash,
        phone=build.mobile(),
    )


def _staff(build: Build, orgs: dict, password_hash: str) -> dict[str, list[dict]]:
    """Create the staff; return the account managers by team id."""

    def user(org, role, username=None):
        return _user(build, org, role, username, password_hash)

    user(orgs["province"], "admin", "admin")
    user(orgs["city"], "supervisor", "sup.city")
    for district, spec in orgs["districts"]:
        user(district, "supervisor", f"sup.{spec['key']}")
    for key, contractor in orgs["contractors"].items():
        user(contractor, "supervisor", f"sup.{key}")
    ams = {}
    for (team, _spec), count in zip(orgs["teams"], AMS_PER_TEAM, strict=True):
        ams[team["id"]] = [user(team, "account_manager") for _ in range(count)]
    for index in TEAMS_WITH_TECHNICIAN:
        user(orgs["teams"][index][0], "technician")
    for key, count in CONTRACTOR_TECHNICIANS.items():
        for _ in range(count):
            user(orgs["contractors"][key], "technician")
    return ams


def _customers(build: Build, orgs: dict, ams: dict) -> list[tuple[dict, dict]]:
    """Create 300 customers (classes shuffled in fixed shares) with their contacts."""
    classes = [klass for klass, count in CLASS_COUNTS.items() for _ in range(count)]
    build.rng.shuffle(classes)
    created = []
    for n, klass in enumerate(classes, 1):
        team, spec = build.rng.choice(orgs["teams"])
        name, industry, handsets = company(build.rng, klass, spec, build.taken)
        lat, lon = build.point(spec["box"])
        customer = create_customer(
            build.db,
            None,
            id=build.next_id(),
            code=f"JT571{n:05d}",
            name=name,
            industry=industry,
            handsets=handsets,
            sla_grade=build.rng.choices(GRADES, GRADE_WEIGHTS[klass])[0],
            account_manager_id=build.rng.choice(ams[team["id"]])["id"],
            org_id=team["id"],
            address=build.address(spec),
            lat=lat,
            lon=lon,
        )
        _contacts(build, customer)
        created.append((customer, spec))
    return created


def _contacts(build: Build, customer: dict) -> None:
    for n in range(build.rng.choice((1, 1, 2, 2, 3))):
        name, _ = build.person()
        key_dates = []
        if n == 0 or build.rng.random() < 0.3:
            label = build.rng.choice(KEY_DATE_LABELS)
            key_dates.append({"label": label, "date": build.date(2008, 2025)})
        values = dict(
            id=build.next_id(),
            customer_id=customer["id"],
            name=name,
            title=build.rng.choice(CONTACT_TITLES),
            phone=build.mobile(),
            birthday=build.date(1962, 1998),
            key_dates=json.dumps(key_dates, ensure_ascii=False),
        )
        records.insert(build.db, "contact", values, None)


def has_users(db) -> bool:
    """True once any user exists (then seed-demo --if-empty leaves the database alone)."""
    return db.execute("SELECT 1 FROM app_user LIMIT 1").fetchone() is not None


def logins(db) -> list[dict]:
    """Every user with role and organisation, by role then username."""
    return rows(
        db,
        "SELECT u.username, u.role, u.display_name, u.password_hash, o.name AS org"
        " FROM app_user u JOIN org o ON o.id = u.org_id ORDER BY CASE u.role"
        " WHEN 'admin' THEN 0 WHEN 'supervisor' THEN 1 WHEN 'account_manager' THEN 2 ELSE 3 END,"
        " o.depth,"
        " u.username",
    )


def demo_password_works(users: list[dict]) -> bool:
    """True when the first user still has the demo password (one argon2 check, not one each)."""
    return bool(users) and verify_password(users[0]["password_hash"], DEMO_PASSWORD)
