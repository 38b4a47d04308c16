"""`deskapp sla`: business-calendar arithmetic."""

from __future__ import annotations

import click

from deskapp.cli.common import calendar_dirs, db_option, fail, main


@main.group()
def sla() -> None:
    """Business-calendar arithmetic."""


_calendar_option = click.option(
    "--calendar",
    "calendar",
    required=True,
    metavar="NAME_OR_PATH",
    help="24x7, a shipped calendar name (office), or a calendar TOML file.",
)


@sla.command()
@_calendar_option
@click.option("--start", required=True, help="ISO 8601; without an offset, in the calendar's zone.")
@click.option("--minutes", required=True, type=float, help="Working minutes.")
@click.option(
    "--provisional",
    is_flag=True,
    help="Past the calendar's holiday data, count its weekly hours instead of refusing "
    "(the live desk does this and marks such due times provisional).",
)
@db_option
def due(calendar: str, start: str, minutes: float, provisional: bool, db_url: str | None) -> None:
    """Print the instant by which MINUTES of working time have passed since START."""
    from deskapp.calendar import CalendarError
    from deskapp.calendar_files import format_due

    try:
        click.echo(format_due(calendar, start, minutes, calendar_dirs(), provisional=provisional))
    except (CalendarError, ValueError) as exc:
        fail(str(exc))


@sla.command()
@_calendar_option
@click.option("--start", required=True)
@click.option("--end", required=True)
@db_option
def elapsed(calendar: str, start: str, end: str, db_url: str | None) -> None:
    """Print the working minutes between START and END."""
    from deskapp.calendar import CalendarError
    from deskapp.calendar_files import format_elapsed

    try:
        click.echo(format_elapsed(calendar, start, end, calendar_dirs()))
    except (CalendarError, ValueError) as exc:
        fail(str(exc))
