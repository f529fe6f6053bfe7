"""Gunicorn as deployed, in a test: a fresh database with users, the server started as its own
process on a free loopback port, and an HTTP client tests/device.py's Device can drive.

Used by tests/test_serve.py and tests/test_deploy.py.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from server.db import connect
from server.migrations import upgrade
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PID = re.compile(r"pid=<(\d+)>")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def world(tmp_path) -> dict:
    """A migrated database with an account manager and a customer of theirs."""
    path = str(tmp_path / "fieldbook.db")
    db = connect(path)
    upgrade(db)
    tree = factories.make_org_tree(db)
    am = factories.make_user(db, tree["T1"], "account_manager", username="am1")
    customer = factories.make_customer(db, tree["T1"], am, lat=30.2741, lon=120.1551)
    db.conn.close()
    return {"database": path, "customer": customer}


def server_env(tmp_path, database: str, port: int, workers: int = 2) -> dict:
    """The environment of a deployed server, pointed at tmp_path (no FIELDBOOK_* of ours)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIELDBOOK_", "GUNICORN_"))}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env | {
        "FIELDBOOK_DATABASE": database,
        "FIELDBOOK_BLOB_DIR": str(tmp_path / "blobs"),
        "FIELDBOOK_SECRET_KEY": "gunicorn-test",
        "FIELDBOOK_SESSION_COOKIE_SECURE": "0",
        "FIELDBOOK_LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }


@contextmanager
def running(command: list[str], env: dict, log: Path, port: int, cwd=ROOT):
    """Start the command, wait for /healthz on the port, yield the process; stop it (TERM)."""
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def worker_pids(log: Path) -> set[str]:
    """The worker pids the access log names (one line per request, `pid=<n>`)."""
    return set(PID.findall(log.read_text()))


class Answer:
    def __init__(self, resp: requests.Response):
        self.status_code, self.headers, self.resp = resp.status_code, resp.headers, resp

    def get_json(self):
        return self.resp.json()

    def get_data(self, as_text=False):
        return self.resp.text if as_text else self.resp.content


class HttpClient:
    """The part of Flask's test client tests/device.py uses, over real HTTP."""

    def __init__(self, port: int):
        self.base, self.session = f"http://127.0.0.1:{port}", requests.Session()

    def post(self, path, json=None, headers=None):
        return Answer(self.session.post(self.base + path, json=json, headers=headers, timeout=30))

    def get(self, path, headers=None):
        return Answer(self.session.get(self.base + path, headers=headers, timeout=30))
