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


def _config() -> dict:
    """The settings a worker process needs to build the same app (plain values only)."""
    keep = (str, int, float, bool, type(None), list, tuple, dict)
    return {k: v for k, v in current_app.config.items() if isinstance(v, keep)}


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
    with click.progressbar(length=len(cards), label=f"scorecards {month}") as bar:
        for _path in batch.render_month(_config(), cards, month, folder):
            bar.update(1)
    click.echo(f"{len(cards)} scorecards in {folder} in {time.monotonic() - started:.1f} s")
