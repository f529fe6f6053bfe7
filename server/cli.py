"""Command line: flask --app server db upgrade | seed-demo | demo-logins | backup | restore |
replica run | replica restore | replica mirror."""

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from . import backups, ops, replication
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
@click.argument("path", required=False, type=click.Path(dir_okay=False))
def backup(path):
    """Without PATH: a dated backup of the database and every photo it references in
    BACKUP_DIR, keeping the newest BACKUP_KEEP. With PATH: the database alone, to that file."""
    config = current_app.config
    try:
        if path:
            counts = ops.backup(config["DATABASE"], path)
        else:
            made = backups.backup(config["DATABASE"], config["BLOB_DIR"], config["BACKUP_DIR"])
            pruned = backups.prune(config["BACKUP_DIR"], config["BACKUP_KEEP"])
            counts = made["counts"]
    except ops.OpsError as exc:
        raise click.ClickException(str(exc)) from exc
    for table, n in counts.items():
        click.echo(f"  {table:<24} {n}")
    if path:
        click.echo(f"backup written to {path}: integrity ok (the database only, no photos)")
        return
    click.echo(
        f"backup written to {made['path']}: integrity ok; {len(made['blobs'])} blobs"
        f" ({made['copied']['blobs']} new, {made['copied']['bytes']} bytes);"
        f" pruned {pruned['backups_pruned']} old backup(s), {pruned['blobs_pruned']} blob(s)"
    )
    if made["unreadable"]:
        raise click.ClickException(
            f"{len(made['unreadable'])} referenced blob(s) missing or corrupt in"
            f" {config['BLOB_DIR']}, left out: {', '.join(made['unreadable'][:5])}"
        )


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path())
@click.option("--yes", is_flag=True, help="Do not ask; needed when stdin is not a terminal.")
@click.option(
    "--skip-bad-blobs",
    is_flag=True,
    help="Restore even when blobs are missing or corrupt; devices send those again.",
)
def restore(path, yes, skip_bad_blobs):
    """Replace the live database (and bring back the photos) with the backup at PATH, a
    backup folder or a single database file; devices re-sync (new server epoch)."""
    config = current_app.config
    live, folder = config["DATABASE"], Path(path).is_dir()
    try:
        if folder:
            found = backups.verify(path)
            bad = found["missing"] + found["corrupt"]
            click.echo(
                f"backup {path}: database ok, {len(found['blobs'])} blobs,"
                f" {len(found['missing'])} missing, {len(found['corrupt'])} corrupt"
            )
            for sha in bad[:20]:
                click.echo(f"  bad blob {sha}")
            if bad and not skip_bad_blobs:
                raise ops.OpsError(
                    f"refusing to restore: {len(bad)} blob(s) missing or corrupt"
                    " (--skip-bad-blobs to restore without them)"
                )
            found = ops.check_backup(found["database_path"])
        else:
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
        if folder:
            result = backups.restore_backup(
                path, live, config["BLOB_DIR"], skip_bad_blobs=skip_bad_blobs
            )
        else:
            result = ops.restore(path, live)
    except ops.OpsError as exc:
        raise click.ClickException(str(exc)) from exc
    if folder:
        click.echo(
            f"blobs: {result['blobs_copied']} copied into {config['BLOB_DIR']},"
            f" {len(result['forgotten'])} forgotten (devices upload them again)"
        )
    click.echo(
        f"restored {path} into {live}; server epoch {result['old_epoch']} -> "
        f"{result['new_epoch']}; migrations applied: {len(result['applied'])}"
    )


replica_cli = AppGroup("replica", help="Continuous replication with Litestream.")


@replica_cli.command("run")
def replica_run():
    """Run `litestream replicate` (deploy/litestream.yml) for this database; it replaces
    this process, so a service manager sees and signals Litestream itself."""
    try:
        command, env = replication.replicate_command(current_app.config)
    except ops.OpsError as exc:
        raise click.ClickException(str(exc)) from exc
    os.execve(command[0], command, env)  # noqa: S606 - our own binary, no shell


@replica_cli.command("restore")
def replica_restore():
    """Rebuild DATABASE from the Litestream replica, start a new server epoch, migrate and
    bring the photos back from BLOB_REPLICA. DATABASE must not exist."""
    try:
        result = replication.restore_replica(current_app.config)
    except ops.OpsError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"restored {current_app.config['DATABASE']} from the replica in"
        f" {result['seconds']:.1f} s; server epoch {result['new_epoch']}; migrations applied:"
        f" {len(result['applied'])}; blobs copied {result['blobs_copied']},"
        f" forgotten {len(result['forgotten'])}"
    )


@replica_cli.command("mirror")
def replica_mirror():
    """Copy the blob files BLOB_REPLICA lacks from BLOB_DIR (the jobs process does this)."""
    try:
        counts = replication.mirror_blobs(current_app.config)
    except ops.OpsError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(", ".join(f"{n} {what}" for what, n in counts.items()))


def init_app(app) -> None:
    """The commands above, then every domain's CLI groups (server/domains.py)."""
    from .domain import load
    from .domains import DOMAINS

    for command in (db_cli, seed_demo, demo_logins, backup, restore, replica_cli):
        app.cli.add_command(command)
    for domain in DOMAINS:
        for ref in domain.cli:
            app.cli.add_command(load(ref))
