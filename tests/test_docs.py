"""Docs that cannot rot: every sync mutation, entity and error code is in the protocol doc."""

import ast
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


ROOT = DOC.parent.parent
ERROR_CLASSES = {
    "ProtocolError",
    "PermanentError",
    "TransientError",
    "BlobError",
    "DatabaseUnavailable",
}
# Answered by the sync core itself, not through one of the classes above.
CORE_CODES = {
    "internal_error",
    "unknown_mutation",
    "bad_args",
    "epoch_mismatch",
    "gap",
    "mutation_mismatch",
    "missing_token",
    "invalid_token",
    "database_busy",
    "storage_full",
}


def error_codes() -> set[str]:
    """Every code given as the first argument of a sync error in sync/ and server/."""
    codes = set()
    for folder in ("sync", "server"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                first = node.args[0]
                if name in ERROR_CLASSES and isinstance(first, ast.Constant):
                    codes.add(first.value)
    return codes


def test_the_scan_finds_codes():
    """Guards the test below against passing vacuously."""
    assert {"bad_client_id", "illegal_transition", "bad_offset"} <= error_codes()


@pytest.fixture(scope="module")
def code_table() -> set[str]:
    """The codes in backticks in §13, the table of error codes by endpoint."""
    text = DOC.read_text(encoding="utf-8").split("## 13. Error codes by endpoint", 1)[1]
    return set(re.findall(r"`([a-z_]+)`", text.split("\n## ", 1)[0]))


@pytest.mark.parametrize("code", sorted(error_codes() | CORE_CODES))
def test_every_error_code_is_in_the_table(code_table, code):
    assert code in code_table, f"error code {code} is missing from §13 of docs/sync-protocol.md"


# ---- settings and commands: what an operator can set or run is written down -------------


def test_every_setting_is_in_the_operations_guide():
    from server.config import DEFAULTS

    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = [
        key for key in DEFAULTS if f"`{key}`" not in guide and f"FIELDBOOK_{key}`" not in guide
    ]
    assert missing == []


def _commands(group, path=()):
    import click

    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


def test_every_command_has_help_and_is_documented(app):
    docs = "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))
    commands = dict(_commands(app.cli))
    assert len(commands) >= 10  # the walk reaches the groups' commands
    assert [n for n, c in commands.items() if not (c.help or "").strip()] == []
    assert [
        n for n in commands if f"flask --app server {n}" not in docs and f"flask {n}" not in docs
    ] == []
