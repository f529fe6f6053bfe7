"""Backup and restore: a checked online copy, a restore that moves the server epoch."""

import sqlite3
from pathlib import Path

import pytest

from server import ops
from server.db import connect
from server.migrations import migrations
from tests import factories


def _epoch(path) -> str:
    db = connect(str(path))
    try:
        return db.execute("SELECT value FROM meta WHERE key = 'server_epoch'").fetchone()[0]
    finally:
        db.conn.close()


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=[str(a) for a in args])


@pytest.fixture
def backed_up(app, tree, db, cli, tmp_path):
    """A database with data, backed up to a file."""
    factories.make_customer(db, tree["T1"], tree["am1"])
    factories.make_site(db, tree["T1"], tree["K"])
    path = tmp_path / "backup.db"
    result = cli("backup", path)
    assert result.exit_code == 0, result.output
    return path, result


def test_backup_is_checked_and_counts_rows(app, backed_up):
    path, result = backed_up
    assert "integrity ok" in result.output
    assert "customer" in result.output and "app_user" in result.output
    assert ops.integrity(path) == "ok"
    counts = ops.row_counts(path)
    assert counts["customer"] == 1 and counts["app_user"] == 8
    assert counts == ops.row_counts(app.config["DATABASE"])
    assert not path.with_name(path.name + "-wal").exists()  # one self-contained file


def test_backup_refuses_to_overwrite(backed_up, cli):
    path, _ = backed_up
    result = cli("backup", path)
    assert result.exit_code != 0 and "already exists" in result.output


def test_backup_fails_loudly_when_the_copy_is_broken(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(ops, "integrity", lambda path: "*** in database main *** page 3: bad")
    result = cli("backup", tmp_path / "broken.db")
    assert (
        result.exit_code != 0 and "integrity check" in result.output and "page 3" in result.output
    )


def test_restore_goes_back_in_time(app, tree, db, backed_up, cli):
    path, _ = backed_up
    live = app.config["DATABASE"]
    epoch_before = _epoch(live)
    late = factories.make_customer(db, tree["T2"], tree["am2"])  # written after the backup
    result = cli("restore", path, "--yes")
    assert result.exit_code == 0, result.output
    assert "server epoch" in result.output
    after = connect(live)
    try:
        assert (
            after.execute("SELECT id FROM customer WHERE id = ?", [late["id"]]).fetchone() is None
        )
        assert after.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        after.conn.close()
    assert ops.row_counts(live) == ops.row_counts(path)
    assert ops.integrity(live) == "ok"
    assert _epoch(live) not in (epoch_before, _epoch(path))


def test_restore_refuses_without_yes_when_not_a_terminal(app, tree, db, backed_up, cli):
    path, _ = backed_up
    late = factories.make_customer(db, tree["T2"], tree["am2"])
    epoch = _epoch(app.config["DATABASE"])
    result = cli("restore", path)
    assert result.exit_code != 0
    assert "would replace" in result.output and "without --yes" in result.output
    assert db.execute("SELECT id FROM customer WHERE id = ?", [late["id"]]).fetchone()
    assert _epoch(app.config["DATABASE"]) == epoch


def test_restore_refuses_a_corrupt_file(app, tree, cli, tmp_path):
    bad = tmp_path / "garbage.db"
    bad.write_bytes(b"this is not a database at all" * 200)
    result = cli("restore", bad, "--yes")
    assert result.exit_code != 0 and "not an intact SQLite database" in result.output
    assert ops.row_counts(app.config["DATABASE"])["app_user"] == 8


def test_restore_refuses_a_database_that_is_not_fieldbook(app, tree, cli, tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    with conn:
        conn.execute("CREATE TABLE app_user (id TEXT)")
    conn.close()
    result = cli("restore", other, "--yes")
    assert result.exit_code != 0 and "not a Fieldbook database" in result.output
    assert ops.row_counts(app.config["DATABASE"])["app_user"] == 8


def test_restore_refuses_a_missing_file(cli, tmp_path):
    result = cli("restore", tmp_path / "nowhere.db", "--yes")
    assert result.exit_code != 0 and "no backup file" in result.output


def test_restore_runs_migrations_the_backup_lacks(app, backed_up, cli, monkeypatch):
    path, _ = backed_up

    def m999_probe(db):
        db.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY)")

    probe = migrations._Migration("m999_probe", m999_probe, True)
    monkeypatch.setattr(migrations, "_migrations", [*migrations._migrations, probe])
    result = cli("restore", path, "--yes")
    assert result.exit_code == 0, result.output
    assert "migrations applied: 1" in result.output
    assert "probe" in ops.row_counts(app.config["DATABASE"])


def test_operations_doc_names_every_command(app):
    """docs/operations.md mentions every `flask --app server` command (datasette's test_docs)."""
    doc = (Path(__file__).parent.parent / "docs" / "operations.md").read_text()
    commands = []
    for name, command in app.cli.commands.items():
        subcommands = getattr(command, "commands", {})
        commands += [f"{name} {sub}" for sub in subcommands] or [name]
    assert {"db upgrade", "seed-demo", "demo-logins", "backup", "restore"} <= set(commands)
    missing = [c for c in commands if f"flask --app server {c}" not in doc]
    assert not missing, f"undocumented commands: {missing}"
