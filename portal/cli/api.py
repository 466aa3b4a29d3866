"""``flask portal api-token ...``: the administrators' API tokens from the command line, through
the same operations as /admin/api-clients (portal/features/api/operations.py)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from portal.web.api_tokens import SCOPES

api_cli = AppGroup("api-token", help="Tokens of other systems for /api/v1.")


@api_cli.command("issue")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(SCOPES))
@click.option(
    "--agency", "agencies", multiple=True, help="An agency code whose rows it may read or send."
)
@click.option("--until", "until", required=True, help="The last day it works, YYYY-MM-DD.")
@click.option(
    "--write",
    "can_write",
    is_flag=True,
    help="It may write: needed for --scope collections (the tax bureau's payment returns).",
)
def issue_command(
    name: str, scopes: tuple[str, ...], agencies: tuple[str, ...], until: str, can_write: bool
) -> None:
    """Issue a token to the system NAME and print it (once: only its SHA-256 is kept)."""
    from sqlalchemy import select

    from portal.core.extensions import db
    from portal.features.api.operations import AccessError, issue_client
    from portal.models import Agency

    try:
        last_day = date.fromisoformat(until)
    except ValueError:
        raise click.BadParameter("give the last day as YYYY-MM-DD", param_hint="--until") from None
    ids = []
    for code in agencies:
        agency = db.session.scalar(select(Agency).where(Agency.code == code))
        if agency is None:
            raise click.BadParameter(f"no agency has the code {code}", param_hint="--agency")
        ids.append(agency.id)
    try:
        client, token = issue_client(
            name=name,
            scopes=scopes,
            agency_ids=ids,
            can_write=can_write,
            expires_on=last_day,
            actor=None,
        )
    except AccessError as error:
        raise click.ClickException(f"refused: {error.code} ({error.field})") from None
    db.session.commit()
    click.echo(f"client {client.id} {client.name}{' (may write)' if can_write else ''}: {token}")


@api_cli.command("revoke")
@click.argument("client_id", type=click.IntRange(1, 2**31 - 1))
def revoke_command(client_id: int) -> None:
    """Revoke the token of client CLIENT_ID."""
    from portal.core.extensions import db
    from portal.features.api.operations import revoke_client
    from portal.models import ApiClient

    client = db.session.get(ApiClient, client_id)
    if client is None:
        raise click.ClickException(f"no client {client_id}")
    done = revoke_client(client, actor=None)
    db.session.commit()
    click.echo(f"client {client_id} revoked" if done else f"client {client_id} was revoked already")
