"""A security review of the running app, as issue 13's reviewer did it, walked from app.url_map.

Three walks over a world of two branches (tests/conftest.py's tree, with records on both
sides), counted, never asserted here (tests/test_security_review.py and
bench/security_review.py say what the counts must be):

- scope: every GET route taking an id, for every user, with each branch's records. A record
  the user may not see must answer 403 or 404 (a cell answering 2xx, 3xx or 5xx is a leak);
  the record's own supervisors and admins must get 200 (else `own_failures`).
- csrf: every state-changing route (POST, PUT, DELETE) signed in by cookie, without a CSRF
  token and with a forged one: it must be refused (4xx) and leave the database as it was.
- fuzz: every route, every method, once with hostile path values, query and body (a valid
  CSRF token and a device token, so the views are reached): 0 answers 5xx.

A route argument is mapped to a kind of record by its name (ROUTE_ARGS); the routes whose
arguments name nothing the world holds are walked by csrf and fuzz only, and listed.
"""

import hashlib
import json
import re
import sqlite3
from dataclasses import dataclass, field
from urllib.parse import quote

from server import create_app, records
from server.db import connect
from server.migrations import upgrade
from tests import factories as f

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')
PW = f.PASSWORD

# route argument -> kind of record in World.ids[branch]
ROUTE_ARGS = {
    "customer_id": "customer",
    "contact_id": "contact",
    "site_id": "site",
    "visit_id": "visit",
    "order_id": "work_order",
    "org_id": "org",
    "user_id": "user",
    "appointment_id": "appointment",
    "conflict_id": "conflict",
    "task_id": "task",
    "follow_up_id": "follow_up",
}
# Values that are not ids of a record: given as is to every walk.
FIXED_ARGS = {
    "sha": "0" * 64,
    "locale": "en",
    "filename": "app.js",
    "screen": "today",
    "chart": "visits",
    "kind": "customers",
}
# In scope but only for admins: a supervisor's own record answers 403 here, by design.
ADMIN_ONLY = {"admin.org_edit", "admin.user_edit"}
SCOPED_ENDPOINTS_SKIPPED = {
    # the retention task id is not a task.* id: no retention case is built in this world
    "retention.detail",
}
HOSTILE = [
    "'\"><script>alert(1)</script>",
    "../../../../etc/passwd",
    "%00",
    "\u0000",
    "x" * 5000,
    "-1",
    "1e309",
    "\U0001f600\u202e",
    "%ff%fe",
]
HOSTILE_QUERY = (
    "?page=-1&q=%00%ff&sort=%27&from=2026-13-45&to=x&month=9999-99&limit=1e309"
    "&org_id=%27%20OR%201=1--&status=%3Cx%3E&lang=..%2F..&page=99999999999999999999"
)


@dataclass
class World:
    app: object
    ids: dict  # branch -> kind -> id
    users: dict  # username -> (role, branch or None for admin/city, contractor?)
    tree: dict


# users and the branch whose records are theirs to see; None: every branch (admin, city)
USERS = {
    "admin": None,
    "sup_city": None,
    "sup_d1": "a",
    "am1": "a",
    "tech1": "a",
    "sup_d2": "b",
    "am2": "b",
    "tech2": "b",
    "sup_k": "k",
    "tech_k": "k",
}
SUPERVISORS_OVER = {"a": {"admin", "sup_city", "sup_d1"}, "b": {"admin", "sup_city", "sup_d2"}}


