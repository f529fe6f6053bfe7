"""The counters /metrics exposes (server/system/views.py), and the request hooks that feed them.

Counters live in prometheus-client's default registry. Under gunicorn, deploy/gunicorn.conf.py
sets PROMETHEUS_MULTIPROC_DIR before any worker imports this, so each worker process writes
its counts to its own file there and a scrape adds up every worker's (multiprocess mode).
The gauges (sizes, devices, jobs) are not kept here: they are read from the database and
the disk at scrape time (server/system/model.py), so every worker answers the same.

Labels are bounded: the endpoint is the URL rule (`/api/blobs/<sha>`), never the raw path;
an unknown method counts as `other`, an unmatched path as `unmatched`.
"""

import time

from flask import Flask, g, request
from prometheus_client import Counter, Histogram

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
BUSY_STATUSES = {429: "http_429", 503: "http_503"}

REQUESTS = Counter(
    "fieldbook_http_requests",
    "HTTP requests answered, by URL rule, method and status.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "fieldbook_http_request_duration_seconds",
    "Time from the request's start to its response, by URL rule.",
    ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
BUSY = Counter(
    "fieldbook_busy_answers",
    "Answers telling a client to come back later: 503, 429, and stopped pushes.",
    ["reason"],
)
PUSHES = Counter("fieldbook_sync_pushes", "Sync pushes answered, by HTTP status.", ["status"])
MUTATIONS = Counter(
    "fieldbook_sync_mutations",
    "Mutations in push answers, by outcome (applied, rejected, held, duplicate).",
    ["outcome"],
)
PULL_PAGES = Counter("fieldbook_sync_pull_pages", "Sync pull pages answered.", ["status"])
BLOB_BYTES = Counter(
    "fieldbook_blob_bytes", "Photo and signature bytes received or sent.", ["direction"]
)


def observe_push(status: int, body: dict) -> None:
    """Count one push's answer: its mutations by outcome, and a stop for a busy database."""
    PUSHES.labels(str(status)).inc()
    for result in body.get("results") or ():
        MUTATIONS.labels(str(result.get("status"))).inc()
    stopped = body.get("stopped")
    if isinstance(stopped, dict):
        # push_database_busy or push_storage_full
        BUSY.labels(f"push_{stopped.get('code') or 'stopped'}").inc()


def observe_pull(status: int) -> None:
    PULL_PAGES.labels(str(status)).inc()


def observe_blob(direction: str, size: int) -> None:
    """Bytes of a photo chunk received (`in`) or a finished file sent (`out`)."""
    BLOB_BYTES.labels(direction).inc(max(0, int(size)))


def _started() -> None:
    g.metrics_started = time.perf_counter()


def _answered(response):
    rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
    method = request.method if request.method in METHODS else "other"
    REQUESTS.labels(rule, method, str(response.status_code)).inc()
    started = g.get("metrics_started")
    if started is not None:
        LATENCY.labels(rule).observe(time.perf_counter() - started)
    if response.status_code in BUSY_STATUSES:
        BUSY.labels(BUSY_STATUSES[response.status_code]).inc()
    return response


def init_app(app: Flask) -> None:
    app.before_request(_started)
    app.after_request(_answered)
