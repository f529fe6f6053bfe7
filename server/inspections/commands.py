"""CLI: flask --app server plans run [--date YYYY-MM-DD] [--horizon-days N]."""

from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from ..db import connect
from ..times import local_date
from . import plans

plans_cli = AppGroup("plans", help="Inspection plans.")


def local_today() -> date:
    """Today in the operator's time zone (BABEL_DEFAULT_TIMEZONE)."""
    return local_date(zone_name=current_app.config["BABEL_DEFAULT_TIMEZONE"])


@plans_cli.command("run")
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The day to generate for (default: today, local time).",
)
@click.option(
    "--horizon-days",
    type=click.IntRange(0),
    default=0,
    help="Also generate periods starting within this many days.",
)
def run(day, horizon_days):
    """Generate the inspection orders of every active plan (safe to run again)."""
    today = day.date() if day else local_today()
    db = connect(current_app.config["DATABASE"])
    try:
        counts = plans.run_plans(db, None, today, horizon_days)
    finally:
        db.conn.close()
    click.echo(
        f"{today.isoformat()}: {counts['plans']} plan(s): {counts['created']} order(s) created,"
        f" {counts['existing']} already there"
    )
