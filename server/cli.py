"""Command line: flask --app server db upgrade | seed-demo | demo-logins | backup | restore |
plans run."""

import sys
import time
from contextlib import contextmanager

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from . import ops
from .db import connect
from .migrations import schema_version, upgrade

db_cli = AppGroup("db", help="Database schema.")


@contextmanager
def _db():
    db = connect(current_app.config["DATABASE"])
    try:
        yield db
    finally:
        db.conn.close()


@db_cli.command("upgrade")
def db_upgrade():
    """Apply pending migrations (safe to run again)."""
    with _db() as db:
        applied = upgrade(db)
        click.echo(f"applied {len(applied)} migration(s); schema at {schema_version(db)}")


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing (and say so) when users exist.")
@click.option("--seed", type=int, default=None, help="Random seed (default: DEMO_SEED).")
def seed_demo(if_empty, seed):
    """Fill an empty database with the Hangzhou demo data (the same for the same seed)."""
    from .seed import demo

    seed = current_app.config["DEMO_SEED"] if seed is None else seed
    with _db() as db:
        upgrade(db)
        if demo.has_users(db):
            if if_empty:
                click.echo("seed-demo: the database already has users; skipped")
                return
            raise click.ClickException("the database already has users; seed-demo needs it empty")
        started = time.monotonic()
        counts = demo.seed_demo(db, seed)
    summary = ", ".join(f"{n} {table}" for table, n in counts.items())
    click.echo(f"seeded demo data (seed {seed}) in {time.monotonic() - started:.1f} s: {summary}")


@click.command("demo-logins")
@with_appcontext
def demo_logins():
    """List the demo logins: one per role, then every user, and the demo password."""
    from .seed import demo

    with _db() as db:
        users = demo.logins(db)
    if not users:
        click.echo("no users yet: run flask --app server seed-demo")
        return
    if demo.demo_password_works(users):
        click.echo(f"DEMO DATA ONLY - password of every demo user: {demo.DEMO_PASSWORD}")
    else:
        click.echo("these users do not have the demo password (not demo data, or changed)")
    firsts = {}
    for user in users:
        firsts.setdefault(user["role"], user["username"])
    click.echo("one per role: " + ", ".join(f"{name} ({role})" for role, name in firsts.items()))
    for user in users:
        click.echo(
            f"  {user['username']:<16} {user['role']:<16} {user['display_name']}  {user['org']}"
        )


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
def backup(path):
    """Copy the live database to PATH (online), check it and print row counts per table."""
    try:
        counts = ops.backup(current_app.config["DATABASE"], path)
    except ops.OpsError as exc:
        raise click.ClickException(str(exc)) from exc
    for table, n in counts.items():
        click.echo(f"  {table:<24} {n}")
    click.echo(f"backup written to {path}: integrity ok")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask; needed when stdin is not a terminal.")
def restore(path, yes):
    """Replace the live database with the backup at PATH; devices re-sync (new server epoch)."""
    live = current_app.config["DATABASE"]
    try:
        found = ops.check_backup(path)
        click.echo(
            f"would replace {live} with {path} (schema {found['schema_version']},"
            f" {sum(found['counts'].values())} rows), set a new server epoch so devices"
            " re-sync, then run pending migrations"
        )
        if not yes:
            if not sys.stdin.isatty():
                raise ops.OpsError("refusing to restore without --yes (stdin is not a terminal)")
            click.confirm("restore now?", abort=True)
        result = ops.restore(path, live)
    except ops.OpsError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"restored {path} into {live}; server epoch {result['old_epoch']} -> "
        f"{result['new_epoch']}; migrations applied: {len(result['applied'])}"
    )


def init_app(app) -> None:
    """The commands above, then every domain's CLI groups (server/domains.py)."""
    from .domain import load
    from .domains import DOMAINS

    for command in (db_cli, seed_demo, demo_logins, backup, restore):
        app.cli.add_command(command)
    for domain in DOMAINS:
        for ref in domain.cli:
            app.cli.add_command(load(ref))
