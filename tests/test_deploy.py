"""deploy/: the systemd units parse and name the right commands, and the web unit's own
command (its ExecStartPre, then its ExecStart, with /srv/fieldbook being this checkout)
serves /healthz, a push and a pull on loopback against a fresh database."""

import re
import shlex
import subprocess
from pathlib import Path

from tests import factories
from tests.device import Device, check_in
from tests.served import BIN, ROOT, HttpClient, free_port, running, server_env, world

DEPLOY = ROOT / "deploy"
PREFIX = "/srv/fieldbook"
UNITS = ("fieldbook-web.service", "fieldbook-jobs.service", "fieldbook-litestream.service")


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {key: [values]}} (systemd allows a key more than once)."""
    found, section = {}, None
    for raw in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if re.fullmatch(r"\[[A-Za-z]+\]", line):
            section = found.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        assert sep and section is not None, f"{name}: not a unit line: {raw}"
        section.setdefault(key.strip(), []).append(value.strip())
    return found


def here(command: str, venv_bin: Path) -> list[str]:
    """A unit's command line as it runs from this checkout and this virtualenv."""
    words = shlex.split(command)
    words[0] = str(venv_bin / Path(words[0]).name)
    return [w.replace(PREFIX, str(ROOT)) for w in words]


def test_units_parse_and_run_the_documented_commands():
    for name in UNITS:
        parsed = unit(name)
        assert set(parsed) == {"Unit", "Service", "Install"}, name
        service = parsed["Service"]
        assert service["User"] == ["fieldbook"] and service["WorkingDirectory"] == [PREFIX]
        assert service["EnvironmentFile"] == ["/etc/fieldbook/fieldbook.env"]
    web = unit("fieldbook-web.service")["Service"]
    assert web["ExecStart"] == [f"{PREFIX}/.venv/bin/gunicorn -c {PREFIX}/deploy/gunicorn.conf.py"]
    assert web["ExecReload"] == ["/bin/kill -s HUP $MAINPID"]  # gunicorn's graceful reload
    jobs = unit("fieldbook-jobs.service")["Service"]
    assert jobs["ExecStart"] == [f"{PREFIX}/.venv/bin/flask --app server jobs"]
    litestream = unit("fieldbook-litestream.service")["Service"]
    assert litestream["ExecStart"] == [
        f"{PREFIX}/.venv/bin/litestream replicate -config {PREFIX}/deploy/litestream.yml"
    ]
    env_keys = {
        line.split("=", 1)[0].lstrip("# ")
        for line in (DEPLOY / "fieldbook.env.example").read_text().splitlines()
        if "=" in line
    }
    assert {"FIELDBOOK_DATABASE", "FIELDBOOK_PROXY_FIX_HOPS", "FIELDBOOK_LITESTREAM"} <= env_keys


def test_proxy_limits_match_the_app():
    from server.config import DEFAULTS

    conf = (DEPLOY / "nginx-fieldbook.conf").read_text()
    limits = dict(re.findall(r"client_max_body_size (\w+);\s+# (\w+)", conf))
    size = {"m": 1024 * 1024, "k": 1024}
    in_bytes = {key: int(v[:-1]) * size[v[-1]] for v, key in limits.items()}
    assert in_bytes == {
        key: DEFAULTS[key]
        for key in ("MAX_CONTENT_LENGTH", "PUSH_MAX_BYTES", "BLOB_REQUEST_MAX_BYTES")
    }
    assert "Strict-Transport-Security" in conf and "location = /m/sw.js" in conf


def _push_and_pull(port: int, customer: dict) -> None:
    """/healthz, then a phone's check-in pushed and pulled back through the server."""
    client = HttpClient(port)
    assert client.get("/healthz").get_json()["status"] == "ok"
    dev = Device(client, "am1", factories.PASSWORD)
    dev.pull()
    status, body = dev.push([check_in(dev, customer)])
    assert status == 200 and body["results"][0]["status"] == "applied", body
    dev.pull()
    assert len(dev.entities("visit")) == 1


