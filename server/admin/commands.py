"""`flask --app server create-admin`: the first organisation and admin of a new install."""

import click
from flask import current_app
from flask.cli import with_appcontext

from ..auth import model as users
from ..db import connect
from ..orgs import model as orgs


@click.command("create-admin")
@with_appcontext
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The admin's display name.")
@click.option("--org-code", required=True, help="The organisation's code (e.g. ZJ).")
@click.option("--org-name", help="Creates the province organisation when it does not exist.")
@click.password_option(help="Asked for, twice, on a terminal when not given.")
def create_admin(username, display_name, org_code, org_name, password):
    """Create an admin in an organisation (made as the province when --org-name is given)."""
    db = connect(current_app.config["DATABASE"])
    try:
        with db.atomic():
            org = orgs.by_code(db, org_code)
            if org is None:
                if not org_name:
                    raise click.ClickException(f"no organisation {org_code}: give --org-name")
                data = {"kind": "province", "code": org_code, "name": org_name}
                clean, errors = orgs.validate(db, data)
                if errors:
                    raise click.ClickException(f"organisation refused: {errors}")
                org = orgs.create(db, None, **clean)
            data = dict(
                username=username,
                display_name=display_name,
                role="admin",
                org_id=org["id"],
                password=password,
            )
            clean, errors = users.validate(db, data, new=True)
            if errors:
                raise click.ClickException(f"admin refused: {errors}")
            keep = ("username", "display_name", "role", "org_id", "password")
            users.create_user(db, None, **{k: clean[k] for k in keep})
    finally:
        db.conn.close()
    click.echo(f"admin {username} created in {org['name']} ({org_code}); sign in on the website")
