"""flask --app server reports monthly --month YYYY-MM [--org ID or code] [--out FOLDER]."""

import os
import time

import click
from flask import current_app
from flask.cli import AppGroup

from ..db import connect, one
from ..scores import months
from . import batch, pdf, scorecards

reports_cli = AppGroup("reports", help="Printed reports (PDF).")


@reports_cli.command("monthly")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--org", "org_ref", default=None, help="Only this subtree (org id or code).")
@click.option("--out", default=None, help="Folder (default: instance/reports/YYYY-MM).")
def monthly(month, org_ref, out):
    """Print every stored scorecard of a month to PDF files in a folder, on two cores."""
    if months.parse(month) is None:
        raise click.BadParameter("expected YYYY-MM", param_hint="--month")
    try:
        pdf.cjk_font()
    except pdf.ReportError as exc:
        raise click.ClickException(str(exc)) from exc
    db = connect(current_app.config["DATABASE"])
    try:
        path = None
        if org_ref:
            org = one(db, "SELECT path FROM org WHERE id = ? OR code = ?", [org_ref, org_ref])
            if org is None:
                raise click.ClickException(f"no organisation {org_ref}")
            path = org["path"]
        cards = scorecards.month_cards(db, month, path)
    finally:
        db.conn.close()
    if not cards:
        raise click.ClickException(
            f"no scorecards stored for {month}: run flask --app server scores compute first"
        )
    folder = out or os.path.join(current_app.instance_path, "reports", month)
    started = time.monotonic()
    failed = []
    config = batch.worker_config(current_app.config)
    timeout = current_app.config["REPORT_CARD_TIMEOUT_SECONDS"]
    with click.progressbar(length=len(cards), label=f"scorecards {month}") as bar:
        for result in batch.render_month(config, cards, month, folder, card_timeout=timeout):
            if result.error:
                failed.append(result)
            bar.update(1)
    printed = len(cards) - len(failed)
    click.echo(f"{printed} scorecards in {folder} in {time.monotonic() - started:.1f} s")
    for result in failed:
        click.echo(f"  not printed: {result.card['role']} {result.card['name']}: {result.error}")
    if failed:
        raise click.ClickException(f"{len(failed)} of {len(cards)} scorecards not printed")
