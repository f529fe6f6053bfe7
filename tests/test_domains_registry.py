"""Domains are registered in one place (server/domains.py): every replicated entity has scope
keys, every table the change log writes is declared, and the list stays cheap to import."""

import pathlib
import re
import subprocess
import sys

import pytest

from server import records, sync_keys
from server.db import connect
from server.domains import DOMAINS
from server.migrations import upgrade
from server.seed import demo
from server.sync_api.registry import build_registry
from tests import factories

ROOT = pathlib.Path(__file__).resolve().parent.parent
REGISTRY = build_registry()
UNREPLICATED = {table for domain in DOMAINS for table in domain.unreplicated}


def _world(db, tree) -> dict:
    customer = factories.make_customer(db, tree["T1"], tree["am1"])
    visit = records.insert(
        db,
        "visit",
        dict(
            customer_id=customer["id"],
            account_manager_id=tree["am1"]["id"],
            org_id=tree["T1"]["id"],
            status="planned",
        ),
        None,
    )
    order = factories.make_work_order(db, tree["T1"], assignee=tree["tech1"])
    return {"customer": customer, "visit": visit, "order": order}


def _samples(tree, world) -> dict:
    """One row of every replicated entity, as the keys function gets it."""
    org, am, tech = tree["T1"]["id"], tree["am1"]["id"], tree["tech1"]["id"]
    customer, visit, order = world["customer"], world["visit"], world["order"]
    return {
        "customer": customer,
        "contact": {"customer_id": customer["id"]},
        "visit": visit,
        "visit_photo": {"visit_id": visit["id"]},
        "follow_up": {"visit_id": visit["id"]},
        "site": {"org_id": org, "contractor_id": None, "customer_id": customer["id"]},
        "checklist_template": {"site_type": "base_station"},
        "checklist_item": {"template_id": "x"},
        "work_order": order,
        "work_order_event": {"work_order_id": order["id"]},
        "work_order_photo": {"work_order_id": order["id"]},
        "inspection_answer": {"work_order_id": order["id"]},
        "task": {"org_id": org, "assignee_id": am},
        "appointment": {"org_id": org, "account_manager_id": am},
        "scorecard": {"user_id": tech, "org_id": org},
        "public_holiday": {"day": "2026-10-01"},
        "care_done": {"org_id": org, "user_id": am},
        "retention_task": {"org_id": org, "assignee_id": am},
        "complaint": {"org_id": org, "account_manager_id": am, "owner_id": am},
    }


def test_every_replicated_entity_declares_its_keys():
    missing = [name for name, spec in REGISTRY.entities.items() if spec.keys is None]
    assert missing == [], "EntitySpec without keys= (server/<domain>/sync.py)"


def test_every_replicated_entity_yields_scope_keys_for_a_sample_row(db, tree):
    samples = _samples(tree, _world(db, tree))
    assert set(samples) == set(REGISTRY.entities), "give a new entity a sample row here"
    for name in REGISTRY.entities:
        keys = sync_keys.row_keys(db, name, samples[name])
        assert keys, f"{name}: no scope keys, so no device would hear of its changes"
        assert all(re.fullmatch(r"[out]:\S+", key) for key in keys), (name, keys)


class _OnlyColumns(dict):
    """A row that refuses to show any column but `allowed` (what a keys function may read)."""

    def __init__(self, row: dict, allowed: tuple[str, ...]):
        super().__init__({k: v for k, v in row.items() if k in allowed})
        self.allowed = allowed

    def __getitem__(self, key):
        assert key in self.allowed, f"keys read {key!r}, not among key_columns {self.allowed}"
        return super().__getitem__(key)

    def get(self, key, default=None):
        assert key in self.allowed, f"keys read {key!r}, not among key_columns {self.allowed}"
        return super().get(key, default)


def test_an_entity_that_names_its_key_columns_reads_no_other_column(db, tree):
    """write_keys keeps a row's keys when a write changes none of its key_columns, which is
    only right when the keys function reads nothing else: run each with only those columns."""
    samples = _samples(tree, _world(db, tree))
    named = {n: e for n, e in REGISTRY.entities.items() if e.key_columns is not None}
    assert {"visit", "follow_up", "work_order"} <= set(named)
    for name, entity in named.items():
        full = entity.keys(db, samples[name])
        assert entity.keys(db, _OnlyColumns(samples[name], entity.key_columns)) == full, name


def test_a_write_outside_the_key_columns_keeps_the_keys_and_one_inside_adds_the_new(db, tree):
    visit = _samples(tree, _world(db, tree))["visit"]
    before = sync_keys.row_keys(db, "visit", visit)
    assert sync_keys.write_keys(db, "visit", visit, {"notes": "x"}) == before
    moved = sync_keys.write_keys(db, "visit", visit, {"account_manager_id": tree["am2"]["id"]})
    assert moved == before | {f"u:{tree['am2']['id']}"}


def test_an_unregistered_table_is_an_error_not_silence(db):
    with pytest.raises(LookupError, match="no scope keys for table 'nonsense'"):
        sync_keys.row_keys(db, "nonsense", {"id": "x"})
    assert sync_keys.row_keys(db, "review", {"id": "x"}) == set()  # declared unreplicated


WRITES = re.compile(r"""(?:records\.(?:insert|update)|log_change)\(\s*db,\s*"(\w+)\"""")


def _tables_written_in_source() -> set[str]:
    found = set()
    for path in (ROOT / "server").rglob("*.py"):
        found |= set(WRITES.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_table_the_change_log_writes_is_registered(tmp_path):
    db = connect(str(tmp_path / "demo.db"))
    upgrade(db)
    demo.seed_demo(db, 1)
    logged = {row[0] for row in db.execute("SELECT DISTINCT entity FROM change_log")}
    db.conn.close()
    written = logged | _tables_written_in_source()
    assert {"customer", "visit", "work_order", "app_user"} <= written  # the scan finds them
    declared = set(REGISTRY.entities) | UNREPLICATED
    assert sorted(written - declared) == []
    assert not set(REGISTRY.entities) & UNREPLICATED


def test_every_domain_is_listed_once_and_its_references_resolve():
    from server.domain import load

    names = [domain.name for domain in DOMAINS]
    assert len(names) == len(set(names))
    for domain in DOMAINS:
        for ref in (*domain.blueprints, *domain.cli, *filter(None, [domain.sync])):
            assert load(ref) is not None, (domain.name, ref)


def test_reading_the_list_of_domains_imports_no_views_or_models():
    """Declarations name their parts as strings: labels and scope keys can read the list
    without importing the domains (no import cycles through the hub)."""
    code = "import sys, server.domains; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    packages = {f"server.{p.name}" for p in (ROOT / "server").iterdir() if p.is_dir()}
    allowed = {"server", "server.domain", "server.domains"} | packages
    loaded = [m for m in out if m.startswith("server")]
    assert [m for m in loaded if m not in allowed and not m.endswith(".domain")] == []
