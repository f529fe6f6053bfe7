"""Generators of hostile page requests: `app.url_map` walked for every role, path
variables filled with the seeded scope's ids, a foreign scope's and garbage, hostile query
parameters, and hostile form fields posted signed in with a valid CSRF token."""

import inspect
import re
from pathlib import Path
from urllib.parse import quote

from tests.hostile import Case, five_xx
from tests.hostile_world import DEMO_PASSWORD, ROLES

SKIP = {"static", "pwa.asset", "auth.logout", "home.healthz"}  # sign-out would end the walk
GARBAGE = {
    "x": "x",
    "2**64": "99999999999999999999",
    "surrogate": "%ED%A0%BD",
    "10KB": "a" * 10_000,
    "sql": "%27%20OR%201%3D1--",
}
QUERY_VALUES = {
    "2**64": "99999999999999999999",
    "negative": "-1",
    "month_0000": "0000-01",
    "month_13": "2026-13",
    "surrogate": "\ud83d",
    "nul": "a\x00b",
    "10KB": "9" * 10_000,
    "nan": "NaN",
    "1e308": "1e308",
}
FORM_VALUES = {
    "empty": "",
    "2**64": "99999999999999999999",
    "negative": "-1",
    "1e308": "1e308",
    "nan": "NaN",
    "surrogate": "\ud83d",
    "nul": "a\x00b",
    "10KB": "x" * 10_000,
    "unknown_choice": "fuzz-choice",
}
INPUT = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"")
FORM = re.compile(r"<form\b[^>]*>(.*?)</form>", re.S)
ACTION = re.compile(r"\b(?:action|hx-post)=\"([^\"]*)\"")
ARG_READS = re.compile(r"""(?:args|form|values)\.get(?:list)?\(\s*["'](\w+)["']""")


def encode(pairs) -> str:
    """key=value&… with UTF-8 (lone surrogates kept as their bytes, as a broken client sends)."""
    return "&".join(
        f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in pairs
    )


def path_values(world, var: str, role: str) -> dict[str, str]:
    """Valid ids of the seeded scope (A's side), a foreign scope's (B's) and garbage."""
    r, db = world.rec, world.db

    def first(sql, *params):
        row = db.execute(sql, params).fetchone()
        return row[0] if row else None

    a_org = world.users["am.pan"]["org_id"]
    b_org = world.users["am.zhou"]["org_id"]
    valid = {
        "customer_id": (r["A.customer0"], r["B.customer0"]),
        "visit_id": (r["A.visit_review"], r["B.visit_review"]),
        "order_id": (r["A.wo_page"], r["B.wo_page"]),
        "site_id": (r["A.site"], r["B.site"]),
        "task_id": (r["A.task"], r["B.task"]),
        "follow_up_id": (r["A.follow_up"], r["B.follow_up"]),
        "appointment_id": (r["A.appointment"], r["B.appointment"]),
        "user_id": (r["victim2.user"], r["victim.user"]),
        "token_id": (r["victim2.token"], r["victim.token"]),
        "org_id": (a_org, b_org),
        "entity_id": (r["A.visit_review"], r["B.visit_review"]),
        "sub_id": (r["A.subscription"], r["B.subscription"]),
        "contact_id": (
            first("SELECT id FROM contact WHERE customer_id = ?", r["A.customer0"]),
            first("SELECT id FROM contact WHERE customer_id = ?", r["B.customer0"]),
        ),
        "conflict_id": (r["A.conflict"], None),
        "holiday_id": (first("SELECT id FROM public_holiday ORDER BY id"), None),
        "template_id": (first("SELECT id FROM checklist_template ORDER BY id"), None),
        "plan_id": (first("SELECT id FROM inspection_plan ORDER BY id"), None),
        "batch_id": (first("SELECT id FROM billing_import ORDER BY id"), None),
        "task_id_retention": (r.get("A.retention_task"), r.get("B.retention_task")),
        "kind": ("customers", None),
        "entity": ("visit", "work_order"),
        "chart": ("sla", None),
        "key": ("visits", None),
        "locale": ("en", "zh_CN"),
        "screen": ("visits", None),
        "sha": (world.shas["A"], world.shas["B"]),
        "action": ("approve", "return"),
    }
    own, foreign = valid.get(var, (None, None))
    out = {}
    if own:
        out["valid"] = own
    if foreign:
        out["foreign"] = foreign
    out.update(GARBAGE)
    return out


