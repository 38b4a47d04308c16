"""`deskapp import FILE`: bring in the complaints an organisation already has (docs/import.md).

Exit status: 0 when every record imported (or was already there), 1 when some records were
bad (listed on stderr; the others imported unless --all-or-nothing), 2 when the file as a
whole could not be imported.
"""

from __future__ import annotations

import sys
from datetime import tzinfo
from pathlib import Path

import click

from deskapp.cli.common import db_option, fail, main, open_desk

#: Bad records listed in full; the rest are counted.
SHOWN_BAD = 20


@main.command("import")
@db_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    default="auto",
    show_default=True,
    help="auto (the built-in mapping that fits the header), a built-in name (cfpb), "
    "or a mapping file NAME.toml.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be imported; write nothing.")
@click.option(
    "--encoding",
    type=click.Choice(["auto", "utf-8", "gb18030"]),
    default="auto",
    show_default=True,
    help="auto detects (UTF-8, GBK/GB18030, …); gb18030 also reads GBK and GB2312.",
)
@click.option(
    "--date-format",
    default=None,
    metavar="FORMAT",
    help="When the dates are ambiguous: YYYY-MM-DD, M/D/YY, M/D/YYYY, D/M/YY, D/M/YYYY, "
    "DD-MM-YYYY, MM-DD-YYYY, DD.MM.YYYY, YYYY/MM/DD.",
)
@click.option(
    "--all-or-nothing", is_flag=True, help="Import nothing if any record is bad (one transaction)."
)
@click.option(
    "--owner",
    default=None,
    metavar="LOGIN",
    help="Staff account that owns the imported cases (default: the inactive `import` account).",
)
@click.option(
    "--status-default",
    type=click.Choice(["open", "closed"]),
    default=None,
    help="What a file without a status column holds (default: the mapping's; cfpb: closed).",
)
def import_command(
    db_url: str | None,
    file: Path,
    mapping: str,
    dry_run: bool,
    encoding: str,
    date_format: str | None,
    all_or_nothing: bool,
    owner: str | None,
    status_default: str | None,
) -> None:
    """Import complaints from FILE (CSV or tab-separated), e.g. a CFPB export.

    Closed records import closed with their own dates and stay out of the live queue;
    open ones get milestones from their received date. Importing a file again adds nothing.
    """
    from deskapp.cases import Desk
    from deskapp.importing import ImportFailed, ImportOptions, os_user, run_import

    settings, _, engine = open_desk(db_url, "en")
    desk = Desk(engine, settings)
    options = ImportOptions(
        mapping=mapping,
        encoding=encoding,
        date_format=date_format,
        default_status=status_default,
        all_or_nothing=all_or_nothing,
        dry_run=dry_run,
        owner=owner,
    )
    shown = sys.stderr.isatty()

    def progress(phase: str, done: int, total: int) -> None:
        # On stderr and only at a terminal, so what stdout says stays the report alone.
        if shown and phase == "writing":
            click.echo(f"\rimport: {done}/{total} written", nl=False, err=True)

    try:
        report = run_import(
            engine,
            file,
            options,
            settings=settings,
            policy=desk.policy,
            calendars=desk.calendars,
            os_user=os_user(),
            progress=progress,
        )
    except (ImportFailed, ValueError) as exc:
        fail(f"import {file.name}: {exc}")
        return
    if shown and report.imported:
        click.echo(err=True)
    _print(report, settings.tz)
    sys.exit(0 if report.ok else 1)


def _print(report: object, tz: tzinfo) -> None:
    from deskapp.display import one_line
    from deskapp.importing import ImportReport

    assert isinstance(report, ImportReport)
    r = report
    click.echo(
        f"{Path(r.file).name}: {r.records} records, {r.encoding}, {r.delimiter}-separated, "
        f"dates {r.date_format or '–'}, mapping {r.mapping} (source {r.source})"
    )
    for note in r.notes:
        click.echo(f"  note: {note}")
    if r.dry_run:
        verb = "would import"
        count = r.would_import
    else:
        verb = "imported"
        count = r.imported
    click.echo(
        f"{verb} {count} ({r.open_cases} open, {r.closed_cases} closed); "
        f"already on the desk {r.already}; repeated in the file {len(r.duplicates)}; "
        f"bad {len(r.bad)}"
    )
    if r.refused:
        click.echo("nothing imported: --all-or-nothing and the file has bad records", err=True)
    for bad in r.bad[:SHOWN_BAD]:
        click.echo(f"  line {bad.line}: {one_line(bad.reason)}", err=True)
    if len(r.bad) > SHOWN_BAD:
        click.echo(f"  … and {len(r.bad) - SHOWN_BAD} more bad records", err=True)
    for line, first in r.duplicates[:SHOWN_BAD]:
        click.echo(f"  line {line}: same complaint id as line {first}; skipped")
    if r.dry_run and r.sample:
        click.echo("sample:")
        for case in r.sample:
            closed = case.closed_at.astimezone(tz).date() if case.closed_at else None
            state = f"closed {closed.isoformat()}" if closed else "open"
            received = case.received_at.astimezone(tz).date().isoformat()
            click.echo(
                f"  line {case.line}: {case.external_id} · received {received} · {state} · "
                f"{case.channel} · "
                f"{case.category} · {one_line(case.subject)[:60]} · {one_line(case.customer_name)}"
            )
