"""Docs that cannot rot: every sync mutation and entity is documented in the protocol doc."""

import re
from pathlib import Path

import pytest

from server.sync_api.registry import build_registry

DOC = Path(__file__).resolve().parent.parent / "docs" / "sync-protocol.md"
REGISTRY = build_registry()


@pytest.fixture(scope="module")
def documented() -> set[str]:
    """Every `name` written in backticks in docs/sync-protocol.md."""
    return set(re.findall(r"`([^`\n]+)`", DOC.read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", sorted(REGISTRY.mutations))
def test_every_mutation_is_documented(documented, name):
    assert name in documented, f"mutation {name} is missing from docs/sync-protocol.md"


@pytest.mark.parametrize("name", sorted(REGISTRY.entities))
def test_every_entity_is_documented(documented, name):
    assert name in documented, f"entity {name} is missing from docs/sync-protocol.md"


def test_the_registry_is_not_empty():
    """Guards the two tests above against passing vacuously."""
    assert "visit.check_in" in REGISTRY.mutations and "visit" in REGISTRY.entities


def test_every_column_a_device_receives_is_documented(documented, db):
    """A column added to a replicated table must be described for client writers."""
    missing = []
    for spec in REGISTRY.entities.values():
        names = [r[1] for r in db.execute(f"PRAGMA table_info([{spec.table}])").fetchall()]
        missing += [f"{spec.name}.{c}" for c in names if c not in spec.exclude + tuple(documented)]
    assert missing == [], "columns missing from docs/sync-protocol.md"
