"""`deskapp notice`: a case's dispatch notice as Markdown."""

from __future__ import annotations

import click

from deskapp.cli.common import db_option, fail, main, open_desk


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

    settings, language, engine = open_desk(db_url, lang)
    try:
        text = render_notice(Desk(engine, settings), number.strip().upper(), language)
    except NotFound:
        fail(f"no complaint {number} in {describe(resolve_url(db_url))}")
    click.echo(text, nl=False)
