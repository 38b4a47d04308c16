"""`deskapp report`: the monthly or quarterly analysis as Markdown, CSV or JSON."""

from __future__ import annotations

from pathlib import Path

import click

from deskapp.cli.common import db_option, fail, main, open_desk


@main.command()
@db_option
@click.option("--month", metavar="YYYY-MM", help="A calendar month of the desk's time zone.")
@click.option("--quarter", metavar="YYYYQn", help="A quarter, e.g. 2026Q4.")
@click.option("--dept", metavar="CODE", help="One primary department (its code); default all.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "csv", "json"]),
    default="md",
    show_default=True,
    help="Markdown to read, CSV or JSON to compute with (the same numbers).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write here instead of standard output.",
)
def report(
    db_url: str | None,
    month: str | None,
    quarter: str | None,
    dept: str | None,
    fmt: str,
    output: Path | None,
) -> None:
    """The analysis of a month or a quarter against the process's targets (on time ≥ 98 %,
    resolved ≥ 90 %): volume, timeliness per milestone, resolution, time to resolve,
    satisfaction, repeats, root causes, remedies, breaches and escalations, per department
    and per person. Each figure is defined in `deskapp.report`."""
    from deskapp import clock
    from deskapp.cases import Desk
    from deskapp.report import build, parse_period, to_csv, to_json, to_markdown

    if bool(month) == bool(quarter):
        fail("name one period: --month 2026-11 or --quarter 2026Q4")
    try:
        period = parse_period(month or quarter or "")
    except ValueError as exc:
        fail(str(exc))
    settings, _language, engine = open_desk(db_url, None)
    desk = Desk(engine, settings)
    today = clock.now().astimezone(settings.tz).date()
    if period.first > today:
        fail(f"{period.label} has not begun yet (today is {today.isoformat()})")
    department = None
    if dept:
        found = [d for d in desk.departments() if d.code.upper() == dept.strip().upper()]
        if not found:
            codes = ", ".join(sorted(d.code for d in desk.departments())) or "none"
            fail(f"no department {dept!r} (the desk has: {codes})")
        department = found[0].id
    r = build(desk, period, department)
    text = {"md": to_markdown, "csv": to_csv, "json": to_json}[fmt](r)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output} ({period.label}, {r.received} complaints received)", err=True)
    else:
        click.echo(text, nl=False)
