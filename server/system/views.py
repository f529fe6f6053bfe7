"""/metrics in Prometheus' text format, and the admin's System page (/admin/system).

/metrics answers only addresses in METRICS_ALLOW (loopback by default) or a request with
`Authorization: Bearer <METRICS_TOKEN>`; anyone else gets 404, as if there were no such
page. When PROXY_FIX_HOPS is 0, a request carrying X-Forwarded-For came through a proxy the
app does not believe, so its (proxy's) address lets nobody in: only the token does.
"""

import hmac
import ipaddress
import os
from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, request
from flask_babel import format_timedelta
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from ..db import get_db
from ..web import render, roles_required
from . import model, wal

bp = Blueprint("system", __name__)


def multiprocess_dir() -> str | None:
    """The folder gunicorn's workers count into (deploy/gunicorn.conf.py), if any."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


def may_scrape() -> bool:
    config = current_app.config
    token = config.get("METRICS_TOKEN")
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer "):
        if hmac.compare_digest(sent.removeprefix("Bearer ").encode(), str(token).encode()):
            return True
    if not config["PROXY_FIX_HOPS"] and "X-Forwarded-For" in request.headers:
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(net) for net in config["METRICS_ALLOW"])


class _Counted:
    """This process's counters (server/metrics.py) when no multiprocess folder is set."""

    def collect(self):
        return REGISTRY.collect()


class _Gauges:
    """The figures read at scrape time (server/system/model.py) as gauges."""

    def __init__(self, facts: dict):
        self.facts = facts

    def collect(self):
        f = self.facts
        info = GaugeMetricFamily(
            "fieldbook_info", "Versions of the app, schema and SQLite.", labels=["app", "schema"]
        )
        info.add_metric([f["versions"]["app"], str(f["versions"]["schema"])], 1)
        yield info
        storage, wal, sync = f["storage"], f["wal"], f["sync"]
        yield _gauge(
            "fieldbook_database_bytes", "Size of the SQLite file.", storage["database_bytes"]
        )
        yield _gauge("fieldbook_wal_bytes", "Size of the -wal file.", wal["wal_bytes"])
        yield _gauge("fieldbook_wal_warn_bytes", "WAL_WARN_BYTES.", wal["warn_bytes"])
        last = wal["last_checkpoint"]
        if last is not None:
            yield _gauge(
                "fieldbook_wal_checkpoint_busy",
                "1: the last checkpoint was blocked.",
                last["busy"],
            )
            frames = GaugeMetricFamily(
                "fieldbook_wal_checkpoint_frames",
                "Frames in the WAL at the last checkpoint, and how many it copied back.",
                labels=["kind"],
            )
            frames.add_metric(["log"], last["log_frames"])
            frames.add_metric(["checkpointed"], last["checkpointed_frames"])
            yield frames
        yield _gauge(
            "fieldbook_blob_store_bytes", "Bytes of complete blobs.", storage["blob_bytes"]
        )
        yield _gauge("fieldbook_blob_store_files", "Complete blobs.", storage["blob_files"])
        for key in ("database_free_bytes", "blob_free_bytes"):
            if storage[key] is not None:
                yield _gauge(f"fieldbook_{key}", "Free disk space.", storage[key])
        yield _gauge(
            "fieldbook_devices_unsent_over_day",
            "Devices holding unsent work older than a day (as on Sync health).",
            sync["devices_unsent_over_day"],
        )
        yield _gauge("fieldbook_sync_clients", "Devices that ever synced.", sync["devices"])
        yield _gauge(
            "fieldbook_open_conflicts",
            "Conflicts waiting for a supervisor.",
            sync["open_conflicts"],
        )
        yield from _job_gauges(f)


def _gauge(name: str, doc: str, value) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _job_gauges(f: dict):
    if f["jobs"] is not None:
        runs = GaugeMetricFamily(
            "fieldbook_job_runs", "Recorded runs of each job.", labels=["job"]
        )
        failures = GaugeMetricFamily(
            "fieldbook_job_failures", "Recorded failed or timed-out runs.", labels=["job"]
        )
        failing = GaugeMetricFamily(
            "fieldbook_job_last_failed", "1: the job's newest run failed.", labels=["job"]
        )
        for job in f["jobs"]:
            runs.add_metric([job["job"]], job["runs"])
            failures.add_metric([job["job"]], job["failures"] or 0)
            failing.add_metric([job["job"]], int(job["last_outcome"] in model.FAILED))
        yield from (runs, failures, failing)
    if f["backups"] is not None and f["backups"]["age_seconds"] is not None:
        yield _gauge(
            "fieldbook_last_backup_age_seconds",
            "Seconds since the last successful backup.",
            f["backups"]["age_seconds"],
        )
    if f["replication"]["lag_seconds"] is not None:
        yield _gauge(
            "fieldbook_replication_lag_seconds",
            "Age of the replica at the last replication check, plus the time since.",
            f["replication"]["lag_seconds"],
        )


@bp.after_app_request
def glance_at_wal(response):
    wal.glance(current_app.config)
    return response


@bp.get("/metrics")
def metrics():
    if not may_scrape():
        abort(404)
    registry = CollectorRegistry()
    folder = multiprocess_dir()
    if folder:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry, path=folder)
    else:
        registry.register(_Counted())
    registry.register(_Gauges(model.facts(get_db(), current_app.config)))
    response = Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def _age(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return format_timedelta(timedelta(seconds=seconds), add_direction=False)


@bp.get("/admin/system")
@roles_required("admin")
def page():
    facts = model.facts(get_db(), current_app.config)
    ages = {
        "backup": _age((facts["backups"] or {}).get("age_seconds")),
        "replication": _age(facts["replication"]["lag_seconds"]),
    }
    return render(
        "system/index.html",
        facts=facts,
        ages=ages,
        multiprocess=bool(multiprocess_dir()),
        failed=model.FAILED,
    )
