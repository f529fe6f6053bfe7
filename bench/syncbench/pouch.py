"""The peer a team would pick instead: PouchDB Server 4.2 (CouchDB protocol) from npm.

The bench installs it into bench/out/pouchdb (gitignored, never needed by `make test`),
starts it on a free loopback port with its databases on disk (LevelDOWN, the default, not
in-memory) in the bench's temporary directory, and stops its whole process group after.
A device there posts finished documents: one per visit, its follow-ups embedded.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import time

VERSION = "4.2.0"
HOME = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "out", "pouchdb")
BIN = os.path.join(HOME, "node_modules", ".bin", "pouchdb-server")


def installed() -> bool:
    try:
        with open(os.path.join(HOME, "node_modules", "pouchdb-server", "package.json")) as f:
            return json.load(f)["version"] == VERSION and os.path.exists(BIN)
    except (OSError, ValueError, KeyError):
        return False


def install() -> None:
    """npm install the pinned version into bench/out/pouchdb unless it is already there."""
    if installed():
        return
    npm = shutil.which("npm")
    assert npm, "the PouchDB peer needs node and npm (apt-get install nodejs npm)"
    print(f"installing pouchdb-server@{VERSION} into {os.path.relpath(HOME)} (once)")
    os.makedirs(HOME, exist_ok=True)
    subprocess.run(
        [npm, "install", "--prefix", HOME, "--save-exact", "--no-audit", "--no-fund"]
        + ["--loglevel", "error", f"pouchdb-server@{VERSION}"],
        check=True,
    )
    assert installed(), f"npm did not install pouchdb-server@{VERSION} into {HOME}"


def free_port() -> int:
    """A loopback port nobody listens on now (the kernel's pick, never 5000)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != 5000:
            return port


class PouchServer:
    """pouchdb-server in its own process group, data and config under `tmp`."""

    def __init__(self, tmp: str):
        self.dir = os.path.join(tmp, "pouch")
        self.port = free_port()
        self.proc = None
        self.log = os.path.join(self.dir, "stdout.txt")

    def start(self, timeout: float = 60) -> "PouchServer":
        os.makedirs(self.dir, exist_ok=True)
        args = [BIN, "--host", "127.0.0.1", "--port", str(self.port), "--dir", self.dir]
        args += ["--config", os.path.join(self.dir, "config.json"), "--no-stdout-logs"]
        with open(self.log, "wb") as out:
            # cwd: it writes its log.txt there
            self.proc = subprocess.Popen(
                args, cwd=self.dir, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                status, data = self.request("GET", "/")
                if status == 200 and data.get("version") == VERSION:
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                with open(self.log, errors="replace") as f:
                    raise RuntimeError(f"pouchdb-server did not answer: {f.read()[-2000:]}")
            time.sleep(0.2)

    def request(self, method: str, path: str) -> tuple[int, dict]:
        """One request on its own connection (set-up and checks, not timed)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path)
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read() or b"{}")
        finally:
            conn.close()

    def create_db(self, name: str) -> dict:
        status, data = self.request("PUT", f"/{name}")
        assert status == 201 and data.get("ok"), (status, data)
        status, info = self.request("GET", f"/{name}")
        assert status == 200 and info.get("backend_adapter") == "LevelDOWN", info
        return info

    def doc_count(self, name: str) -> int:
        status, info = self.request("GET", f"/{name}")
        assert status == 200, info
        return info["doc_count"]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


def visit_docs(body: dict) -> list[dict]:
    """Fold a push body's mutations into one finished document per visit, as a PouchDB
    device would store it: the fields the five mutations leave, the follow-ups embedded."""
    docs, by_id = [], {}
    for m in body["mutations"]:
        a = m["args"]
        if m["name"] == "visit.check_in":
            doc = {
                "_id": a["id"],
                "type": "visit",
                "customer_id": a["customer_id"],
                "status": "in_progress",
                "purpose": a["purpose"],
                "check_in_at": a["at"],
                "check_in_device_at": m["device_time"],
                "check_in_lat": a["lat"],
                "check_in_lon": a["lon"],
                "check_in_accuracy": a["accuracy"],
                "contacts_met": [],
                "notes": "",
                "feedback": "",
                "satisfaction": None,
                "follow_ups": [],
            }
            by_id[a["id"]] = doc
            docs.append(doc)
        elif m["name"] == "visit.update":
            by_id[a["id"]].update(a["fields"])
        elif m["name"] == "visit.add_follow_up":
            up = {k: a[k] for k in ("id", "action", "due_date")}
            by_id[a["visit_id"]]["follow_ups"].append(up | {"done_at": None})
        elif m["name"] == "visit.check_out":
            by_id[a["id"]].update(
                status="completed",
                check_out_at=a["at"],
                check_out_device_at=m["device_time"],
                check_out_lat=a["lat"],
                check_out_lon=a["lon"],
                check_out_accuracy=a["accuracy"],
            )
        else:
            raise AssertionError(f"no document rule for {m['name']}")
    return docs
