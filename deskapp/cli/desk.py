"""`deskapp run`: the desk in this terminal."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from deskapp.cli.common import db_option, fail, main, open_engine, refuse_behind

if TYPE_CHECKING:
    from deskapp.cases import Desk


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
    """Open the desk in this terminal.

    The sign-in screen comes first, painted before the database stack is imported: the desk
    itself (engine, schema check, use cases) is opened by the app in a worker while the person
    types. A database behind this program still stops it, with the same message."""
    import os

    from deskapp import clock
    from deskapp.first_settings import first_settings
    from deskapp.i18n import resolve_language

    clock.freeze_from_env()
    first = first_settings()  # the full settings (pydantic) load with the desk, in a worker
    try:
        language = resolve_language(lang, first.language or None, os.environ)
    except ValueError as exc:
        fail(str(exc))
    from deskapp.scripts import ScriptError, ScriptLibrary

    try:
        scripts = ScriptLibrary.load(first.script_dirs)
    except ScriptError as exc:  # an admin's template edit with a mistake: say where, don't start
        fail(str(exc))
    from deskapp.app import DeskApp
    from deskapp.logs import to_file

    def open_the_desk() -> Desk:
        from deskapp.cases import Desk
        from deskapp.config import load_settings

        return Desk(open_engine(db_url), load_settings())

    to_file()  # what fails in the background is said on screen and kept, whole, in the log
    app = DeskApp(
        desk=open_the_desk,
        lang=language,
        lang_fixed=lang is not None,
        os_user=os_user,
        scripts=scripts,
        settings=first,
    )
    app.run(mouse=first.mouse)
    if app.startup_error is not None:
        from store.migrate import SchemaBehindError

        if isinstance(app.startup_error, SchemaBehindError):
            refuse_behind(db_url, app.startup_error)
        raise app.startup_error
    if app.return_code:
        sys.exit(app.return_code)
