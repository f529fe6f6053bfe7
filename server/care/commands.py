"""flask --app server care load-holidays FILE | points earn --month YYYY-MM."""

import os
import re

import click
from flask import current_app
from flask.cli import AppGroup

from ..db import connect
from . import model

care_cli = AppGroup("care", help="Care calendar.")
points_cli = AppGroup("points", help="Customer points.")
BUNDLED = os.path.join(os.path.dirname(__file__), "holidays_cn.json")


@care_cli.command("load-holidays")
@click.argument("path", required=False, default=BUNDLED)
def load_holidays(path):
    """Add or update public holidays from a JSON file (default: the bundled China table)."""
    db = connect(current_app.config["DATABASE"])
    try:
        counts = model.load_holidays(db, None, path)
    except (OSError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    finally:
        db.conn.close()
    click.echo(
        f"holidays: {counts['added']} added, {counts['changed']} changed,"
        f" {counts['unchanged']} unchanged"
    )


@points_cli.command("earn")
@click.option("--month", required=True, help="YYYY-MM")
def earn(month):
    """(Re)compute a month's earned points from its billing figures (safe to run again)."""
    from ..points.ledger import earn_month

    if not re.match(r"^\d{4}-(0[1-9]|1[0-2])$", month):
        raise click.BadParameter("expected YYYY-MM", param_hint="--month")
    db = connect(current_app.config["DATABASE"])
    try:
        result = earn_month(db, month)
    finally:
        db.conn.close()
    click.echo(
        f"points {month}: {result['customers']} customers with figures,"
        f" {result['entries']} ledger rows appended ({result['corrected']} corrections)"
    )
