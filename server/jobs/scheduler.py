"""The jobs process: APScheduler fires each job on its trigger; only the lease holder runs.

Every scheduler renews the lease every JOBS_LEASE_RENEW_SECONDS for JOBS_LEASE_SECONDS.
One that cannot get it stays idle (it logs who holds it) and asks again at each renewal,
so it takes over within a lease's length after the holder dies, and a clean stop gives
the lease up at once. A job fired while idle does nothing: the holder runs it. On taking
the lease a scheduler closes the runs its predecessor left open and runs at once each
calendar job whose time passed with no scheduler holding the lease.
"""

import logging
import os
import secrets
import socket
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from .. import times
from ..db import connect
from . import lease, model, runner, schedule

log = logging.getLogger(__name__)


def holder_name() -> str:
    """This process's name in the lease: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Scheduler:
    """One jobs process's scheduler (start, then stop). `specs` and `clock` are injectable
    (tests); `config` is plain settings (reports.batch.worker_config)."""

    def __init__(self, config: dict, specs=None, holder: str | None = None, clock=None):
        self.config = config
        self.specs = schedule.jobs(config) if specs is None else list(specs)
        self.holder = holder or holder_name()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.lease_seconds = float(config["JOBS_LEASE_SECONDS"])
        self.renew_seconds = float(config["JOBS_LEASE_RENEW_SECONDS"])
        self.stopping = threading.Event()  # no new runs
        self.ending = threading.Event()  # end the runs in flight
        self.grace_seconds = float(config["JOBS_STOP_GRACE_SECONDS"])
        self.leader = False
        self.seen_holder = None
        self.zone = times.zone(config["BABEL_DEFAULT_TIMEZONE"])
        self.aps = BackgroundScheduler(
            timezone=self.zone,
            # The lease has a thread of its own: long jobs never hold up its renewal.
            executors={
                "default": ThreadPoolExecutor(int(config["JOBS_WORKERS"])),
                "lease": ThreadPoolExecutor(1),
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    @contextmanager
    def _db(self):
        db = connect(self.config["DATABASE"], self.config["DATABASE_BUSY_TIMEOUT_MS"])
        try:
            yield db
        finally:
            db.conn.close()

    def start(self) -> None:
        log.info(
            "jobs: %s starting with %d jobs: %s",
            self.holder,
            len(self.specs),
            ", ".join(s.name for s in self.specs),
        )
        self.aps.start(paused=True)  # the lease first: a job due at once must find it
        for spec in self.specs:
            self.aps.add_job(self._fire, args=[spec], id=spec.name, name=spec.name, **spec.trigger)
        self.aps.add_job(
            self.renew,
            "interval",
            seconds=self.renew_seconds,
            id="_lease",
            name="lease",
            executor="lease",
        )
        self.renew()
        self.aps.resume()

    def stop(self, release: bool = True) -> None:
        """Stop firing, let the runs in flight finish for JOBS_STOP_GRACE_SECONDS, end the
        rest (recorded as failed), give the lease up. Once; again does nothing."""
        if self.stopping.is_set() or not self.aps.running:
            return
        self.stopping.set()
        waiting = threading.Thread(target=self.aps.shutdown, kwargs={"wait": True})
        waiting.start()
        waiting.join(self.grace_seconds)
        self.ending.set()
        waiting.join()
        if release and self.leader:
            with self._db() as db:
                lease.release(db, self.holder)
        self.leader = False
        log.info("jobs: %s stopped", self.holder)

    def renew(self) -> None:
        """Take or renew the lease; become the runner or stay idle."""
        if self.stopping.is_set():
            return
        now = self.clock()
        try:
            with self._db() as db:
                found = lease.take(db, self.holder, self.lease_seconds, now)
                if found["held"] and not self.leader:
                    closed = model.close_abandoned(db, self.holder, now)
                    log.warning(
                        "jobs: %s took the lease until %s (%d abandoned runs closed)",
                        self.holder,
                        found["expires_at"],
                        closed,
                    )
                    self.leader = True
                    self._catch_up(db, now)
        except Exception:
            log.exception("jobs: the lease could not be renewed; idle until it can")
            self.leader = False
            return
        if not found["held"]:
            if self.leader:
                log.warning("jobs: %s lost the lease to %s", self.holder, found["holder"])
            if self.leader or self.seen_holder != found["holder"]:
                log.info(
                    "jobs: %s idle: the lease is held by %s until %s; asking again every %g s",
                    self.holder,
                    found["holder"],
                    found["expires_at"],
                    self.renew_seconds,
                )
            self.leader = False
        self.seen_holder = found["holder"]

    def _catch_up(self, db, now: datetime) -> None:
        """Fire now each calendar job whose next time after its last run has passed."""
        for spec in self.specs:
            last = times.read(model.last_started(db, spec.name))
            job = self.aps.get_job(spec.name)
            if last is None or job is None or spec.trigger.get("trigger") != "cron":
                continue
            due = job.trigger.get_next_fire_time(None, last + timedelta(seconds=1))
            if due is not None and due < now:
                log.warning("jobs: %s missed its run of %s; running it now", spec.name, due)
                job.modify(next_run_time=datetime.now(self.zone))

    def _fire(self, spec) -> None:
        if not self.leader or self.stopping.is_set():
            return
        with self._db() as db:
            if not lease.holds(db, self.holder, self.clock()):
                self.leader = False
                log.warning("jobs: %s no longer holds the lease; %s not run", self.holder, spec)
                return
        self.run_job(spec)

    def run_job(self, spec) -> dict:
        """Run one job now in a worker within its limit and record the run."""
        started = self.clock()
        with self._db() as db:
            run_id = model.started(db, spec.name, self.holder, started)
        try:
            result = runner.run(spec, self.config, started, self.ending)
        except Exception as exc:  # the worker could not even start
            log.exception("jobs: %s could not start", spec.name)
            result = {"outcome": "failed", "counts": {}, "error": repr(exc)}
        with self._db() as db:
            model.finished(db, run_id, now=self.clock(), **result)
        level = logging.INFO if result["outcome"] in model.SUCCESS else logging.ERROR
        log.log(
            level,
            "jobs: %s %s %s%s",
            spec.name,
            result["outcome"],
            result["counts"],
            f": {result['error']}" if result["error"] else "",
        )
        return result
