"""The app under test in its own process, so the load generator never shares its GIL.

`dev`: werkzeug's threaded development server (what `make run` uses). `gunicorn`: the
WSGI server of a deployment, gthread workers (or sync workers with threads=1). Both bind
127.0.0.1 on a free port and read their configuration from FIELDBOOK_* variables.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
FRAME = re.compile(
    r'File "' + re.escape(ROOT) + r'/((?:server|sync)/[^"]+)", line (\d+), in (\w+)'
)
CHAINED = ("The above exception was the direct cause", "During handling of the above exception")
ERROR = re.compile(r"^[\w.]+(Error|Exception|Unavailable)\b")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(tmp: str, db_path: str) -> dict:
    """The app's settings for a bench run (cookies over plain http on loopback).

    Every client comes from 127.0.0.1, so the per-address sign-in limit is raised, as
    docs/operations.md advises behind a proxy: the benches measure the database, not it.
    """
    return {
        "FIELDBOOK_DATABASE": db_path,
        "FIELDBOOK_BLOB_DIR": os.path.join(tmp, "blobs"),
        "FIELDBOOK_SECRET_KEY": "bench-secret",
        "FIELDBOOK_SESSION_COOKIE_SECURE": "false",
        "FIELDBOOK_REMEMBER_COOKIE_SECURE": "false",
        "FIELDBOOK_LOGIN_RATE_LIMIT": "1000000 per minute",
        "FIELDBOOK_LOG_LEVEL": "WARNING",
    }


class AppServer:
    """Start the app in a subprocess, wait for /healthz, stop it (SIGTERM, then SIGKILL)."""

    def __init__(self, kind: str, env: dict, log_path: str, workers=4, threads=4, port=0):
        self.kind, self.env, self.log_path = kind, env, log_path
        self.workers, self.threads = workers, threads
        self.port = port or free_port()
        self.proc = None

    def describe(self) -> str:
        if self.kind == "dev":
            return "werkzeug development server (threaded), own process"
        klass = "gthread" if self.threads > 1 else "sync"
        return f"gunicorn {self.workers} {klass} workers × {self.threads} threads"

    def command(self) -> list[str]:
        if self.kind == "dev":
            return [sys.executable, os.path.join(ROOT, "bench", "loadbench", "devserver.py")] + [
                str(self.port)
            ]
        return [
            os.path.join(BIN, "gunicorn"),
            *("--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers)),
            *("--worker-class", "gthread" if self.threads > 1 else "sync"),
            *("--threads", str(self.threads), "--timeout", "120", "--graceful-timeout", "10"),
            *("--no-control-socket", "--chdir", ROOT, "server.wsgi:app"),
        ]

    def start(self) -> "AppServer":
        env = os.environ | self.env | {"PYTHONPATH": ROOT}
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            self.command(), cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: see {self.log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not answer /healthz within 60 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.log.close()

    def log_counts(self) -> dict:
        """Errors the server logged: tracebacks (a chain of exceptions counts once), those of
        a locked or busy database, and where each left the project's code (its last frame in
        server/ or sync/) with its exception."""
        with open(self.log_path, errors="replace") as fh:
            text = fh.read()
        origins: dict[str, int] = {}
        tracebacks = locked = 0
        for block in text.split("Traceback (most recent call last):")[1:]:
            if any(link in block for link in CHAINED):
                continue  # the cause of the next traceback: that one is the answer's
            frames = FRAME.findall(block)
            where = f"{frames[-1][0]}:{frames[-1][1]} {frames[-1][2]}" if frames else "?"
            error = next((ln for ln in block.splitlines() if ERROR.match(ln)), "?").strip()
            key = f"{where}: {error[:80]}"
            origins[key] = origins.get(key, 0) + 1
            tracebacks += 1
            locked += "database is locked" in error or "database is busy" in error
        return {"tracebacks": tracebacks, "locked": locked, "origins": origins}

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def log_delta(before: dict, now: dict) -> dict:
    """What the server logged between two log_counts()."""
    origins = {
        k: n - before["origins"].get(k, 0)
        for k, n in now["origins"].items()
        if n > before["origins"].get(k, 0)
    }
    return {
        "tracebacks": now["tracebacks"] - before["tracebacks"],
        "locked": now["locked"] - before["locked"],
        "origins": origins,
    }
