"""flask --app server jobs [--run-for SECONDS] | jobs status | jobs run NAME."""

import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..db import connect
from . import model, schedule
from .scheduler import Scheduler, holder_name

log = logging.getLogger(__name__)


def _settings() -> dict:
    from ..reports.batch import worker_config

    return worker_config(current_app.config)


def _logging() -> None:
    """The jobs process logs through the app's handler (the `server` logger, one line each
    to stderr); APScheduler's own lines only from warnings up."""
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@click.group(
    "jobs",
    cls=AppGroup,
    invoke_without_command=True,
    help="Run every periodic job on its schedule (docs/operations.md, 'Scheduled jobs').",
)
@click.option(
    "--run-for", type=click.FloatRange(0), default=None, help="Stop after this many seconds."
)
@click.pass_context
@with_appcontext
def jobs_cli(ctx, run_for):
    if ctx.invoked_subcommand is not None:
        return
    _logging()
    try:
        scheduler = Scheduler(_settings())
    except (ValueError, TypeError) as exc:
        raise click.ClickException(f"JOBS_SCHEDULE: {exc}") from exc
    stop = threading.Event()

    def on_signal(number, _frame):
        log.info("jobs: signal %s, stopping", signal.Signals(number).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    scheduler.start()
    try:
        stop.wait(run_for)
    finally:
        scheduler.stop()


@jobs_cli.command("status")
def status_command():
    """Each job's last run, its outcome and whether it is overdue (exit 1 if any is)."""
    db = connect(current_app.config["DATABASE"])
    try:
        found = model.status(db, schedule.jobs(current_app.config))
    finally:
        db.conn.close()
    for job in found:
        state = "OVERDUE" if job["overdue"] else "on time"
        click.echo(
            f"{job['job']:<16} {state:<8} last {job['last_started'] or 'never':<25}"
            f" {job['last_outcome'] or ('running' if job['last_started'] else '-'):<8}"
            f" last ok {job['last_ok'] or 'never'}"
        )
        if job["last_outcome"] in ("failed", "timeout") and job["last_error"]:
            click.echo(f"  error: {job['last_error'].splitlines()[-1]}")
    if any(job["overdue"] for job in found):
        raise SystemExit(1)


@jobs_cli.command("run")
@click.argument("name")
def run_command(name):
    """Run one job now, within its limit, and record the run (ignores the lease: every job
    is safe to run again)."""
    specs = {spec.name: spec for spec in schedule.JOBS}
    if name not in specs:
        raise click.BadParameter(f"one of {', '.join(specs)}", param_hint="NAME")
    _logging()
    scheduler = Scheduler(_settings(), specs=[specs[name]], holder=f"cli:{holder_name()}")
    result = scheduler.run_job(specs[name])
    click.echo(f"{name}: {result['outcome']} {result['counts']}")
    if result["error"]:
        click.echo(f"  {result['error']}")
    if result["outcome"] in ("failed", "timeout"):
        raise SystemExit(1)
