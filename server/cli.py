"""Command line: flask --app server db upgrade | seed-demo | demo-logins | backup | restore."""

import click
from flask import current_app
from flask.cli import AppGroup

from .db import connect
from .migrations import schema_version, upgrade

db_cli = AppGroup("db", help="Database schema.")


def _db():
    return connect(current_app.config["DATABASE"])


@db_cli.command("upgrade")
def db_upgrade():
    """Apply pending migrations (safe to run again)."""
    db = _db()
    applied = upgrade(db)
    click.echo(f"applied {len(applied)} migration(s); schema at {schema_version(db)}")


def init_app(app) -> None:
    app.cli.add_command(db_cli)
