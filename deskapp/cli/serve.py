"""`deskapp serve`: the same desk in a web browser, through textual-serve.

Each browser session starts its own `deskapp run` (the same program, drawn by Textual's web
driver into xterm.js) and signs in like any other desk: there is no `--os-user` here, since the
web server's account says nothing about who opened the page. The server speaks plain HTTP: beyond
this machine it belongs behind a TLS-terminating, authenticating reverse proxy (docs/browser.md).
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import sys

import click

from deskapp.cli.common import db_option, main, open_desk


@main.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--lang", default=None, help="zh or en (default: config, then the locale).")
@click.option(
    "--public-url",
    default=None,
    help="The address browsers use, when a proxy stands in front (e.g. https://desk.example.com).",
)
def serve(
    db_url: str | None, host: str, port: int, lang: str | None, public_url: str | None
) -> None:
    """Serve the desk to web browsers (one desk process per browser session)."""
    from textual_serve.server import Server

    from store.engine import resolve_url

    # The database is checked once here, so a schema behind this program stops the server with
    # the command to run instead of failing every browser session.
    _settings, language, engine = open_desk(db_url, lang)
    engine.dispose()
    # Each session's desk inherits the URL through the environment, not its command line,
    # where any local user could read a password in it.
    os.environ["DESKAPP_DB"] = resolve_url(db_url)
    command = shlex.join([sys.executable, "-m", "deskapp.cli", "run", "--lang", language])
    if not _is_loopback(host):
        click.echo(
            f"warning: serving on {host} without TLS or authentication of its own; put an "
            "authenticating HTTPS proxy in front of it (docs/browser.md)",
            err=True,
        )
    Server(command, host=host, port=port, title="deskapp", public_url=public_url).serve()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
