"""`deskapp db`: create and migrate the database."""

from __future__ import annotations

import sys

import click

from deskapp.cli.common import db_option, engine_for, main


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

    engine = engine_for(db_url)
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
    if done.provisional_settled:
        click.echo(
            f"{where}: worked out again the provisional due times of "
            f"{done.provisional_settled} cases (their calendars now know the holidays)"
        )
    if done.rows_baselined is not None:
        click.echo(
            f"{where}: sealed the {done.rows_baselined} rows already there in the audit chain "
            "(row seals begin here; `deskapp audit verify` checks every row from now on)"
        )
    if done.ladder_adopted:
        click.echo(
            f"{where}: the escalation ladder now watches {done.ladder_adopted} open milestones "
            "(rungs they passed before are taken as reached, without notices)"
        )
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

    engine = engine_for(db_url)
    now, head = current_revision(engine), head_revision(engine)
    click.echo(f"current {now or 'none'}, head {head}")
    sys.exit(0 if now == head else 1)


# -- demo data ------------------------------------------------------------------------------
