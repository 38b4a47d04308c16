"""`deskapp calendar`: when each business calendar's holiday data runs out, and what a year of
it looks like, so an admin can act before promises turn provisional and check the dates they
added. `calendar check` exits 1 inside the warning window, for monitoring. `--db` is accepted
as on every command (scripts pass it uniformly); calendars live in files, not the database."""

from __future__ import annotations

import sys
from datetime import date

import click

from deskapp.cli.common import calendar_dirs, db_option, fail, main

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@main.group("calendar")
def calendar_group() -> None:
    """Business calendars: holiday-data horizons and the days of a year."""


@calendar_group.command()
@click.option(
    "--days",
    type=int,
    default=None,
    help="Warn this many days ahead (default: the setting calendar_warning_days, 60).",
)
@db_option
def check(days: int | None, db_url: str | None) -> None:
    """List each calendar the SLA policy uses with the last day it knows holidays for; exit
    1 when one runs out within the warning window."""
    from deskapp import clock, sla
    from deskapp.config import load_settings

    clock.freeze_from_env()
    settings = load_settings()
    window = settings.calendar_warning_days if days is None else days
    policy = sla.load_policy(settings.sla.policy_file, calendar_dirs=settings.sla.calendar_dirs)
    calendars = sla.CalendarSet(settings.sla.calendar_dirs)
    today = clock.now().astimezone(settings.tz).date()
    short = False
    for name in sorted(policy.calendar_names):
        until = calendars.get(name).data_until()
        if until is None:
            click.echo(f"{name}: needs no holiday data")
            continue
        left = (until - today).days
        if left < 0:
            state = "RUN OUT: due times past it are provisional (weekly hours only)"
        elif left < window:
            state = f"WARNING: {left} days left; add next year's holidays and make-up days"
        else:
            state = f"{left} days left"
        short = short or left < window
        click.echo(f"{name}: holidays known until {until.isoformat()} — {state}")
    sys.exit(1 if short else 0)


@calendar_group.command()
@click.argument("name")
@click.option("--year", type=int, default=None, help="Default: this year.")
@db_option
def show(name: str, year: int | None, db_url: str | None) -> None:
    """Print a year of calendar NAME: its hours, working days, holidays and make-up days."""
    from deskapp import clock
    from deskapp.calendar import CalendarDataError, CalendarError
    from deskapp.calendar_files import load_calendar

    clock.freeze_from_env()
    try:
        calendar = load_calendar(name, calendar_dirs())
    except CalendarError as exc:
        fail(str(exc))
    when = year or clock.now().astimezone(calendar.tz).year
    click.echo(f"{calendar.name} ({calendar.tzname}), {when}, from {calendar.source}")
    for day, hours in zip(WEEKDAYS, calendar.weekly_hours(), strict=True):
        shown = " ".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in hours) or "closed"
        click.echo(f"  {day}: {shown}")
    try:
        plan = calendar.year_plan(when)
    except CalendarDataError as exc:
        fail(str(exc))
    click.echo(f"working days: {plan.working_days}")
    click.echo(f"holidays (weekdays off, {len(plan.holidays)}): " + _days(plan.holidays))
    click.echo(
        f"make-up days (weekend days worked, {len(plan.makeup_days)}): " + _days(plan.makeup_days)
    )


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _days(days: tuple[date, ...]) -> str:
    return ", ".join(f"{d.isoformat()} {WEEKDAYS[d.weekday()]}" for d in days) or "none"
