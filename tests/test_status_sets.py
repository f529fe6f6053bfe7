"""Status sets are named once (server/visits/statuses.py, server/work_orders/statuses.py):
the device gets them in its config, its defaults (pwa/statuses.js) are the same values, and
no copy of a set is written out elsewhere in the server or the device code."""

import json
import pathlib
import re

from server.visits import statuses as visit_statuses
from server.work_orders import statuses as order_statuses
from tests import factories as f
from tests.device import Device

ROOT = pathlib.Path(__file__).resolve().parent.parent
SETS = {**visit_statuses.for_device(), **order_statuses.for_device()}
HOMES = {"server/visits/statuses.py", "server/work_orders/statuses.py", "pwa/statuses.js"}
# Applied migrations are history: they keep the SQL they were applied with.
HISTORY = {"server/migrations.py"}


def _device_defaults() -> dict:
    text = (ROOT / "pwa/statuses.js").read_text(encoding="utf-8")
    body = re.search(r"DEFAULT_STATUS_SETS = \{(.*?)\n\};", text, re.S).group(1)
    return {name: json.loads(values) for name, values in re.findall(r"(\w+): (\[.*?\])", body)}


def test_the_device_defaults_are_the_server_sets():
    assert _device_defaults() == SETS


def test_the_device_gets_the_sets_in_its_config(client, tree):
    body = Device(client, "am1", f.PASSWORD).pull()
    assert body["config"]["STATUS_SETS"] == SETS


def _spelled(values) -> re.Pattern:
    """The set written out as a literal: a tuple, list or SQL IN-list, either quote."""
    quoted = [rf"""["']{re.escape(v)}["']""" for v in values]
    return re.compile(r"[(\[]\s*" + r",\s*".join(quoted) + r"\s*,?\s*[)\]]")


def test_no_copy_of_a_named_set_outside_its_home():
    named = [
        visit_statuses.TOOK_PLACE,
        visit_statuses.CHECKED_OUT,
        visit_statuses.DONE,
        order_statuses.BEFORE_ARRIVAL,
        order_statuses.RUNNING,
        order_statuses.REASSIGNABLE,
        order_statuses.WITH_FIELD,
        order_statuses.DONE,
        order_statuses.REPORTED,
        order_statuses.APPROVED,
        order_statuses.FINISHED,
    ]
    patterns = [_spelled(values) for values in named]
    copies = []
    for path in [*(ROOT / "server").rglob("*.py"), *(ROOT / "pwa").glob("*.js")]:
        rel = path.relative_to(ROOT).as_posix()
        if rel in HOMES | HISTORY:
            continue
        text = path.read_text(encoding="utf-8")
        copies += [(rel, p.pattern) for p in patterns if p.search(text)]
    assert copies == []


def test_the_sql_in_list_is_the_set():
    from server.db import sql_in

    assert sql_in(visit_statuses.DONE) == "('completed', 'approved')"
