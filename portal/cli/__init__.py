"""``flask portal ...``: demo data, deployment checks, translations."""

from __future__ import annotations

import subprocess  # noqa: S404 - runs pybabel from the project's own venv
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import AppGroup

from portal.config import REPO_ROOT, deploy_problems

if TYPE_CHECKING:
    from portal.features.imports.reader import Source

portal_cli = AppGroup("portal", help="Portal administration commands.")


def _add_report_commands() -> None:
    """``portal export tax-list`` and ``portal report monthly`` (portal/cli/reports.py)."""
    from portal.cli.reports import export_cli, report_cli

    portal_cli.add_command(export_cli)
    portal_cli.add_command(report_cli)
    from portal.cli.reminders import reminders_cli

    portal_cli.add_command(reminders_cli)
    from portal.cli.payments import payments_cli

    portal_cli.add_command(payments_cli)
    from portal.cli.api import api_cli

    portal_cli.add_command(api_cli)
    from portal.cli.jobs import jobs_cli, worker_command

    portal_cli.add_command(worker_command)
    portal_cli.add_command(jobs_cli)


_add_report_commands()


@portal_cli.command("demo")
def demo_command() -> None:
    """Load the demonstration data (idempotent; refused in production) at the demonstration
    date: PORTAL_TODAY (``make demo`` sets it to DEMO_DATE), else the demo's own DEMO_DATE, so
    that its rows and its audit row carry the date the demonstration shows, not the machine's."""
    if not current_app.config.get("DEMO_DATA_ALLOWED"):
        raise click.ClickException("demo data is refused in production")
    from portal.cli.demo import DEMO_ACCOUNTS, DEMO_DATE, load_demo_data
    from portal.core.extensions import db
    from portal.util import clock

    configured = current_app.config.get("PORTAL_TODAY")
    if not configured:
        current_app.config["PORTAL_TODAY"] = DEMO_DATE.isoformat()
    try:
        created = load_demo_data()
        db.session.commit()
        loaded_on = clock.today()
    finally:
        current_app.config["PORTAL_TODAY"] = configured
    click.echo(f"demo data: {created} new rows (demonstration date {loaded_on})")
    click.echo("demo accounts (username / password / role):")
    for username, password, role in DEMO_ACCOUNTS:
        click.echo(f"  {username:<12} {password:<18} {role}")


@portal_cli.command("create-admin")
@click.argument("username")
@click.option("--name", "display_name", help="The full name shown to others (default: USERNAME).")
def create_admin_command(username: str, display_name: str | None) -> None:
    """Create an administrator account, e.g. the first one of a new database.

    The password is asked twice on the terminal, never taken from the command line (where the
    shell's history and the process list would keep it). Exit 1 when the username is taken.
    """
    import re

    from portal.core.extensions import db
    from portal.features.admin.operations import (
        USERNAME_PATTERN,
        create_staff_user,
        username_owner,
    )
    from portal.features.auth.passwords import MIN_LENGTH

    if not re.fullmatch(USERNAME_PATTERN, username):
        raise click.ClickException(
            f"{username!r} is no username: use 3 to 40 letters, digits, dots, dashes or underscores"
        )
    if username_owner(username) is not None:
        raise click.ClickException(f"the username {username} is taken: choose another")

    def long_enough(password: str) -> str:
        if len(password) < MIN_LENGTH:
            raise click.BadParameter(f"use at least {MIN_LENGTH} characters")
        return password

    password = click.prompt(
        "Password", hide_input=True, confirmation_prompt=True, value_proc=long_enough
    )
    user = create_staff_user(
        username=username,
        display_name=(display_name or username).strip() or username,
        staff_role="admin",
        agency_id=None,
        password=password,
        actor=None,
        via="command line",
    )
    db.session.commit()
    click.echo(f"administrator {user.username} created: sign in at /login")


@portal_cli.command("check-deploy")
def check_deploy_command() -> None:
    """Report unsafe settings for a production deployment; exit 1 when there are any."""
    problems = deploy_problems(current_app.config)
    for problem in problems:
        click.echo(f"UNSAFE: {problem}")
    if problems:
        sys.exit(1)
    click.echo("no problems found")


@portal_cli.command("compile-translations")
def compile_translations_command() -> None:
    """Build the .mo files from translations/*/LC_MESSAGES/messages.po."""
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "compile",
            "-d",
            str(REPO_ROOT / "translations"),
            "--statistics",
        ],
        check=True,
    )


@portal_cli.command("import")
@click.argument(
    "kind",
    type=click.Choice(
        [
            "list",
            "assessments",
            "persons",
            "payments",
            "collections",
            "agencies",
            "fund-reserve",
            "rates",
        ]
    ),
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--dry-run", is_flag=True, help="Check the file and say what it would do.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def import_command(kind: str, file: str, dry_run: bool, as_json: bool) -> None:
    """Import the departments' list, assessments, persons, payments or the tax bureau's
    collected figures (collections), or the reference data:
    agencies (with their pooling regions), fund-reserve or rates (CSV or .xlsx).

    FILE may be "-" (or /dev/stdin, a pipe) for standard input. The whole file or nothing:
    exit 0 when it was applied (with --dry-run: would be), 1 when it was refused, with every
    refused row.
    """
    import json

    from portal.core.extensions import db
    from portal.features.imports.operations import import_file
    from portal.features.imports.presenting import outcome_json, problem_lines

    interactive = sys.stderr.isatty()

    def progress(rows: int) -> None:  # in place on a terminal, a line each batch in a log
        if not as_json:
            click.echo(
                f"{chr(13) if interactive else ''}  {rows:,} rows read",
                err=True,
                nl=not interactive,
            )

    with _import_source(file) as source:
        outcome, _record = import_file(kind, source, dry_run=dry_run, progress=progress)
    db.session.commit()
    if as_json:
        click.echo(json.dumps(outcome_json(outcome), ensure_ascii=False))
    else:
        for line in problem_lines(outcome):
            click.echo(line)
    sys.exit(1 if outcome.is_refused else 0)


@contextmanager
def _import_source(file: str) -> Iterator[Source]:
    """The file to import, readable more than once (it is checked, then applied). A regular file
    is read where it is; standard input ("-", /dev/stdin) or another pipe can be read only once,
    so it is copied to a temporary file first, named .xlsx when it is a zip archive."""
    import os
    import shutil
    import stat
    import tempfile

    from portal.features.imports.reader import Source

    if file != "-" and stat.S_ISREG(os.stat(file).st_mode):
        yield Source.from_path(file)
        return
    with tempfile.TemporaryDirectory(prefix="portal-import-") as folder:
        copy = os.path.join(folder, "stdin")
        with open(copy, "wb") as out:
            with click.open_file(file, "rb") as stream:  # "-": standard input, kept open
                shutil.copyfileobj(stream, out)
        with open(copy, "rb") as stream:
            is_zip = stream.read(4) == b"PK\x03\x04"
        name = "stdin.xlsx" if is_zip else "stdin.csv"
        yield Source(name, lambda: open(copy, "rb"))  # noqa: SIM115 - the reader closes it
