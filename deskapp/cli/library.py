"""`deskapp library`: search the case library from a shell, and rebuild it after bulk loads."""

from __future__ import annotations

import click

from deskapp.cli.common import db_option, main, open_desk


@main.group()
def library() -> None:
    """The case library (案例库): closed cases with their root cause, remedy and outcome."""


@library.command()
@db_option
@click.argument("query")
@click.option("--limit", type=click.IntRange(1, 50), default=5, show_default=True)
def search(db_url: str | None, query: str, limit: int) -> None:
    """The closed cases most like QUERY (Chinese or English, no word breaks needed): more of
    its words found first, then the more satisfied customer, then the more recent case."""
    from deskapp import library as lib
    from deskapp.cases import Desk

    settings, _lang, engine = open_desk(db_url, None)
    found = lib.similar(Desk(engine, settings=settings), query, limit=limit)
    if not found:
        click.echo("no similar closed case")
        return
    for m in found:
        score = "—" if m.satisfaction is None else f"{m.satisfaction}/5"
        click.echo(f"{m.number}  {m.matched}/{m.asked}  satisfaction {score}  {m.subject}")
        cause = " / ".join(m.root_cause.splitlines())
        click.echo(f"    root cause: {m.root_cause_category or '—'}: {cause or '—'}")
        click.echo(f"    remedy: {m.remedy or '—'}")


@library.command()
@db_option
def rebuild(db_url: str | None) -> None:
    """Enter every closed case afresh (after an import or a demo written in bulk)."""
    from deskapp import library as lib
    from deskapp.cases import Desk

    settings, _lang, engine = open_desk(db_url, None)
    click.echo(f"library: {lib.rebuild(Desk(engine, settings=settings))} closed cases")
