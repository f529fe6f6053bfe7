"""Run one job in a worker process of its own, within its time limit.

Workers come from a fork server (multiprocessing's "forkserver"): a clean process started
once, with the app's modules imported but no database open and no threads, forks each
worker, so a run starts in milliseconds and never inherits a connection or a lock. A job
over its limit is killed with its whole process group (a report batch's own workers too)
and recorded as 'timeout'; a worker that dies without answering is a 'failed' run. The
scheduler never waits longer than the limit.
"""

import logging
import multiprocessing
import os
import signal
import threading
import time
from datetime import datetime
from multiprocessing.connection import wait

from . import worker

log = logging.getLogger(__name__)
POLL_SECONDS = 0.2  # how often a waiting run looks at the stop signal


def _context():
    from ..domains import DOMAINS

    modules = {"server.jobs.worker", "server.jobs.tasks"}
    for domain in DOMAINS:
        for ref in (*domain.blueprints, *domain.cli):
            modules.add(f"server.{ref.partition(':')[0]}")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(sorted(modules))
    return context


def run(spec, config: dict, now: datetime, stop: threading.Event | None = None) -> dict:
    """Run `spec` at `now` in a worker; returns {outcome, counts, error}."""
    context = _context()
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(
        target=worker.main, args=(spec.task, config, now, writer), name=f"job-{spec.name}"
    )
    process.start()
    writer.close()
    deadline = time.monotonic() + spec.limit_seconds
    answer = None
    try:
        while answer is None and process.is_alive():
            if stop is not None and stop.is_set():
                _kill(process)
                return _result("failed", error="the jobs process stopped during the run")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _kill(process)
                return _result("timeout", error=f"over its limit of {spec.limit_seconds:g} s")
            ready = wait([reader, process.sentinel], timeout=min(remaining, POLL_SECONDS))
            if reader in ready:
                answer = _receive(reader)
                break
        if answer is None and reader.poll(0):
            answer = _receive(reader)
        process.join(5)
        if answer is None:
            return _result(
                "failed", error=f"the worker process died (exit code {process.exitcode})"
            )
        outcome, counts, error = answer
        return _result(outcome, counts, error)
    finally:
        reader.close()
        if process.is_alive():
            _kill(process)


def _receive(reader):
    try:
        return reader.recv()
    except (EOFError, OSError):
        return None


def _result(outcome: str, counts=None, error=None) -> dict:
    return {"outcome": outcome, "counts": counts or {}, "error": error}


def _kill(process) -> None:
    """Kill the worker and everything it started (its process group), then reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.join(5)