def build(tmp_dir: str) -> World:
    """The app on a fresh database under tmp_dir, the tree, and records in branches a, b."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": f"{tmp_dir}/fieldbook.db",
            "BLOB_DIR": f"{tmp_dir}/blobs",
            "SECRET_KEY": "review-secret",
            "SESSION_COOKIE_SECURE": False,
            "LOGIN_RATE_LIMIT": "100000 per minute",
            "PUSH_ENDPOINT_HOSTS": ["127.0.0.1"],
            "PROPAGATE_EXCEPTIONS": False,  # a view's bug answers 500 here, as in production
        }
    )
    db = connect(app.config["DATABASE"])
    upgrade(db)
    t = f.make_org_tree(db)
    roles = {"admin": "P", "sup_city": "C", "sup_d1": "D1", "sup_d2": "D2", "sup_k": "K"}
    for name, org in roles.items():
        t[name] = f.make_user(
            db, t[org], "admin" if name == "admin" else "supervisor", username=name
        )
    for name, org, role in (
        ("am1", "T1", "account_manager"),
        ("am2", "T2", "account_manager"),
        ("tech1", "T1", "technician"),
        ("tech2", "T2", "technician"),
        ("tech_k", "K", "technician"),
    ):
        t[name] = f.make_user(db, t[org], role, username=name)
    ids = {}
    for side, team, district, sup, am, tech in (
        ("a", "T1", "D1", "sup_d1", "am1", "tech1"),
        ("b", "T2", "D2", "sup_d2", "am2", "tech2"),
    ):
        customer = f.make_customer(db, t[team], t[am])
        contact = f.make_contact(db, customer)
        visit = records.insert(
            db,
            "visit",
            dict(
                customer_id=customer["id"],
                account_manager_id=t[am]["id"],
                org_id=customer["org_id"],
                status="completed",
                check_in_at="2026-11-20T02:00:00.000Z",
                check_out_at="2026-11-20T03:00:00.000Z",
            ),
            t[am]["id"],
        )
        site = f.make_site(db, t[team])
        order = f.make_work_order(db, t[district], assignee=t[tech], assigned_org=t[team])
        records.update(
            db,
            "work_order",
            order["id"],
            {"status": "submitted", "submitted_at": "2026-11-20T04:00:00.000Z"},
            None,
        )
        from server.appointments import model as appointments

        appointment = appointments.record(
            db,
            t[am]["id"],
            {
                "customer_id": customer["id"],
                "wanted_at": "2026-12-01T02:00:00.000Z",
                "need": "宽带报装",
                "contact_name": "王先生",
                "contact_phone": "13800000000",
            },
        )
        conflict_id = _held(db, t[am], visit["id"])
        follow_up = records.insert(
            db,
            "follow_up",
            dict(
                visit_id=visit["id"],
                customer_id=customer["id"],
                account_manager_id=t[am]["id"],
                action="回访",
                due_date="2026-12-01",
                done_at="2026-11-30T02:00:00.000Z",
            ),
            t[am]["id"],
        )
        task_id = _task(db, t[am], t[sup])
        ids[side] = dict(
            customer=customer["id"],
            contact=contact["id"],
            site=site["id"],
            visit=visit["id"],
            work_order=order["id"],
            org=t[team]["id"],
            user=t[am]["id"],
            appointment=appointment["id"],
            conflict=conflict_id,
            task=task_id,
            follow_up=follow_up["id"],
        )
    db.conn.commit()
    db.conn.close()
    return World(app, ids, USERS, t)


def _held(db, author, visit_id) -> str:
    """A late edit of the visit by its account manager, as sync/conflicts.py stores one."""
    from server.ids import now_utc, uuid7

    cid = uuid7()
    db.execute(
        "INSERT INTO conflict (id, kind, entity, entity_id, mutation_name, args, client_id,"
        " mutation_id, user_id, reason, created_at) VALUES (?, 'late_edit', 'visit', ?,"
        " 'visit.update', ?, 'review-client', 1, ?, 'approved', ?)",
        [
            cid,
            visit_id,
            json.dumps({"id": visit_id, "fields": {"notes": "补记"}}),
            author["id"],
            now_utc(),
        ],
    )
    return cid


def _task(db, assignee, supervisor) -> str:
    from server.scope import Caller
    from server.tasks import model as tasks

    org = db.execute("SELECT path, kind FROM org WHERE id = ?", [supervisor["org_id"]]).fetchone()
    caller = Caller(supervisor["id"], "supervisor", supervisor["org_id"], org[0], org[1])
    form = {
        "kind": "promotion",
        "title": "5G 推广",
        "assignee_id": assignee["id"],
        "start_date": "2026-11-01",
        "due_date": "2026-12-31",
        "target_count": "3",
    }
    clean, errors = tasks.validate(db, caller, form)
    assert not errors, errors
    return tasks.create(db, supervisor["id"], clean)[0]["id"]


# ---- sessions ----


def signed_in(app, username):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = CSRF_META.search(html).group(1)
    resp = client.post("/login", data={"username": username, "password": PW, "csrf_token": token})
    assert resp.status_code in (302, 303), (username, resp.status_code)
    return client


def page_token(client) -> str:
    match = CSRF_META.search(client.get("/").get_data(as_text=True))
    return match.group(1) if match else ""


def device_token(app, username) -> str:
    body = {"username": username, "password": PW, "device_name": "review"}
    resp = app.test_client().post("/api/auth/token", json=body)
    return resp.get_json()["access_token"]


def snapshot(path: str) -> str:
    """A digest of every row of every table (the session store excluded: there is none)."""
    conn = sqlite3.connect(path)
    digest = hashlib.sha256()
    tables = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    ]
    for table in tables:
        for row in conn.execute(f"SELECT * FROM [{table}] ORDER BY 1"):
            digest.update(repr(row).encode("utf-8", "surrogatepass"))
    conn.close()
    return digest.hexdigest()


# ---- routes ----


def status_of(client, path: str, method: str = "GET", **kwargs) -> int:
    """One request's status; the response closed (a file answer keeps its file open)."""
    resp = client.open(path, method=method, **kwargs)
    code = resp.status_code
    resp.close()
    return code


