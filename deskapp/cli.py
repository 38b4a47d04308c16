"""The `deskapp` command.

Every subcommand takes `--db URL` after its name and falls back to DESKAPP_DB, then to the
SQLite file in the user data directory. Settings come from, highest first: options, DESKAPP_*
environment variables (nested with `__`), the TOML file named by DESKAPP_CONFIG or
<user config dir>/deskapp/config.toml, then built-in defaults.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from deskapp.config import Settings

F = TypeVar("F", bound=Callable[..., Any])

db_option = click.option(
    "--db",
    "db_url",
    metavar="URL",
    default=None,
    help="Database URL (sqlite:///path.db or postgresql+psycopg://user@host/db). "
    "Default: $DESKAPP_DB, else a SQLite file in the user data directory.",
)


def _engine(db_url: str | None) -> Any:
    from store.engine import make_engine

    return make_engine(db_url)


def _fail(message: str) -> None:
    click.echo(f"deskapp: {message}", err=True)
    sys.exit(2)


@click.group(
    help=__doc__,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="deskapp")
def main() -> None:
    pass


# -- the TUI --------------------------------------------------------------------------------


@main.command()
@db_option
@click.option("--lang", default=None, help="zh or en (default: config, then the locale).")
@click.option(
    "--os-user",
    is_flag=True,
    help="Sign in as the staff account named like the operating-system user "
    "(for an SSH ForceCommand); no password prompt.",
)
def run(db_url: str | None, lang: str | None, os_user: bool) -> None:
    """Open the desk in this terminal."""
    from deskapp.cases import Desk
    from deskapp.overview import is_demo

    settings, language, engine = _open(db_url, lang)
    from deskapp.scripts import ScriptError, ScriptLibrary

    try:
        scripts = ScriptLibrary.load(settings.script_dirs)
    except ScriptError as exc:  # an admin's template edit with a mistake: say where, don't start
        _fail(str(exc))
    from deskapp.app import DeskApp
    from deskapp.logs import to_file

    to_file()  # what fails in the background is said on screen and kept, whole, in the log
    app = DeskApp(
        desk=Desk(engine, settings),
        lang=language,
        os_user=os_user,
        demo=is_demo(engine),
        scripts=scripts,
    )
    app.run(mouse=settings.mouse)
    if app.return_code:
        sys.exit(app.return_code)


@main.command()
@db_option
@click.option("--check", is_flag=True, help="Exit 2 if docs/keys.md differs from the bindings.")
@click.option("--output", type=click.Path(), default="docs/keys.md", show_default=True)
def keys(db_url: str | None, check: bool, output: str) -> None:
    """Write the key reference (docs/keys.md) from the bindings themselves."""
    from deskapp.app import render_keys

    _generated(render_keys(), output, check, "deskapp keys")


@main.command("permissions")
@db_option
@click.option(
    "--check", is_flag=True, help="Exit 2 if docs/permissions.md differs from the matrix."
)
@click.option("--output", type=click.Path(), default="docs/permissions.md", show_default=True)
def permissions_command(db_url: str | None, check: bool, output: str) -> None:
    """Write the permission matrix (docs/permissions.md) from deskapp/permissions.py."""
    from deskapp.permissions_doc import render as permissions_markdown

    _generated(permissions_markdown(), output, check, "deskapp permissions")


def _generated(text: str, output: str, check: bool, command: str) -> None:
    """Write a document generated from the code, or with `check` only say whether the
    written one is current (for CI and the test that keeps the committed copy honest)."""
    from pathlib import Path

    path = Path(output)
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            _fail(f"{output} is out of date; run `{command}`")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}")


@main.command()
@db_option
@click.argument("number")
@click.option("--lang", default=None, help="zh or en (default: config, then the locale).")
def notice(db_url: str | None, number: str, lang: str | None) -> None:
    """Print the dispatch notice (投诉处理通知单) of case NUMBER as Markdown:
    `deskapp notice TS-20261123-0001 > notice.md`."""
    from deskapp.cases import Desk
    from deskapp.errors import NotFound
    from deskapp.notice import render_notice
    from store.engine import describe, resolve_url

    settings, language, engine = _open(db_url, lang)
    try:
        text = render_notice(Desk(engine, settings), number.strip().upper(), language)
    except NotFound:
        _fail(f"no complaint {number} in {describe(resolve_url(db_url))}")
    click.echo(text, nl=False)


def _open(db_url: str | None, lang: str | None) -> tuple[Settings, str, Engine]:
    """(settings, language, engine) for a command that reads the desk: a language named by
    mistake or a database behind this program stops it with the reason, before any work."""
    import os

    from deskapp import clock
    from deskapp.config import load_settings
    from deskapp.i18n import resolve_language
    from store.engine import describe, resolve_url
    from store.migrate import SchemaBehindError, check_current

    clock.freeze_from_env()
    settings = load_settings()
    try:
        language = resolve_language(lang, settings.language or None, os.environ)
    except ValueError as exc:
        _fail(str(exc))
    engine: Engine = _engine(db_url)
    try:
        check_current(engine, command_hint=_upgrade_hint(db_url))
    except SchemaBehindError as exc:
        _fail(f"{describe(resolve_url(db_url))}: {exc}")
    return settings, language, engine


def _upgrade_hint(db_url: str | None) -> str:
    return "deskapp db upgrade" + (f" --db {db_url}" if db_url else "")


# -- database -------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Create and migrate the database."""


