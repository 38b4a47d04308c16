"""`deskapp serve`: the same desk in a web browser, through textual-serve.

Each browser session starts its own `deskapp run` (the same program, drawn by Textual's web
driver into xterm.js) and signs in like any other desk: there is no `--os-user` here, since the
web server's account says nothing about who opened the page. The server speaks plain HTTP: beyond
this machine it belongs behind a TLS-terminating, authenticating reverse proxy (docs/browser.md).

Beside the terminal page it serves an upload page per session (`deskapp.uploads`): a file on
the person's computer cannot be named by a path that the desk, running here, can read.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import sys
from pathlib import Path
from typing import Any

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
    from deskapp import uploads
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
    server = desk_server(
        command,
        upload_root=uploads.make_root(),
        host=host,
        port=port,
        title="deskapp",
        public_url=public_url,
    )
    # Each session's desk makes its inbox under the root and shows the page's address.
    os.environ[uploads.ROOT_ENV] = str(server.upload_root)
    os.environ[uploads.URL_ENV] = server.public_url
    server.serve()


def desk_server(command: str, *, upload_root: Path, **options: Any) -> Any:
    """textual-serve's server with the upload page's routes. aiohttp freezes an application's
    routes when it starts, and textual-serve builds and starts its application in one call, so
    its `_make_app` (the one place between the two) is extended: a textual-serve upgrade that
    renames it fails `tests/deskapp/test_uploads.py`, not silently."""
    from textual_serve.server import Server

    from deskapp import uploads
    from deskapp.config import load_settings

    class DeskServer(Server):
        upload_root: Path

        async def _make_app(self) -> Any:
            app = await super()._make_app()
            app.add_routes(uploads.routes(self.upload_root, load_settings().evidence))
            return app

    server = DeskServer(command, **options)
    server.upload_root = upload_root
    return server


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
