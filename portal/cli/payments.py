"""``flask portal payments queue``: the payments queue the agency's page shows, as text."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.features.payments.queries import queue_items
from portal.features.reports.queries import agency_by_code

payments_cli = AppGroup("payments", help="Payments from the tax bureau.")


@payments_cli.command("queue")
@click.option("--agency", "agency_code", help="One agency's code (default: every agency).")
def queue_command(agency_code: str | None) -> None:
    """Payments that match no assessment or pay beyond what is assessed, not yet resolved: one
    line each (tab-separated: credit code, name, month, part, why, paid, assessed,
    difference). Exit 0 even when some are waiting; resolve them on the page."""
    agency_id = None
    if agency_code:
        agency = agency_by_code(agency_code)
        if agency is None:
            raise click.BadParameter(
                f"no agency has the code {agency_code!r}", param_hint="--agency"
            )
        agency_id = agency.id
    items = queue_items(agency_id)
    for item in items:
        click.echo(
            "\t".join(
                (
                    item.credit_code,
                    item.employer_name,
                    item.month,
                    item.part,
                    item.kind,
                    str(item.paid),
                    "" if item.assessed is None else str(item.assessed),
                    str(item.difference),
                )
            )
        )
    click.echo(f"{len(items)} waiting.", err=True)
