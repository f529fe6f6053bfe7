"""A busy or full database is transient: the push answers `stopped` with a retry time,
nothing of it is half-written, and the same batch sent again applies exactly once."""

import sqlite3

import pytest

import server.db
from sync.registry import MutationSpec
from tests import factories
from tests.device import Device, check_in, count

SHORT = tuple(p for p in server.db.PRAGMAS if "busy_timeout" not in p) + (
    "PRAGMA busy_timeout=150",
)


@pytest.fixture
def field(db, tree, monkeypatch):
    monkeypatch.setattr(server.db, "PRAGMAS", SHORT)  # wait 150 ms, not 5 s, for the lock
    t = dict(tree)
    t["cust1"] = factories.make_customer(db, t["T1"], t["am1"], lat=30.2741, lon=120.1551)
    return t


def ready(client, db) -> Device:
    """A device that has synced once, whose token needs no bookkeeping write for a while."""
    dev = Device(client, "am1", factories.PASSWORD)
    dev.pull()
    db.execute("UPDATE api_token SET last_used_at = '9999-12-31T00:00:00.000Z'")
    return dev


def written(db, dev) -> tuple:
    last = db.execute(
        "SELECT last_mutation_id FROM sync_client WHERE client_id = ?", [dev.client_id]
    ).fetchone()[0]
    return count(db, "visit"), count(db, "mutation_log"), last


class Locker:
    """A second connection that holds SQLite's write lock, as another busy writer would."""

    def __init__(self, path):
        self.conn = sqlite3.connect(path, isolation_level=None)

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc):
        self.conn.execute("ROLLBACK")
        self.conn.close()


def test_a_push_meeting_a_held_write_lock_is_stopped_and_the_retry_applies_once(
    app, client, db, field
):
    dev = ready(client, db)
    batch = [check_in(dev, field["cust1"]) for _ in range(3)]
    with Locker(app.config["DATABASE"]):
        status, body = dev.push(batch)
        assert status == 200, body
        assert body["stopped"]["code"] == "database_busy" and body["stopped"]["id"] == 1
        assert body["stopped"]["retry_after"] > 0
        assert body["results"] == [] and body["last_mutation_id"] == 0
    assert written(db, dev) == (0, 0, 0)
    status, body = dev.push(batch)  # after release: the same batch again
    assert status == 200 and "stopped" not in body
    assert [r["status"] for r in body["results"]] == ["applied"] * 3
    status, body = dev.push(batch)
    assert [r["status"] for r in body["results"]] == ["duplicate"] * 3
    assert written(db, dev) == (3, 3, 3)


def test_a_pull_is_not_failed_by_a_held_write_lock(app, client, db, field):
    dev = ready(client, db)
    dev.push([check_in(dev, field["cust1"])])
    dev.cursor = None
    with Locker(app.config["DATABASE"]):
        body = dev.pull()  # the page is read; only its bookkeeping (last_pull_at) waits
    assert len(dev.entities("visit")) == 1 and body["last_mutation_id"] == 1


def failing_connection(fail: dict):
    """server.db.connect, on a connection whose statements starting with a key fail."""

    class Faulty(sqlite3.Connection):
        def _check(self, sql):
            for start, message in fail.items():
                if sql.lstrip().upper().startswith(start):
                    raise sqlite3.OperationalError(message)

        def execute(self, sql, *args):
            self._check(sql)
            return super().execute(sql, *args)

        def executemany(self, sql, *args):  # the push writes its mutation log rows at once
            self._check(sql)
            return super().executemany(sql, *args)

    def connect(path, busy_timeout_ms=5000):
        timeout = busy_timeout_ms / 1000
        conn = sqlite3.connect(path, timeout=timeout, check_same_thread=False, factory=Faulty)
        conn.row_factory = sqlite3.Row
        conn.isolation_level = None
        for pragma in server.db.PRAGMAS:
            conn.execute(pragma)
        return server.db.Database(conn)

    return connect


@pytest.mark.parametrize(
    ("statement", "message", "code"),
    [
        ("COMMIT", "database is locked", "database_busy"),
        ("UPDATE SYNC_CLIENT SET LAST_MUTATION_ID", "database or disk is full", "storage_full"),
        ("INSERT INTO MUTATION_LOG", "database is locked", "database_busy"),
    ],
)
def test_busy_or_full_late_in_the_push_rolls_it_all_back(
    app, client, db, field, monkeypatch, statement, message, code
):
    dev = ready(client, db)
    batch = [check_in(dev, field["cust1"]) for _ in range(2)]
    monkeypatch.setattr(server.db, "connect", failing_connection({statement: message}))
    app.config["DATABASE_KEEP_CONNECTIONS"] = False  # each request opens the faulty one
    status, body = dev.push(batch)
    assert status == 200 and body["stopped"]["code"] == code, body
    assert body["stopped"]["id"] == 1 and body["results"] == []
    assert written(db, dev) == (0, 0, 0)
    monkeypatch.undo()
    status, body = dev.push(batch)
    assert [r["status"] for r in body["results"]] == ["applied"] * 2
    assert written(db, dev) == (2, 2, 2)


def test_busy_inside_a_handler_stops_the_whole_push(app, client, db, field, monkeypatch):
    registry = app.extensions["sync_registry"]
    spec = registry.mutations["visit.check_in"]
    calls = []

    def flaky(ctx, args):
        calls.append(1)
        if len(calls) == 2:
            raise sqlite3.OperationalError("database is locked")
        return spec.apply(ctx, args)

    monkeypatch.setitem(registry.mutations, spec.name, MutationSpec(spec.name, flaky, spec.doc))
    dev = ready(client, db)
    batch = [check_in(dev, field["cust1"]) for _ in range(3)]
    status, body = dev.push(batch)
    assert status == 200 and body["stopped"] == {
        "id": 1,
        "code": "database_busy",
        "retry_after": 2,
    }
    assert written(db, dev) == (0, 0, 0)
    status, body = dev.push(batch)
    assert [r["status"] for r in body["results"]] == ["applied"] * 3


def test_a_handler_sql_error_that_is_not_busy_is_a_rejection_not_a_stop(
    app, client, db, field, monkeypatch
):
    """Only busy and full are transient: any other SQL error is the handler's bug."""
    registry = app.extensions["sync_registry"]
    spec = registry.mutations["visit.check_in"]

    def broken(ctx, args):
        raise sqlite3.OperationalError("no such column: oops")

    monkeypatch.setitem(registry.mutations, spec.name, MutationSpec(spec.name, broken, spec.doc))
    dev = ready(client, db)
    status, body = dev.push([check_in(dev, field["cust1"])])
    assert status == 200 and "stopped" not in body
    assert body["results"][0]["result"]["code"] == "internal_error"