def rules(app):
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def _path(rule, values: dict) -> str:
    out = rule.rule
    for name in rule.arguments:
        out = re.sub(rf"<(?:[^:<>]+:)?{name}>", values[name], out)
    return out


def _entity_values(rule, ids: dict) -> list[dict]:
    """The reviews routes name their record by kind and id: one set of values per kind."""
    return [
        {"entity": "visit", "entity_id": ids["visit"]},
        {"entity": "work_order", "entity_id": ids["work_order"]},
    ]


def scope_routes(app) -> tuple[list, list]:
    """(GET routes taking a record id, routes left out with why)."""
    walked, skipped = [], []
    for rule in rules(app):
        if "GET" not in rule.methods or not rule.arguments:
            continue
        names = set(rule.arguments)
        if rule.endpoint in SCOPED_ENDPOINTS_SKIPPED:
            skipped.append((rule.rule, "no such record in the world"))
        elif names & set(ROUTE_ARGS) or {"entity", "entity_id"} <= names:
            unknown = names - set(ROUTE_ARGS) - set(FIXED_ARGS) - {"entity", "entity_id", "key"}
            if unknown:
                skipped.append((rule.rule, f"arguments {sorted(unknown)}"))
            else:
                walked.append(rule)
    return walked, skipped


def _value_sets(rule, ids: dict) -> list[dict]:
    base = {}
    for name in rule.arguments:
        if name in ROUTE_ARGS:
            base[name] = ids[ROUTE_ARGS[name]]
        elif name in FIXED_ARGS:
            base[name] = FIXED_ARGS[name]
        elif name == "key":
            base[name] = "visit_plan_completion"  # an account manager's indicator
    if {"entity", "entity_id"} <= set(rule.arguments):
        return [{**base, **v} for v in _entity_values(rule, ids)]
    return [base]


@dataclass
class Counts:
    scope_cells: int = 0
    scope_leaks: int = 0
    own_cells: int = 0
    own_failures: int = 0
    csrf_attempts: int = 0
    csrf_accepted: int = 0
    fuzz_requests: int = 0
    fuzz_5xx: int = 0
    scope_write_cells: int = 0
    scope_write_leaks: int = 0
    scope_routes: int = 0
    scope_routes_skipped: int = 0
    findings: list = field(default_factory=list)
    fuzz_statuses: dict = field(default_factory=dict)
    skipped_routes: list = field(default_factory=list)

    def figures(self) -> dict:
        hidden = ("findings", "fuzz_statuses", "skipped_routes")
        return {k: v for k, v in self.__dict__.items() if k not in hidden}


def _may_see(username: str, branch: str) -> bool | None:
    """True: must see the branch's records (200); False: must not; None: depends on the
    route (a field user's own branch: an account manager sees customers, not work orders)."""
    home = USERS[username]
    if username in SUPERVISORS_OVER[branch]:
        return True
    if home is None or home == branch:
        return None
    return False


