"""`deskapp run`: the desk in this terminal."""

from __future__ import annotations

import sys

import click

from deskapp.cli.common import db_option, fail, main, open_desk


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

    settings, language, engine = open_desk(db_url, lang)
    from deskapp.scripts import ScriptError, ScriptLibrary

    try:
        scripts = ScriptLibrary.load(settings.script_dirs)
    except ScriptError as exc:  # an admin's template edit with a mistake: say where, don't start
        fail(str(exc))
    from deskapp.app import DeskApp
    from deskapp.logs import to_file

    to_file()  # what fails in the background is said on screen and kept, whole, in the log
    app = DeskApp(
        desk=Desk(engine, settings),
        lang=language,
        lang_fixed=lang is not None,
        os_user=os_user,
        demo=is_demo(engine),
        scripts=scripts,
    )
    app.run(mouse=settings.mouse)
    if app.return_code:
        sys.exit(app.return_code)
