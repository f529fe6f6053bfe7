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
        client = HttpClient(port)
        assert client.get("/healthz").get_json()["status"] == "ok"
        dev = Device(client, "am1", factories.PASSWORD)
        dev.pull()
        status, body = dev.push([check_in(dev, made["customer"])])
        assert status == 200 and body["results"][0]["status"] == "applied", body
        dev.pull()
        assert len(dev.entities("visit")) == 1
    assert "Traceback" not in log.read_text()


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