def _rules(app, method):
    for rule in sorted(app.url_map.iter_rules(), key=lambda x: (x.rule, x.endpoint)):
        if (
            method in rule.methods
            and rule.endpoint not in SKIP
            and not rule.rule.startswith("/api/")
        ):
            yield rule


def fill(rule, values: dict) -> str:
    path = rule.rule
    for var in rule.arguments:
        path = re.sub(r"<(?:[a-z]+:)?" + var + ">", values[var], path)
    return path


def _variants(world, rule, role):
    """(label, path) for the rule: every variable valid, then each one foreign or garbage."""
    options = {}
    for var in sorted(rule.arguments):
        name = "task_id_retention" if var == "task_id" and "retention" in rule.rule else var
        options[var] = path_values(world, name, role)
    base = {v: opts.get("valid", opts["x"]) for v, opts in options.items()}
    yield "valid", fill(rule, base)
    for var, opts in options.items():
        for label, value in opts.items():
            if label != "valid":
                yield f"{var}={label}", fill(rule, {**base, var: value})


def query_keys(app, rule) -> list[str]:
    """The query parameters the view's package reads (args.get("x")), and `page`."""
    view = app.view_functions[rule.endpoint]
    keys = {"page"}
    try:
        folder = Path(inspect.getsourcefile(view)).parent
    except TypeError:  # pragma: no cover
        return sorted(keys)
    for source in folder.glob("*.py"):
        if "views" in source.name or source.parent.name == "admin":
            keys.update(ARG_READS.findall(source.read_text(encoding="utf-8")))
    return sorted(keys)


def signed_in(fz, role: str):
    """A test client signed in as the role's user, with its CSRF token (cached)."""
    if role not in fz.page_clients:
        from tests.conftest import csrf_token

        client = fz.world.app.test_client()
        if role != "anonymous":
            token = csrf_token(client)
            resp = client.post(
                "/login",
                data={"username": ROLES[role], "password": DEMO_PASSWORD, "csrf_token": token},
            )
            assert resp.status_code in (302, 303), resp.status_code
        fz.page_clients[role] = (
            client,
            csrf_token(client, "/login" if role == "anonymous" else "/"),
        )
    return fz.page_clients[role]


def _get(role, path, query=None):
    def run(fz):
        client, _ = signed_in(fz, role)
        url = path + ("?" + encode(query) if query else "")
        answer = fz.send("GET", url, client=client)
        return answer.status, five_xx(answer)

    return run


def page_get_cases(world, roles=None):
    app = world.app
    for rule in _rules(app, "GET"):
        keys = query_keys(app, rule)
        for role in roles or ROLES:
            for label, path in _variants(world, rule, role):
                yield Case("pages_get", f"GET {rule.rule}", label, role, _get(role, path))
            valid = next(_variants(world, rule, role))[1]
            for key in keys:
                for cls, value in QUERY_VALUES.items():
                    yield Case(
                        "pages_get",
                        f"GET {rule.rule}",
                        f"?{key}",
                        f"{cls}/{role}",
                        _get(role, valid, [(key, value)]),
                    )
                yield Case(
                    "pages_get",
                    f"GET {rule.rule}",
                    f"?{key}",
                    f"array/{role}",
                    _get(role, valid, [(key, "1"), (key, "2")]),
                )


