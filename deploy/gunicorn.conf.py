"""Gunicorn settings for Fieldbook: `make serve` and deploy/fieldbook-web.service run
`gunicorn -c deploy/gunicorn.conf.py`. docs/operations.md, "Production server".

Every number can be changed from the environment (the unit's EnvironmentFile):
GUNICORN_BIND (127.0.0.1:8000), GUNICORN_WORKERS (from the cores), GUNICORN_THREADS (4),
GUNICORN_TIMEOUT (60 s). The app reads its own settings from FIELDBOOK_* as always.

No `preload_app`: each worker imports and builds the app after the fork, and the master never
does, so no SQLite connection is ever opened before a fork (SQLite: a connection must not be
carried into a child process). Connections open per request in the worker (server/db.py).

`kill -HUP <master>` (systemctl reload) re-reads this file and replaces the workers
gracefully: new ones start on the new code, old ones finish their requests (up to
graceful_timeout) and exit.
"""

import os
import shutil
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# ours: two processes per core, at least 2 and at most 8 (SQLite has one writer: beyond a
# few processes more only wait for the lock), each with 4 threads for requests waiting on
# I/O. 4 x 4 on 2 cores is what bench/README.md measured.
wsgi_app = "server:create_app()"
chdir = ROOT
pythonpath = ROOT
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("GUNICORN_WORKERS") or max(2, min(2 * _cores(), 8)))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)  # a worker silent this long is killed
graceful_timeout = 30  # on reload or stop, requests in flight get this long to finish
keepalive = 5  # behind a proxy that reuses its connections
preload_app = False
control_socket_disable = True  # no control socket shared by every gunicorn of the user
# The app's ProxyFix (PROXY_FIX_HOPS) is the one place that believes X-Forwarded-*:
# gunicorn trusts no peer's forwarding headers itself.
forwarded_allow_ips = ""
if os.path.isdir("/dev/shm"):  # noqa: S108 (a RAM folder gunicorn recommends)
    worker_tmp_dir = "/dev/shm"  # noqa: S108 (heartbeat files off the disk)
proc_name = "fieldbook"

# One line per request to stdout (the journal under systemd): client, request line, status,
# body bytes, milliseconds, worker pid, forwarded-for, user agent.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    '%(h)s "%(r)s" %(s)s %(B)s %(M)sms pid=%(p)s xff="%({x-forwarded-for}i)s" "%(a)s"'
)

# prometheus-client's multiprocess mode: every worker counts into its own files in this
# folder and /metrics adds them up. It must be set before a worker imports the app.
OWNED = ".made-by-gunicorn-conf"
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    made = tempfile.mkdtemp(prefix="fieldbook-metrics-")
    with open(os.path.join(made, OWNED), "w"):
        pass
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)


def on_starting(server):
    """A new master: counts of an earlier run start again from zero."""
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.remove(os.path.join(folder, name))


def child_exit(server, worker):
    """A worker exited: its live gauges go (its counters stay, they keep the totals)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, os.environ["PROMETHEUS_MULTIPROC_DIR"])


def on_exit(server):
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    if os.path.exists(os.path.join(folder, OWNED)):
        shutil.rmtree(folder, ignore_errors=True)
