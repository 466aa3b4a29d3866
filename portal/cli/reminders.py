"""``flask portal reminders send``: once a day from cron or a systemd timer.

The command commits, not the operations it runs (CONTRIBUTING.md): the queue in one
transaction, then each step of the sending in one of its own (``run``; what a step is, and
why, portal/features/reminders/outbox.py).
"""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from portal.features.reminders.jobs import run
from portal.util.clock import today

reminders_cli = AppGroup("reminders", help="Reminders by e-mail.")


@reminders_cli.command("send")
@click.option(
    "--on",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day to remind for (YYYY-MM-DD); the portal's date by default.",
)
@click.option("--dry-run", is_flag=True, help="Say what is due; queue and send nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def send_command(on, dry_run: bool, as_json: bool) -> None:
    """Queue the reminders due today and send what is queued; a second run sends nothing new.

    Exit 0, unless the mail server could not be reached (1): what it did not take is tried
    again by the next run. A message the server refused is tried again after a pause, until
    its last day; then it is marked expired (the outbox page lists both).
    """
    report = run(on.date() if on else today(), dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        verb = "would queue" if dry_run else "queued"
        click.echo(
            f"{report.on.isoformat()}: {report.due} due, {verb} {report.due - report.skipped}, "
            f"skipped {report.skipped} (already queued), sent {report.sent}, "
            f"failed {report.failed}, expired {report.expired}"
        )
    if report.unreachable:
        click.echo(f"the mail server could not be reached: {report.unreachable}", err=True)
        sys.exit(1)
