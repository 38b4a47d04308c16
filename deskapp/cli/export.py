"""`deskapp export cases|audit`: the cases for another tool, the audit chain for an auditor."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import date, datetime, time
from pathlib import Path
from typing import TextIO

import click

from deskapp.cli.common import db_option, fail, main, open_desk


@main.group()
def export() -> None:
    """Export the cases (CSV or JSON lines, customers masked) or the audit chain (JSON lines
    that anyone can verify without the desk: docs/audit-export.md)."""


def _write(chunks: Iterable[str], output: Path | None) -> int:
    """Write the chunks to the file or standard output; returns how many were written."""
    count = 0
    out: TextIO = open(output, "w", encoding="utf-8") if output else sys.stdout  # noqa: SIM115
    try:
        for chunk in chunks:
            out.write(chunk)
            count += 1
    finally:
        if output:
            out.close()
        else:
            out.flush()
    return count


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        fail(f"{option}: not a date (YYYY-MM-DD): {value!r}")


@export.command("cases")
@db_option
@click.option("--since", metavar="YYYY-MM-DD", help="Cases received on or after this day.")
@click.option("--until", metavar="YYYY-MM-DD", help="Cases received before this day.")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
@click.option(
    "--unmasked",
    is_flag=True,
    help="Customers' names, phones and emails in full: needs --as ADMIN, and is recorded.",
)
@click.option("--as", "as_login", metavar="LOGIN", help="The admin account (password asked).")
def export_cases(
    db_url: str | None,
    since: str | None,
    until: str | None,
    fmt: str,
    output: Path | None,
    unmasked: bool,
    as_login: str | None,
) -> None:
    """The cases received in a period (days of the desk's time zone), oldest first, with the
    customers masked as a role without need-to-know sees them."""
    from deskapp import export as ex
    from deskapp.auth import AccountLocked, SignInError
    from deskapp.errors import DeskError
    from deskapp.staff_rules import authenticate_admin

    first, last = _day(since, "--since"), _day(until, "--until")
    if first and last and last <= first:
        fail("--until must come after --since")
    settings, _language, engine = open_desk(db_url, None)
    tz = settings.tz
    admin = None
    if unmasked:
        if not as_login:
            fail("--unmasked needs --as ADMIN: customers' details leave the desk only so")
        password = click.prompt(f"password for {as_login}", hide_input=True, err=True)
        try:
            admin = authenticate_admin(engine, as_login, password)
        except (SignInError, AccountLocked, DeskError) as exc:
            fail(f"--as {as_login}: {exc}")
    start = datetime.combine(first, time(0), tzinfo=tz) if first else None
    end = datetime.combine(last, time(0), tzinfo=tz) if last else None
    rows = ex.cases(engine, start, end, unmasked=unmasked, tz=tz)
    chunks = ex.as_csv(rows) if fmt == "csv" else ex.as_jsonl(rows)
    written = _write(chunks, output) - (1 if fmt == "csv" else 0)
    if admin is not None and admin.admin_id is not None:
        ex.record_unmasked(
            engine, admin.admin_id, admin.os_user, since or "", until or "", written, fmt
        )
    click.echo(f"exported {written} cases{' unmasked' if unmasked else ''}", err=True)


@export.command("audit")
@db_option
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
def export_audit(db_url: str | None, fmt: str, output: Path | None) -> None:
    """Every event of the audit chain with its hashes, one JSON object a line, in chain order:
    verifiable offline by the procedure in docs/audit-export.md."""
    from deskapp import export as ex

    _settings, _language, engine = open_desk(db_url, None)
    written = _write(ex.audit_lines(engine), output)
    click.echo(f"exported {written} events ({fmt})", err=True)
