"""flask --app server customers reclassify [--day YYYY-MM-DD]."""

from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from ..db import connect
from . import class_policy
from .model import reclassify

customers_cli = AppGroup("customers", help="Customers.")


@customers_cli.command("reclassify")
@click.option("--day", default=None, help="Use the class policy in force on this day.")
def reclassify_command(day):
    """Recompute every customer's class from handsets, spend and the class policy."""
    if day is not None:
        try:
            date.fromisoformat(day)
        except ValueError as exc:
            raise click.BadParameter("expected YYYY-MM-DD", param_hint="--day") from exc
    db = connect(current_app.config["DATABASE"])
    try:
        version = class_policy.in_force(db, day)["version"]
        changed = reclassify(db, None, day=day)
    finally:
        db.conn.close()
    click.echo(f"class policy version {version}: {changed} customers changed class")