def walk_scope(world: World, counts: Counts, usernames=None) -> None:
    routes, skipped = scope_routes(world.app)
    counts.scope_routes, counts.scope_routes_skipped = len(routes), len(skipped)
    counts.skipped_routes = skipped
    for username in usernames or USERS:
        client = signed_in(world.app, username)
        for branch in ("a", "b"):
            expect = _may_see(username, branch)
            if expect is None:
                continue
            for rule in routes:
                for values in _value_sets(rule, world.ids[branch]):
                    path = _path(rule, values)
                    status = status_of(client, path)
                    if expect:
                        if "sha" in rule.arguments or (
                            rule.endpoint == "scores.records" and "org_id" in rule.arguments
                        ):
                            continue  # no photo by that hash; records only of a contractor
                        counts.own_cells += 1
                        wanted = (
                            403 if rule.endpoint in ADMIN_ONLY and username != "admin" else 200
                        )
                        if status != wanted:
                            counts.own_failures += 1
                            counts.findings.append(("own", username, path, status))
                    else:
                        counts.scope_cells += 1
                        if status not in (403, 404):
                            counts.scope_leaks += 1
                            counts.findings.append(("leak", username, path, status))


def walk_scope_writes(world: World, counts: Counts, usernames=None) -> None:
    """Every state-changing route taking an id, with a valid CSRF token, on the records of a
    branch the user may not see: refused 403/404 (or 400/401: no such form, no token), and
    the database as it was."""
    path_db = world.app.config["DATABASE"]
    routes = [
        (rule, method)
        for rule, method in changing_routes(world.app)
        if set(rule.arguments) & (set(ROUTE_ARGS) | {"entity_id"})
    ]
    for username in usernames or USERS:
        client = signed_in(world.app, username)
        for branch in ("a", "b"):
            if _may_see(username, branch) is not False:
                continue
            for rule, method in routes:
                for values in _value_sets_any(rule, world.ids[branch]):
                    path = _path(rule, values)
                    token = page_token(client)
                    before = snapshot(path_db)
                    code = status_of(
                        client,
                        path,
                        method,
                        data={**FORM, "csrf_token": token},
                        headers={"X-CSRFToken": token},
                    )
                    counts.scope_write_cells += 1
                    if code not in (400, 401, 403, 404) or snapshot(path_db) != before:
                        counts.scope_write_leaks += 1
                        counts.findings.append(("write", username, method, path, code))


def changing_routes(app) -> list[tuple]:
    out = []
    for rule in rules(app):
        for method in sorted(rule.methods & {"POST", "PUT", "DELETE", "PATCH"}):
            out.append((rule, method))
    return out


FORM = {
    "decision": "dismissed",
    "name": "伪造",
    "display_name": "伪造",
    "reason": "伪造",
    "note": "伪造",
    "password": "forged-password-123",
    "username": "admin",
    "active": "0",
    "language": "en",
    "locale": "en",
}


def walk_csrf(
    world: World, counts: Counts, usernames=("admin", "sup_d1", "am1"), endpoints=None
) -> None:
    """Every state-changing route without a token and with a forged one, by cookie."""
    path_db = world.app.config["DATABASE"]
    for username in usernames:
        branch = USERS[username] if USERS[username] in world.ids else "a"
        client = signed_in(world.app, username)
        for rule, method in changing_routes(world.app):
            if endpoints is not None and rule.endpoint not in endpoints:
                continue
            for values in _value_sets_any(rule, world.ids[branch]):
                path = _path(rule, values)
                forged = {"X-CSRFToken": "forged"}
                for headers, form in (({}, FORM), (forged, {**FORM, "csrf_token": "forged"})):
                    before = snapshot(path_db)
                    code = status_of(client, path, method, data=form, headers=headers)
                    counts.csrf_attempts += 1
                    changed = snapshot(path_db) != before
                    if code < 400 or changed:
                        counts.csrf_accepted += 1
                        counts.findings.append(("csrf", username, method, path, code, changed))
                        client = signed_in(world.app, username)  # it may have signed us out


