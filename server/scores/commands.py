"""flask --app server scores compute --month YYYY-MM [--org CODE];
flask --app server scores recompute --from YYYY-MM [--to YYYY-MM]."""

import time

import click
from flask import current_app
from flask.cli import AppGroup

from ..db import connect
from ..ids import now_utc
from . import compute, months

scores_cli = AppGroup("scores", help="Performance scores.")


@scores_cli.command("compute")
@click.option("--month", default=None, help="YYYY-MM (default: last month, local time).")
@click.option("--org", "org_code", default=None, help="Only this organisation's subtree (code).")
def compute_command(month, org_code):
    """Compute and store a month's scorecards (safe to run again: unchanged cards stay)."""
    month = month or months.previous(months.current(now_utc()))
    if months.parse(month) is None:
        raise click.BadParameter("expected YYYY-MM", param_hint="--month")
    db = connect(current_app.config["DATABASE"])
    try:
        org_id = None
        if org_code:
            found = db.execute("SELECT id FROM org WHERE code = ?", [org_code]).fetchone()
            if found is None:
                raise click.ClickException(f"no organisation with code {org_code}")
            org_id = found[0]
        started = time.monotonic()
        result = compute.compute_month(db, month, org_id=org_id)
    finally:
        db.conn.close()
    click.echo(
        f"scores {month}: {result['cards']} cards, {result['changed']} changed,"
        f" in {time.monotonic() - started:.1f} s"
    )


@scores_cli.command("recompute")
@click.option("--from", "first", required=True, help="First month to correct, YYYY-MM.")
@click.option("--to", "last", default=None, help="Last month, YYYY-MM (default: this month).")
def recompute_command(first, last):
    """Correct orders' SLA clocks by work type and recompute stored months, each keeping
    the weights version it was scored with."""
    now = now_utc()
    last = last or months.current(now)
    for name, value in (("--from", first), ("--to", last)):
        if months.parse(value) is None:
            raise click.BadParameter("expected YYYY-MM", param_hint=name)
    if last < first:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    db = connect(current_app.config["DATABASE"])
    try:
        started = time.monotonic()
        result = compute.recompute(db, first, last, now=now)
    finally:
        db.conn.close()
    click.echo(f"orders re-stamped by work type: {result['orders']}")
    for month, counts in result["months"].items():
        click.echo(f"scores {month}: {counts['cards']} cards, {counts['changed']} changed")
    click.echo(f"in {time.monotonic() - started:.1f} s")
