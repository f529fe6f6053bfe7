"""`gunicorn -c deploy/gunicorn.conf.py` with 2 workers against a real SQLite file: both
workers answer concurrent requests, the master never opens the database (no preload, no
connection across a fork), and /metrics adds up every worker's counts (multiprocess mode)."""

import os
from concurrent.futures import ThreadPoolExecutor

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.served import BIN, ROOT, free_port, running, server_env, worker_pids, world


def healthz_total(port: int) -> float:
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if (
                sample.name == "fieldbook_http_requests_total"
                and labels.get("endpoint") == "/healthz"
                and labels.get("status") == "200"
            ):
                return sample.value
    return 0.0


def test_two_workers_serve_concurrently_and_the_master_holds_no_database(tmp_path):
    made = world(tmp_path)
    port = free_port()
    env = server_env(tmp_path, made["database"], port, workers=2)
    log = tmp_path / "gunicorn.log"
    command = [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
    with running(command, env, log, port) as master:

        def hit(_):
            # A new connection each time, so the kernel may hand it to either worker.
            return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()

        answers = []
        with ThreadPoolExecutor(16) as pool:
            for _round in range(10):
                answers += list(pool.map(hit, range(32)))
                if len(worker_pids(log)) == 2:
                    break
        assert {a["status"] for a in answers} == {"ok"}
        assert len(worker_pids(log)) == 2, log.read_text()[-2000:]

        fds = [
            os.readlink(f"/proc/{master.pid}/fd/{fd}")
            for fd in os.listdir(f"/proc/{master.pid}/fd")
        ]
        assert not [fd for fd in fds if fd.startswith(made["database"])], fds

        served = sum(1 for line in log.read_text().splitlines() if '"GET /healthz' in line)
        assert healthz_total(port) == served  # both workers' counts, added up
