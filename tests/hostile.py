"""Hostile-input requests generated from the code, for tests/test_hostile_inputs.py and
bench/fuzz.py.

Areas (each a generator of `Case`s over a `tests.hostile_world.World`):
- `mutation_cases`: every registered sync mutation and every argument it reads (from the
  handler's docstring `name {a, b, c?}` and its source's `args.get("x")` / `args["x"]`),
  each hostile value in turn on top of a valid-looking base, pushed through
  `/api/sync/push` (tests/hostile_api.py holds the base builders);
- `envelope_cases`, `blob_cases`, `auth_cases`, `push_api_cases` (tests/hostile_api.py);
- `page_get_cases`, `page_post_cases`: the URL map walked (tests/hostile_pages.py).

A case runs its request(s) and returns findings; a finding is a broken promise: a 5xx, a
mutation with a hostile argument applied, a rejection that names neither the argument nor
a documented code, a table changed by a rejected mutation, a foreign id answered
differently from a missing one.
"""

import json
import math
import re
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SURROGATE = "\ud83d"  # the first half of an emoji, as JSON.stringify sends a cut one
MISSING = object()  # "leave the argument out"
UNTOUCHED = ("mutation_log", "sync_client")  # what a rejected mutation may write


@dataclass(frozen=True)
class Finding:
    area: str
    target: str  # endpoint or mutation
    arg: str
    value_class: str
    status: int
    detail: str

    def line(self) -> str:
        parts = (self.area, self.target, self.arg, self.value_class, self.status, self.detail)
        return " | ".join(map(str, parts))


@dataclass
class Case:
    area: str
    target: str
    arg: str
    value_class: str
    run: Callable  # (Fuzzer) -> (status, [problem texts])


@dataclass
class Answer:
    status: int
    body: object = None  # parsed JSON, when there is one
    text: str = ""
    trace: str = ""  # the exception of a crashed request: "Type: message @ file:line"
    html: str = ""  # the page, for a 200 text/html answer (its forms are read)


@dataclass
class Tally:
    requests: int = 0
    statuses: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)


def documented_codes() -> set[str]:
    """Every `code` docs/sync-protocol.md names (backticked snake_case words)."""
    text = (ROOT / "docs" / "sync-protocol.md").read_text(encoding="utf-8")
    return set(re.findall(r"`([a-z][a-z0-9_]+)`", text))


def send(client, method: str, path: str, **kwargs) -> Answer:
    """One request through the WSGI app; an exception the app let escape counts as a 500."""
    try:
        resp = client.open(path, method=method, **kwargs)
    except Exception as exc:  # TESTING propagates errors: this is the 500 a device would see
        frames = traceback.extract_tb(exc.__traceback__)
        ours = [f for f in frames if "/server/" in f.filename or "/sync/" in f.filename]
        where = ours[-1] if ours else frames[-1]
        spot = f"{Path(where.filename).name}:{where.lineno} {where.line}"
        return Answer(500, trace=f"{type(exc).__name__}: {str(exc)[:120]} @ {spot}")
    try:
        text = resp.get_data(as_text=True) if resp.status_code >= 400 else ""
        html = resp.get_data(as_text=True) if resp.mimetype == "text/html" else ""
        body = None
        if resp.mimetype == "application/json":
            try:
                body = json.loads(resp.get_data(as_text=True))
            except ValueError:
                body = None
    finally:
        resp.close()  # a file answer (a photo) holds its file open until closed
    return Answer(resp.status_code, body, text[:300], html=html if resp.status_code == 200 else "")


def five_xx(answer: Answer) -> list[str]:
    if answer.status < 500:
        return []
    return [answer.trace or f"HTTP {answer.status}: {answer.text[:160]!r}"]


def api_error_shape(answer: Answer, method: str = "GET") -> list[str]:
    """/api/ errors are JSON {error, message} (HEAD answers carry no body)."""
    if answer.status < 400 or answer.status >= 500 or method == "HEAD":
        return []
    if not isinstance(answer.body, dict) or "error" not in answer.body:
        return [f"{answer.status} is not JSON {{error, message}}: {answer.text[:80]!r}"]
    return []


# ---- hostile values ----


def deep(levels: int) -> list:
    value: list = []
    for _ in range(levels):
        value = [value]
    return value


