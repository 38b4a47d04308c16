"""`deskapp attach`: evidence files attached from scripts (a scanner's folder, a mail robot).

The files are attached for a staff account, as at the desk: `--as LOGIN` with its password
(asked on the terminal, or the first line of standard input with `--password-stdin`; checked
as a sign-in is, so failures count towards the lock-out), or `--os-user` for the account named
like the operating-system user running the command (the uid is trusted, as by `run
--os-user`). The account must be allowed to attach to the case.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from deskapp.cli.common import db_option, fail, main, open_desk


@main.command()
@db_option
@click.argument("number")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--note", default="", help="A short note kept with each file (at most 500).")
@click.option("--as", "as_login", metavar="LOGIN", default=None, help="The staff account.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the --as password from the first line of standard input (for scripts).",
)
@click.option(
    "--os-user",
    is_flag=True,
    help="Act as the account named like the operating-system user running this.",
)
def attach(
    db_url: str | None,
    number: str,
    paths: tuple[Path, ...],
    note: str,
    as_login: str | None,
    password_stdin: bool,
    os_user: bool,
) -> None:
    """Attach the files at PATHS to case NUMBER, each kept by its SHA-256 and recorded in the
    audit chain; prints each file's hash. Exit 2 if any file was refused (the others are
    attached)."""
    from deskapp.auth import os_login, sign_in, sign_in_os_user
    from deskapp.cases import Desk
    from deskapp.errors import DeskError
    from deskapp.evidence import human_size

    if (as_login is None) == (not os_user):
        fail("say who attaches: --as LOGIN or --os-user")
    settings, _language, engine = open_desk(db_url, None)
    try:
        if os_user:
            staff = sign_in_os_user(engine, os_login())
        else:
            assert as_login is not None
            staff = sign_in(engine, as_login, _password(as_login, password_stdin))
    except DeskError as exc:  # a wrong password, a locked or unknown account
        fail(f"{as_login or 'the operating-system user'}: {exc}")
    desk = Desk(engine, settings)
    actor = desk.actor(staff.login)
    case = number.strip().upper()
    refused = 0
    for path in paths:
        try:
            done = desk.attach_file(actor, case, path, note=note)
        except DeskError as exc:
            click.echo(f"deskapp: {path}: {exc}", err=True)
            refused += 1
            continue
        click.echo(
            f"{case} #{done.attachment_id} {done.file_name} ({human_size(done.size)}, "
            f"{done.media_type}) sha256 {done.sha256}"
        )
    if refused:
        sys.exit(2)


def _password(login: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    return str(click.prompt(f"password for {login}", hide_input=True, err=True))
