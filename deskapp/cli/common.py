"""What every subcommand of `deskapp` shares: the group itself, the --db option, opening the
desk. The group's help (below) is what people read in `deskapp --help`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from deskapp.config import Settings

HELP = """The complaint desk (投诉处理台).

Every subcommand takes `--db URL` after its name and falls back to DESKAPP_DB, then to the
SQLite file in the user data directory. Settings come from, highest first: options, DESKAPP_*
environment variables (nested with `__`), the TOML file named by DESKAPP_CONFIG or
<user config dir>/deskapp/config.toml, then built-in defaults.
"""

F = TypeVar("F", bound=Callable[..., Any])

#: Where each top-level command lives. A command's module is imported only when that command
#: runs (or `--help` lists them all): `deskapp run` paints its sign-in screen sooner without
#: the other sixteen modules, and `tests/deskapp/test_cli_commands.py` checks this table
#: against what the modules register.
COMMAND_MODULES = {
    "attach": "evidence",
    "audit": "audit",
    "calendar": "calendars",
    "db": "database",
    "demo": "demo",
    "dept": "people",
    "escalate": "escalate",
    "export": "export",
    "import": "importing",
    "init": "people",
    "keys": "docs",
    "library": "library",
    "mail": "mail",
    "notice": "notice",
    "permissions": "docs",
    "report": "report",
    "run": "desk",
    "serve": "serve",
    "sla": "sla",
    "user": "people",
}


def _escaped(arg: str) -> bool:
    """Whether every lone surrogate in `arg` stands for a byte (Python's surrogateescape)."""
    try:
        arg.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return True


class LazyGroup(click.Group):
    """A group whose commands register themselves (`@main.command()`) when their module is
    imported, which happens the first time the command is looked up."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Arguments that are not text are refused before anything reads them: Python hands
        bytes that are not UTF-8 over as lone surrogates, which no database stores."""
        for arg in args:
            if "\x00" in arg:  # no shell passes one; a program calling us might
                fail(f"the argument {arg!a} holds a NUL character")
            try:
                arg.encode("utf-8")
            except UnicodeEncodeError:
                raw = arg.encode("utf-8", "surrogateescape") if _escaped(arg) else b""
                shown = raw.decode("utf-8", "backslashreplace") if raw else ascii(arg)[1:-1]
                fail(f"the argument «{shown}» is not valid UTF-8 text")
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMAND_MODULES) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            import importlib

            importlib.import_module(f"deskapp.cli.{COMMAND_MODULES[cmd_name]}")
        return self.commands.get(cmd_name)


db_option = click.option(
    "--db",
    "db_url",
    metavar="URL",
    default=None,
    help="Database URL (sqlite:///path.db or postgresql+psycopg://user@host/db). "
    "Default: $DESKAPP_DB, else a SQLite file in the user data directory.",
)


def engine_for(db_url: str | None) -> Any:
    from store.engine import make_engine

    return make_engine(db_url)


def fail(message: str) -> NoReturn:
    click.echo(f"deskapp: {message}", err=True)
    sys.exit(2)


@click.group(
    cls=LazyGroup,
    help=HELP,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="deskapp")
@click.pass_context
def main(ctx: click.Context) -> None:
    if ctx.invoked_subcommand != "run":  # `run` lets the collector go once the desk is open
        from deskapp.startup import let_collector_go

        let_collector_go()


def open_desk(db_url: str | None, lang: str | None) -> tuple[Settings, str, Engine]:
    """(settings, language, engine) for a command that reads the desk: a language named by
    mistake or a database behind this program stops it with the reason, before any work."""
    from store.migrate import SchemaBehindError

    settings, language = settle_in(lang)
    try:
        engine = open_engine(db_url)
    except SchemaBehindError as exc:
        refuse_behind(db_url, exc)
    return settings, language, engine


def settle_in(lang: str | None) -> tuple[Settings, str]:
    """(settings, language), without touching the database (nor importing its libraries): a
    language named by mistake stops the command."""
    import os

    from deskapp import clock
    from deskapp.config import load_settings
    from deskapp.i18n import resolve_language

    clock.freeze_from_env()
    settings = load_settings()
    try:
        language = resolve_language(lang, settings.language or None, os.environ)
    except ValueError as exc:
        fail(str(exc))
    return settings, language


def open_engine(db_url: str | None) -> Engine:
    """The desk's engine, its schema checked: `store.migrate.SchemaBehindError` when the
    database is behind this program (`refuse_behind` says so)."""
    from store.migrate import check_current

    engine: Engine = engine_for(db_url)
    check_current(engine, command_hint=upgrade_hint(db_url))
    return engine


def refuse_behind(db_url: str | None, exc: Exception) -> NoReturn:
    from store.engine import describe, resolve_url

    fail(f"{describe(resolve_url(db_url))}: {exc}")


def upgrade_hint(db_url: str | None) -> str:
    return "deskapp db upgrade" + (f" --db {db_url}" if db_url else "")


def calendar_dirs() -> list[Any]:
    from deskapp.config import load_settings

    return list(load_settings().sla.calendar_dirs)


def repeat(mode: str, every: float, once: Callable[[], bool]) -> bool:
    """`once` now and, with `mode` "watch", every `every` seconds until SIGTERM or SIGINT: the
    loop `deskapp escalate` and `deskapp mail` share. True when a run failed."""
    import signal
    import threading

    stop = threading.Event()
    if mode == "watch":
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda _signum, _frame: stop.set())
    failed = False
    while True:
        failed = not once() or failed
        if mode == "once" or stop.wait(every):
            return failed


def database_trouble(command: str, exc: Any, engine: Engine) -> None:
    """Say on standard error what is wrong with the database, in the words start-up uses."""
    from store.engine import trouble

    found = trouble(exc, engine)
    said = found.value.replace("_", " ") if found else "failing"
    first = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
    click.echo(f"deskapp {command}: the database is {said}: {first}", err=True)
