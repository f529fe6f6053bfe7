"""flask --app server billing import FILE --month YYYY-MM [--dry-run] [--no-rules]."""

import time

import click
from flask import current_app
from flask.cli import AppGroup

from .. import csvio
from ..db import connect
from . import importer

billing_cli = AppGroup("billing", help="Billing figures per customer.")


@billing_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--month", required=True, help="The month the file holds, YYYY-MM.")
@click.option("--dry-run", is_flag=True, help="Check every row and say what would change.")
@click.option("--no-rules", is_flag=True, help="Do not run the churn rules afterwards.")
def import_command(path, month, dry_run, no_rules):
    """Import (or check) one month's billing CSV for every customer; all or nothing."""
    if importer.month_error(month) == "invalid_month":
        raise click.BadParameter("expected YYYY-MM", param_hint="--month")
    if importer.month_error(month):
        raise click.BadParameter("a month after this one has no billing yet", param_hint="--month")
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        text = csvio.decode(raw)
    except csvio.UnreadableFile as exc:
        raise click.ClickException(str(exc)) from exc
    db = connect(current_app.config["DATABASE"])
    try:
        started = time.monotonic()
        outcome = importer.import_month(db, None, month, text, dry_run=dry_run, filename=path)
        found = None
        if outcome.applied and not no_rules:
            from ..retention.run import latest_month, run_rules

            if month == latest_month(db):
                found = run_rules(db, month)
    finally:
        db.conn.close()
    report = outcome.report
    for column, code in report.header_errors:
        click.echo(f"file: {column or '-'}: {code}", err=True)
    for row in report.bad_rows:
        problems = "; ".join(f"{column}: {code}" for column, code in row.errors)
        click.echo(f"line {row.line}: {row.code}: {problems}", err=True)
    if not outcome.ok:
        raise click.ClickException(
            f"{len(report.bad_rows)} bad row(s), {len(report.header_errors)} file problem(s):"
            " nothing imported"
        )
    verb = "would import" if dry_run else "imported"
    click.echo(
        f"billing {month}: {verb} {len(report.rows)} rows: {outcome.added} added,"
        f" {outcome.changed} changed, {outcome.removed} removed, {outcome.unchanged} unchanged,"
        f" {outcome.class_changes} class changes, in {time.monotonic() - started:.1f} s"
    )
    if found:
        click.echo(
            f"churn rules {found['month']}: {found['warnings']} new warnings,"
            f" {found['tasks']} retention tasks opened"
        )
