"""`deskapp demo`: a realistic demo desk."""

from __future__ import annotations

import sys

import click

from deskapp.cli.common import db_option, engine_for, main


@main.command()
@db_option
@click.option("--cases", default=500, show_default=True, help="How many complaints.")
@click.option("--seed", default=7, show_default=True, help="Random seed (same seed, same desk).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the desk already has staff.")
@click.option(
    "--all-open",
    is_flag=True,
    help="Every case open, as load tests want (default: a working day, most cases closed).",
)
def demo(db_url: str | None, cases: int, seed: int, if_empty: bool, all_open: bool) -> None:
    """Fill a database with a realistic demo desk (accounts use the password `demo`)."""
    from deskapp.demo import generate, has_staff
    from store.migrate import upgrade as do_upgrade

    engine = engine_for(db_url)
    do_upgrade(engine)
    if if_empty and has_staff(engine):
        click.echo("demo: the desk already has data; left as it is")
        return
    # On stderr, so that what the command prints on stdout stays the one line it always was.
    with click.progressbar(length=cases, label="demo", file=sys.stderr) as bar:
        stats = generate(engine, cases=cases, seed=seed, all_open=all_open, progress=bar.update)
    click.echo(
        f"demo: {stats.cases} cases, {stats.customers} customers, {stats.staff} staff, "
        f"{stats.events} events in {stats.seconds:.1f} s "
        f"({stats.cases / max(stats.seconds, 1e-9):,.0f} cases/s)"
    )


# -- service levels -------------------------------------------------------------------------
