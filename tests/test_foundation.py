"""The app factory, migrations from empty, health check, sign-in basics."""

from server.db import connect
from server.migrations import migrations, schema_version, upgrade


def test_migrations_from_empty(tmp_path):
    db = connect(str(tmp_path / "empty.db"))
    applied = upgrade(db)
    assert applied == [m.name for m in migrations._migrations]
    assert schema_version(db) == applied[-1]
    assert upgrade(db) == []  # a second run applies nothing
    pragmas = {
        p: db.execute(f"PRAGMA {p}").fetchone()[0]
        for p in ("journal_mode", "foreign_keys", "synchronous")
    }
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "synchronous": 2}
    assert db.execute("SELECT value FROM meta WHERE key='server_epoch'").fetchone()[0]


def test_healthz(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["schema_version"].startswith("m0")


def test_login_and_home(tree, auth, client):
    assert client.get("/").status_code == 302
    assert auth.login("am1").status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "用户" in page