def _value_sets_any(rule, ids: dict) -> list[dict]:
    values = {}
    for name in rule.arguments:
        if name in ROUTE_ARGS:
            values[name] = ids[ROUTE_ARGS[name]]
        elif name in FIXED_ARGS:
            values[name] = FIXED_ARGS[name]
        elif name == "entity":
            values[name] = "visit"
        elif name == "entity_id":
            values[name] = ids["visit"]
        elif name == "action":
            values[name] = "approve"
        else:
            values[name] = "0" * 8
    if "token_id" in rule.arguments or "sub_id" in rule.arguments or "batch_id" in rule.arguments:
        pass  # an id of nothing: still a forged post, still refused before the view
    return [values]


def walk_fuzz(
    world: World,
    counts: Counts,
    usernames=("am1", "admin"),
    hostile=None,
    every_value=False,
    endpoints=None,
) -> None:
    """Each route and method per user, twice: hostile values in the path; and the user's own
    records in the path (so the view runs) with a hostile query and body. One hostile value
    per route (in turn), or each of them with every_value. Field users go first: a
    supervisor's fuzz may disable or re-password them; a fuzz ending the session signs in
    again."""
    hostile = hostile or HOSTILE
    for username in usernames:
        client = signed_in(world.app, username)
        token = page_token(client)  # valid for the session (Flask-WTF signs it per session)
        bearer = {"Authorization": f"Bearer {device_token(world.app, username)}"}
        own = world.ids[USERS[username] if USERS[username] in world.ids else "a"]
        for n, rule in enumerate(rules(world.app)):
            if endpoints is not None and rule.endpoint not in endpoints:
                continue
            values_list = hostile if every_value else [hostile[n % len(hostile)]]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                for bad in values_list:
                    for real in (False, True):
                        if real and not rule.arguments and bad is not values_list[0]:
                            continue  # no path values: the hostile path is the same request
                        if real:
                            values = _value_sets_any(rule, own)[0]
                        else:
                            values = {name: quote(bad, safe="") for name in rule.arguments}
                        path = _path(rule, values) + HOSTILE_QUERY
                        headers = {"X-CSRFToken": token, "HX-Request": "true", **bearer}
                        if method == "GET":
                            body = {}
                        elif rule.rule.startswith("/api/"):
                            body = {"json": _hostile_json(bad)}
                        else:
                            body = {"data": {**dict.fromkeys(FORM, bad), "csrf_token": token}}
                        try:
                            code = status_of(client, path, method, headers=headers, **body)
                        except Exception as exc:
                            code = 599
                            counts.findings.append(
                                ("crash", username, method, path[:160], repr(exc))
                            )
                        counts.fuzz_requests += 1
                        counts.fuzz_statuses[code] = counts.fuzz_statuses.get(code, 0) + 1
                        if code >= 500:
                            counts.fuzz_5xx += 1
                            counts.findings.append(("fuzz", username, method, path[:160], code))
                        if rule.endpoint in SESSION_ENDERS or code == 401:
                            client = signed_in(world.app, username)
                            token = page_token(client)
                            token_value = device_token(world.app, username)
                            bearer = {"Authorization": f"Bearer {token_value}"}


SESSION_ENDERS = {"auth.logout", "auth.revoke_device", "auth_api.revoke_self", "auth.set_language"}


def _hostile_json(bad: str) -> dict:
    return {
        "client_id": bad,
        "server_epoch": [bad],
        "cursor": {"x": bad},
        "limit": 1e308,
        "mutations": [{"id": -1, "name": bad, "args": {"id": bad}, "hlc": bad}],
        "endpoint": bad,
        "keys": {"p256dh": bad, "auth": bad},
        "username": bad,
        "password": bad,
        "refresh_token": bad,
    }


def review(
    tmp_dir: str,
    *,
    scope_users=None,
    csrf_users=("admin", "sup_d1", "am1"),
    fuzz_users=("am1", "admin"),
    every_value=False,
) -> Counts:
    """Build the world and walk it: scope (reads, then writes), CSRF, fuzz, in that order."""
    world = build(tmp_dir)
    counts = Counts()
    walk_scope(world, counts, scope_users)
    walk_scope_writes(world, counts, scope_users)
    walk_csrf(world, counts, csrf_users)
    walk_fuzz(world, counts, fuzz_users, every_value=every_value)
    return counts