def hostile_values(base, free_text: bool = False) -> Iterator[tuple[str, object, bool]]:
    """(value class, value, must the server refuse it?) for an argument whose valid value
    is `base`. Missing and null may be fine (optional arguments); everything else that is
    not of the base's type, not finite, out of any range, not storable text (a lone
    surrogate) or unbounded (1 MB) must be refused. NUL bytes may be kept in free text."""
    is_text, is_number = isinstance(base, str), _number(base)
    yield "missing", MISSING, False
    yield "null", None, False
    yield "bool", True, not isinstance(base, bool)
    yield "int", 7, not is_number
    if isinstance(base, int) and not isinstance(base, bool):
        yield "float_for_int", 1.5, True
    for name, value in (("nan", math.nan), ("inf", math.inf), ("-inf", -math.inf)):
        yield name, value, True
    yield "1e308", 1e308, True
    yield "2**63", 2**63, True
    yield "-2**63-1", -(2**63) - 1, True
    yield "text", "fuzz", not is_text
    yield "numeric_text", "30.5", not is_text
    text = base if is_text else "x"
    yield "nul", text + "\x00", not (is_text and free_text)
    yield "surrogate", text + SURROGATE, True
    yield "1MB", "x" * 1_000_000, True
    yield "list", [base], not isinstance(base, list)
    yield "object", {"$gt": ""}, not isinstance(base, dict)
    yield "deep", deep(200), True


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_free_text(value) -> bool:
    """Free text in the bases is written in Chinese (ids, dates and enums are ASCII)."""
    return isinstance(value, str) and any(ord(ch) > 127 for ch in value)


# ---- arguments of a mutation, from the code ----

DOC_ARGS = re.compile(r"\{([^}]*)\}", re.S)
SOURCE_ARGS = re.compile(r"""args(?:\.get\(|\[)\s*["'](\w+)["']""")
HELPER_ARGS = re.compile(r"""\(\s*args\s*,\s*["'](\w+)["']""")  # _id(args, "visit_id")


def mutation_args(spec) -> dict[str, bool]:
    """{argument: required} from the docstring (`c?` is optional) and the handler's source
    (args.get("x"), args["x"], helper(args, "x")); arguments only in the source count as
    optional."""
    import inspect

    found: dict[str, bool] = {}
    match = DOC_ARGS.search(spec.doc)
    if match:
        for part in match.group(1).replace("\n", " ").split(","):
            name = part.strip()
            if name:
                found[name.rstrip("?")] = not name.endswith("?")
    try:
        source = inspect.getsource(spec.apply)
    except (OSError, TypeError):  # pragma: no cover - a handler without source
        source = ""
    for name in SOURCE_ARGS.findall(source) + HELPER_ARGS.findall(source):
        found.setdefault(name, False)
    return found


def with_arg(args: dict, path: str, value) -> dict:
    """A copy of args with `path` ("fields.notes" for a nested one) set or left out."""
    out = json.loads(json.dumps(args))
    target, *rest = path.split(".")
    holder = out
    if rest:
        holder = out.setdefault(target, {})
        target = rest[0]
    if value is MISSING:
        holder.pop(target, None)
    else:
        holder[target] = value
    return out


def all_cases(world, areas=None) -> dict[str, list[Case]]:
    """Every generated case by area (the order is fixed: generation is deterministic)."""
    from tests import hostile_api, hostile_pages

    generators = {
        "mutation_args": hostile_api.mutation_cases,
        "envelope": hostile_api.envelope_cases,
        "blobs": hostile_api.blob_cases,
        "auth": hostile_api.auth_cases,
        "push_api": hostile_api.push_api_cases,
        "pages_get": hostile_pages.page_get_cases,
        "pages_post": hostile_pages.page_post_cases,
    }
    return {k: list(gen(world)) for k, gen in generators.items() if areas is None or k in areas}


def run(fuzzer, case: Case, tally: Tally) -> None:
    """Run one case, count its requests and statuses, keep its findings."""
    before = fuzzer.requests
    status, problems = case.run(fuzzer)
    tally.requests += fuzzer.requests - before
    tally.statuses[status] = tally.statuses.get(status, 0) + 1
    for problem in problems:
        tally.findings.append(
            Finding(case.area, case.target, case.arg, case.value_class, status, problem)
        )


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NUMBER = re.compile(r"(?<![A-Za-z_])\d+(?![A-Za-z_])")
WO_CODE = re.compile(r"WO-\d+-\d+")


def _normal(detail: str) -> str:
    """A finding's detail without the ids, versions and positions that differ per request."""
    detail = WO_CODE.sub("WO-…", UUID.sub("<id>", detail))
    detail = re.sub(r"in position \d+", "in position N", detail)
    return NUMBER.sub("N", detail) if detail.startswith(("applied", "held")) else detail


