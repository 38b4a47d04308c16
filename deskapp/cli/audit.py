"""`deskapp audit`: check the tamper-evident event log."""

from __future__ import annotations

import sys

import click

from deskapp.cli.common import db_option, engine_for, main


@main.group()
def audit() -> None:
    """Check the tamper-evident event log."""


@audit.command()
@db_option
def verify(db_url: str | None) -> None:
    """Recompute the hash chain; exit 1 naming the first broken event."""
    from deskapp.audit import verify as do_verify
    from store.engine import read_session

    with read_session(engine_for(db_url)) as session:
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
