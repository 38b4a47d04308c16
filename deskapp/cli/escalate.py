"""`deskapp escalate`: the escalation ladder's sweep without a desk open, for cron or a
systemd timer (`--once`) or as a small service of its own (`--watch`)."""

from __future__ import annotations

import click

from deskapp.cli.common import database_trouble, db_option, main, open_desk, repeat


@main.command()
@db_option
@click.option(
    "--once",
    "mode",
    flag_value="once",
    default=True,
    help="One sweep, then exit (the default): for cron or a systemd timer.",
)
@click.option(
    "--watch", "mode", flag_value="watch", help="Sweep every --every seconds until stopped."
)
@click.option(
    "--every",
    type=click.FloatRange(min=1.0),
    default=30.0,
    show_default=True,
    help="Seconds between sweeps with --watch.",
)
@click.option("--quiet", is_flag=True, help="Print only failures.")
def escalate(db_url: str | None, mode: str, every: float, quiet: bool) -> None:
    """Reach the people whose escalation rung has come: the assignee when a milestone is at
    risk, the department manager when it breaks, the executive when it stays broken (DESIGN.md
    §1). Every running desk sweeps as well; each rung reaches its people once, however many
    desks and sweeps run at once. Exit status: 0, or 1 when a sweep failed."""
    from deskapp.cases import Desk

    settings, _language, engine = open_desk(db_url, None)
    desk = Desk(engine, settings)
    failed = repeat(mode, every, lambda: _sweep_once(desk, quiet))
    engine.dispose()
    raise SystemExit(1 if failed and mode == "once" else 0)


def _sweep_once(desk: object, quiet: bool) -> bool:
    """One sweep, reported; False when it (or one case in it) failed."""
    from sqlalchemy.exc import DBAPIError

    from deskapp.cases import Desk
    from deskapp.cases.escalations import Sweep

    assert isinstance(desk, Desk)
    try:
        result: Sweep = desk.sweep()
    except DBAPIError as exc:
        database_trouble("escalate", exc, desk.engine)
        return False
    if not quiet:
        for r in result.reached:
            where = f" {r.milestone}" if r.milestone else ""
            click.echo(
                f"{r.number}{where}: level {r.level} ({r.cause}), {len(r.notified)} notified"
            )
        click.echo(f"{len(result.reached)} rung(s) reached")
    for ident in result.failed:
        click.echo(f"deskapp escalate: case id {ident} could not climb (see the log)", err=True)
    return not result.failed