def form_fields(app, rule) -> list[str]:
    """Field names the view's package reads from request.form (form.get("x"))."""
    view = app.view_functions[rule.endpoint]
    folder = Path(inspect.getsourcefile(view)).parent
    names = set()
    for source in folder.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        names.update(re.findall(r"""form\.get(?:list)?\(\s*["'](\w+)["']""", text))
        names.update(re.findall(r"""(?:form|data)\[\s*["'](\w+)["']\]""", text))
    return sorted(names)


def _post_once(fz, role, path, pairs, htmx=False):
    client, token = signed_in(fz, role)
    headers = {"X-CSRFToken": token, "Content-Type": "application/x-www-form-urlencoded"}
    if htmx:
        headers["HX-Request"] = "true"
    answer = fz.send("POST", path, client=client, data=encode(pairs), headers=headers)
    problems = five_xx(answer)
    if answer.status == 400 and "CSRF" in answer.text:
        problems.append("CSRF refused: the view never ran")
    return answer.status, problems


def _post(role, path, pairs, htmx=False):
    def run(fz):
        return _post_once(fz, role, path, pairs, htmx)

    return run


def host_pages(path: str) -> list[str]:
    """Where the form that posts to `path` is likely shown: the path, then its parents."""
    parts = path.rstrip("/").split("/")
    out = []
    while parts:
        here = "/".join(parts) or "/"
        out += [here, here + "/"] if here != "/" else ["/"]
        parts = parts[:-1]
    return out


def base_form(fz, role: str, path: str):
    """(fields, choices) of the page form posting to `path` as the role sees it, or None."""
    from tests.hostile_forms import post_forms

    key = (role, path)
    if key not in fz.forms:
        client, _ = signed_in(fz, role)
        fz.forms[key] = None
        for page in host_pages(path):
            answer = fz.send("GET", page, client=client, follow_redirects=False)
            if answer.status != 200:
                continue
            found = post_forms(answer.html, path)
            if found:
                form = found[0]
                fields = [(k, v) for k, v in form.fields if k != "csrf_token"]
                fz.forms[key] = (fields, form.choices)
                break
    return fz.forms[key]


def _replace(fields, name, value):
    out = [(k, v) for k, v in fields if k != name]
    return out + ([] if value is None else [(name, value)])


def _form_case(role, path, extra_fields, cls):
    """Post the page's own form (its current values) with each field hostile in turn."""

    def run(fz):
        found = base_form(fz, role, path)
        fields, choices = found or ([], {})
        names = sorted({k for k, _ in fields} | set(choices) | set(extra_fields))
        names = [n for n in names if n != "csrf_token"]
        statuses, problems = [], []
        if cls == "base":
            trials = [fields]
        elif cls == "options":
            trials = [_replace(fields, n, v) for n in names for v in choices.get(n, [])[:12]]
            trials += [_replace(fields, n, None) for n in names]  # each field left out
        else:
            trials = [_replace(fields, n, FORM_VALUES[cls]) for n in names]
        for pairs in trials or [[]]:
            status, found_problems = _post_once(fz, role, path, pairs, htmx=cls == "options")
            statuses.append(status)
            problems += [f"{p} (form {pairs[:6]})"[:300] for p in found_problems]
        return max(statuses), problems

    return run


def page_post_cases(world, roles=None):
    app = world.app
    for rule in _rules(app, "POST"):
        fields = form_fields(app, rule)
        for role in roles or ROLES:
            for label, path in _variants(world, rule, role):
                yield Case(
                    "pages_post",
                    f"POST {rule.rule}",
                    label,
                    f"empty/{role}",
                    _post(role, path, []),
                )
            valid = next(_variants(world, rule, role))[1]
            for cls in ("base", "options", *FORM_VALUES):
                yield Case(
                    "pages_post",
                    f"POST {rule.rule}",
                    "form",
                    f"{cls}/{role}",
                    _form_case(role, valid, fields, cls),
                )
            for name in fields:
                yield Case(
                    "pages_post",
                    f"POST {rule.rule}",
                    name,
                    f"array/{role}",
                    _post(role, valid, [(name, "1"), (name, "2")], htmx=True),
                )