@db.command()
@db_option
def upgrade(db_url: str | None) -> None:
    """Apply every migration the database lacks."""
    from store.engine import describe, resolve_url
    from store.migrate import current_revision, head_revision
    from store.migrate import upgrade as do_upgrade

    engine = _engine(db_url)
    before = current_revision(engine)
    do_upgrade(engine)
    after = current_revision(engine)
    where = describe(resolve_url(db_url))
    if before == after:
        click.echo(f"{where}: already at {after}")
    else:
        click.echo(f"{where}: {before or 'empty'} → {after} (head {head_revision(engine)})")
    from deskapp.cases import Desk
    from deskapp.upkeep import after_upgrade

    desk = Desk(engine)
    done = after_upgrade(engine, desk.policy, desk.calendars)
    if done.heads_filled:
        click.echo(f"{where}: filled the at-risk time of {done.heads_filled} open cases")
    if done.merges_recorded:
        click.echo(
            f"{where}: merged {done.merges_recorded} duplicate customers "
            "(one phone number written two ways); each merge is an audit event"
        )


@db.command()
@db_option
def current(db_url: str | None) -> None:
    """Print the schema revision; exit 1 when it is behind this program."""
    from store.migrate import current_revision, head_revision

    engine = _engine(db_url)
    now, head = current_revision(engine), head_revision(engine)
    click.echo(f"current {now or 'none'}, head {head}")
    sys.exit(0 if now == head else 1)


# -- demo data ------------------------------------------------------------------------------


@main.command()
@db_option
@click.option("--cases", default=500, show_default=True, help="How many complaints.")
@click.option("--seed", default=7, show_default=True, help="Random seed (same seed, same desk).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the desk already has staff.")
@click.option(
    "--all-open",
    is_flag=True,
    help="Every case open, as load tests want (default: a working day, most cases closed).",
)
def demo(db_url: str | None, cases: int, seed: int, if_empty: bool, all_open: bool) -> None:
    """Fill a database with a realistic demo desk (accounts use the password `demo`)."""
    from deskapp.demo import generate, has_staff
    from store.migrate import upgrade as do_upgrade

    engine = _engine(db_url)
    do_upgrade(engine)
    if if_empty and has_staff(engine):
        click.echo("demo: the desk already has data; left as it is")
        return
    # On stderr, so that what the command prints on stdout stays the one line it always was.
    with click.progressbar(length=cases, label="demo", file=sys.stderr) as bar:
        stats = generate(engine, cases=cases, seed=seed, all_open=all_open, progress=bar.update)
    click.echo(
        f"demo: {stats.cases} cases, {stats.customers} customers, {stats.staff} staff, "
        f"{stats.events} events in {stats.seconds:.1f} s "
        f"({stats.cases / max(stats.seconds, 1e-9):,.0f} cases/s)"
    )


# -- service levels -------------------------------------------------------------------------


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
@db_option
def due(calendar: str, start: str, minutes: float, db_url: str | None) -> None:
    """Print the instant by which MINUTES of working time have passed since START."""
    from deskapp.calendar import CalendarError, format_due

    try:
        click.echo(format_due(calendar, start, minutes, _calendar_dirs()))
    except (CalendarError, ValueError) as exc:
        _fail(str(exc))


@sla.command()
@_calendar_option
@click.option("--start", required=True)
@click.option("--end", required=True)
@db_option
def elapsed(calendar: str, start: str, end: str, db_url: str | None) -> None:
    """Print the working minutes between START and END."""
    from deskapp.calendar import CalendarError, format_elapsed

    try:
        click.echo(format_elapsed(calendar, start, end, _calendar_dirs()))
    except (CalendarError, ValueError) as exc:
        _fail(str(exc))


def _calendar_dirs() -> list[Any]:
    from deskapp.config import load_settings

    return list(load_settings().sla.calendar_dirs)


# -- audit ----------------------------------------------------------------------------------


@main.group()
def audit() -> None:
    """Check the tamper-evident event log."""


@audit.command()
@db_option
def verify(db_url: str | None) -> None:
    """Recompute the hash chain; exit 1 naming the first broken event."""
    from deskapp.audit import verify as do_verify
    from store.engine import read_session

    with read_session(_engine(db_url)) as session:
        result = do_verify(session)
    if result.ok:
        click.echo(f"audit chain intact: {result.count} events")
        return
    click.echo(
        f"audit chain BROKEN at event {result.broken_id}: {result.reason} "
        f"({result.count} events verified before it)",
        err=True,
    )
    sys.exit(1)


if __name__ == "__main__":
    main()