def test_the_web_unit_serves_a_push_and_a_pull(tmp_path):
    made = world(tmp_path)
    port = free_port()
    env = server_env(tmp_path, made["database"], port)
    service = unit("fieldbook-web.service")["Service"]
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "run" / "metrics")  # RuntimeDirectory
    for pre in service["ExecStartPre"]:
        subprocess.run(here(pre, BIN), cwd=ROOT, env=env, check=True, capture_output=True)
    log = tmp_path / "web.log"
    with running(here(service["ExecStart"][0], BIN), env, log, port):
        _push_and_pull(port, made["customer"])
    assert "Traceback" not in log.read_text()


def test_the_three_units_run_together(tmp_path):
    """web, jobs and litestream exactly as their units start them, on one database: a push
    through gunicorn reaches the replica, and the jobs process's replication check reads it
    there and mirrors the photo store (only that job is on, every second)."""
    import json
    import sqlite3
    import time

    made = world(tmp_path)
    port = free_port()
    env = server_env(tmp_path, made["database"], port) | {
        "FIELDBOOK_LITESTREAM": "1",  # as in production: Litestream checkpoints, not the app
        "FIELDBOOK_LITESTREAM_REPLICA_URL": (tmp_path / "replica").as_uri(),
        "FIELDBOOK_LITESTREAM_SYNC_INTERVAL": "1s",
        "FIELDBOOK_BLOB_REPLICA": str(tmp_path / "blob-replica"),
        "FIELDBOOK_JOBS_SCHEDULE": json.dumps(
            {"*": "off", "replication": {"trigger": "interval", "seconds": 1}}
        ),
    }
    units = {name: unit(f"fieldbook-{name}.service")["Service"] for name in ("web", "jobs")}
    litestream_unit = unit("fieldbook-litestream.service")["Service"]
    for pre in units["web"]["ExecStartPre"]:
        subprocess.run(here(pre, BIN), cwd=ROOT, env=env, check=True, capture_output=True)
    logs = {name: tmp_path / f"{name}.log" for name in ("web", "jobs", "litestream")}
    side = {}
    try:
        for name, command in (
            ("litestream", litestream_unit["ExecStart"][0]),
            ("jobs", units["jobs"]["ExecStart"][0]),
        ):
            with logs[name].open("w") as out:
                side[name] = subprocess.Popen(
                    here(command, BIN), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
                )
        with running(here(units["web"]["ExecStart"][0], BIN), env, logs["web"], port):
            _push_and_pull(port, made["customer"])
            pushed = time.time()
            deadline = pushed + 30
            ok = None
            while ok is None and time.time() < deadline:
                for proc in side.values():
                    assert proc.poll() is None, {n: p.read_text() for n, p in logs.items()}
                with sqlite3.connect(made["database"]) as conn:
                    ok = conn.execute(
                        "SELECT counts FROM job_run WHERE job = 'replication' AND outcome = 'ok'"
                        " AND finished_at > strftime('%Y-%m-%dT%H:%M:%fZ', ?, 'unixepoch')"
                        " ORDER BY id DESC LIMIT 1",
                        [pushed + 1.5],  # a check after the push was surely replicated
                    ).fetchone()
                time.sleep(0.3)
            assert ok is not None, {n: p.read_text()[-2000:] for n, p in logs.items()}
            counts = json.loads(ok[0])
            assert counts["replica_txid"] >= 1 and counts["lag_seconds"] <= 2, counts
    finally:
        for proc in side.values():
            proc.terminate()
            proc.wait(timeout=30)
    assert "Traceback" not in logs["web"].read_text() + logs["jobs"].read_text()


def test_create_admin_makes_the_first_organisation_and_admin(app, db):
    run = app.test_cli_runner().invoke
    args = ["create-admin", "root", "--name", "管理员", "--org-code", "ZJ"]
    refused = run(args=[*args, "--password", "correct horse battery"])
    assert refused.exit_code != 0 and "give --org-name" in refused.output
    made = run(args=[*args, "--org-name", "浙江省公司", "--password", "correct horse battery"])
    assert made.exit_code == 0, made.output
    user = db.execute(
        "SELECT u.role, o.kind, o.code FROM app_user u JOIN org o ON o.id = u.org_id"
        " WHERE u.username = 'root'"
    ).fetchone()
    assert tuple(user) == ("admin", "province", "ZJ")
    weak = run(
        args=["create-admin", "r2", "--name", "x", "--org-code", "ZJ", "--password", "password"]
    )
    assert weak.exit_code != 0 and "password_too_common" in weak.output
    assert db.execute("SELECT count(*) FROM app_user").fetchone()[0] == 1
