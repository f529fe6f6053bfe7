"""flask --app server reminders run [--now ISO-8601]."""

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from ..db import connect
from ..times import from_stored
from . import engine

reminders_cli = AppGroup("reminders", help="Push reminders.")


@reminders_cli.command("run")
@click.option("--now", "at", default=None, help="Pretend it is this time (ISO-8601; tests).")
def run_command(at):
    """Compute due reminders and send them (idempotent; run it every minute from cron)."""
    try:
        now = from_stored(at) if at else datetime.now(UTC)
    except ValueError as exc:
        raise click.BadParameter("expected an ISO-8601 time", param_hint="--now") from exc
    db = connect(current_app.config["DATABASE"])
    try:
        result = engine.run(current_app, db, now)
    finally:
        db.conn.close()
    click.echo(
        "reminders: {added} new of {found} found; {reminders_sent} sent ({pushes} pushes),"
        " {held} held for quiet hours, {retry} to retry, {gone} subscriptions gone,"
        " {no_device} without a device, {expired} expired, {failed} failed".format(**result)
    )
