"""flask --app server retention run [--month YYYY-MM] [--as-of YYYY-MM-DD]."""

import time
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from ..billing.importer import valid_month
from ..db import connect
from .run import run_rules

retention_cli = AppGroup("retention", help="Churn warnings and retention tasks.")


@retention_cli.command("run")
@click.option("--month", default=None, help="Billing month to evaluate (default: the newest).")
@click.option("--as-of", "as_of", default=None, help="Day contract windows count from.")
def run_command(month, as_of):
    """Run the churn rules (safe to repeat: no duplicate warnings or tasks)."""
    if month and not valid_month(month):
        raise click.BadParameter("expected YYYY-MM", param_hint="--month")
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError as exc:
        raise click.BadParameter("expected YYYY-MM-DD", param_hint="--as-of") from exc
    db = connect(current_app.config["DATABASE"])
    try:
        started = time.monotonic()
        found = run_rules(db, month, as_of=day)
    finally:
        db.conn.close()
    if found["month"] is None:
        click.echo("no billing figures yet: nothing to evaluate")
        return
    click.echo(
        f"churn rules {found['month']}: {found['customers']} customers"
        f" (high {found['high']}, medium {found['medium']}, low {found['low']}),"
        f" {found['warnings']} new warnings, {found['tasks']} retention tasks opened,"
        f" in {time.monotonic() - started:.1f} s"
    )