def grouped(findings: list[Finding]) -> str:
    """One line per distinct (area, target, status, detail): arguments and value classes
    merged, ids and versions taken out of the detail."""
    groups: dict[tuple, tuple[set, set]] = {}
    for f in findings:
        key = (f.area, f.target, f.status, _normal(f.detail))
        args, classes = groups.setdefault(key, (set(), set()))
        args.add(f.arg)
        classes.add(f.value_class)
    lines = []
    for (area, target, status, detail), (args, classes) in sorted(groups.items()):
        lines.append(
            f"{area} | {target} | {','.join(sorted(args))} | {','.join(sorted(classes))}"
            f" | {status} | {detail}"
        )
    return "\n".join(lines)


class Fuzzer:
    """Sends cases' requests, counts them, and checks what rejected mutations left behind."""

    def __init__(self, world):
        self.world = world
        self.client = world.client
        self.requests = 0
        self.codes = documented_codes()
        self.page_clients: dict = {}  # role -> (signed-in test client, CSRF token)
        self.forms: dict = {}  # rule -> field names seen in the pages' own forms
        names = [
            r[0]
            for r in world.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
            )
        ]
        parts = []
        for table in sorted(set(names) - set(UNTOUCHED)):
            columns = {r[1] for r in world.db.execute(f"PRAGMA table_info({table})")}
            parts.append(f"(SELECT count(*) FROM {table})")
            if "version" in columns:
                parts.append(f"(SELECT total(version) FROM {table})")
        self._tables = sorted(set(names) - set(UNTOUCHED))
        self._snapshot_sql = "SELECT " + ", ".join(parts)

    def send(self, method, path, client=None, **kwargs) -> Answer:
        self.requests += 1
        return send(client or self.client, method, path, **kwargs)

    def snapshot(self) -> tuple:
        """Row counts and version sums of every table but mutation_log and sync_client."""
        return tuple(self.world.db.execute(self._snapshot_sql).fetchone())

    def changed(self, before: tuple) -> list[str]:
        after = self.snapshot()
        if after == before:
            return []
        return ["a table other than mutation_log/sync_client changed"]

    def push_text(self, dev, text: str) -> Answer:
        """POST a raw JSON text to /api/sync/push as this device."""
        headers = {**dev.headers, "Content-Type": "application/json"}
        answer = self.send("POST", "/api/sync/push", data=text.encode(), headers=headers)
        if answer.status == 200 and isinstance(answer.body, dict):
            last = answer.body.get("last_mutation_id")
            if isinstance(last, int):
                dev.next_id = last + 1
        return answer

    def stored(self, dev, mutation_id) -> tuple | None:
        row = self.world.db.execute(
            "SELECT status, result FROM mutation_log WHERE client_id = ? AND mutation_id = ?",
            [dev.client_id, mutation_id],
        ).fetchone()
        return (row["status"], json.loads(row["result"] or "{}")) if row else None

    def mutation(self, dev, name: str, args: dict, arg: str, must_refuse: bool):
        """Push one mutation; (status, problems, (outcome, result) or None)."""
        from tests.hostile_world import dumps

        before = self.snapshot()
        m = dev.mutation(name, args)
        body = {
            "client_id": dev.client_id,
            "server_epoch": dev.epoch,
            "schema_version": 1,
            "app_version": "fuzz",
            "mutations": [m],
        }
        answer = self.push_text(dev, dumps(body))
        problems = five_xx(answer) + api_error_shape(answer)
        if answer.status != 200:
            dev.next_id = m["id"]  # nothing was taken: the id is still free
            return answer.status, problems + self.changed(before), None
        stored = self.stored(dev, m["id"])
        if stored is None:
            return 200, problems + [f"no mutation_log row: {str(answer.body)[:120]}"], None
        outcome, result = stored
        leaf = arg.split(".")[-1]
        if outcome in ("applied", "held") and must_refuse:
            problems.append(f"{outcome}: {json.dumps(result, ensure_ascii=True)[:100]}")
        if outcome == "rejected":
            code = result.get("code")
            text = json.dumps(result, ensure_ascii=False)
            if code == "internal_error":
                problems.append("rejected internal_error (the handler crashed)")
            elif code == "bad_args" and leaf not in text:
                problems.append(f"bad_args does not name {leaf}: {result.get('message')!r}")
            elif code not in self.codes:
                problems.append(f"undocumented code {code!r}")
            problems += self.changed(before)
        return 200, problems, stored
