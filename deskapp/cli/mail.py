"""`deskapp mail`: send the letters whose time has come without a desk open, for cron or a
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
    help="One look at the outbox, then exit (the default): for cron or a systemd timer.",
)
@click.option(
    "--watch", "mode", flag_value="watch", help="Look every --every seconds until stopped."
)
@click.option(
    "--every",
    type=click.FloatRange(min=1.0),
    default=30.0,
    show_default=True,
    help="Seconds between looks with --watch.",
)
@click.option("--quiet", is_flag=True, help="Print only failures.")
def mail(db_url: str | None, mode: str, every: float, quiet: bool) -> None:
    """Send the written confirmations waiting in the outbox through the SMTP server in the
    config ([smtp] host, port, username, sender; the password from DESKAPP_SMTP_PASSWORD or
    smtp.password_file). A letter the server does not take now is tried again later, waiting
    longer each time; one it refuses for good (5xx) is marked failed. Every running desk sends
    as well; each letter goes once, however many send at once. Exit status: 0, or 1 when a
    letter failed for good or the database could not be read."""
    from deskapp.cases import Desk

    settings, _language, engine = open_desk(db_url, None)
    if not settings.smtp.host:
        click.echo(
            "deskapp mail: no SMTP server configured (smtp.host); letters are written to "
            f"{settings.smtp.outbox_dir} when they are made",
            err=True,
        )
    desk = Desk(engine, settings)
    failed = repeat(mode, every, lambda: _send_once(desk, quiet))
    engine.dispose()
    raise SystemExit(1 if failed and mode == "once" else 0)


def _send_once(desk: object, quiet: bool) -> bool:
    """One look at the outbox, reported; False when a letter failed for good or the
    database could not be read."""
    from sqlalchemy.exc import DBAPIError

    from deskapp.cases import Desk

    assert isinstance(desk, Desk)
    try:
        done = desk.deliver_due()
    except DBAPIError as exc:
        database_trouble("mail", exc, desk.engine)
        return False
    if not quiet:
        for message_id in done.sent:
            click.echo(f"sent {message_id}")
        for message_id, why in done.retrying:
            click.echo(f"queued {message_id}: {why} (tried again later)")
        click.echo(f"{len(done.sent)} sent, {len(done.retrying)} still queued")
    for message_id, why in done.failed:
        click.echo(f"deskapp mail: {message_id} failed: {why}", err=True)
    return not done.failed
