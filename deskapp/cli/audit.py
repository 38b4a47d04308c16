"""`deskapp audit`: check the tamper-evident event log."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from deskapp.cli.common import db_option, engine_for, fail, main


@main.group()
def audit() -> None:
    """Check the tamper-evident event log."""


key_option = click.option(
    "--key",
    "key_path",
    type=click.Path(path_type=Path),
    default=None,
    help="The anchor key file (default: the setting audit_key_file).",
)


def _key_path(given: Path | None) -> Path:
    from deskapp.config import load_settings

    return given or load_settings().audit_key_file


@audit.command()
@db_option
@click.option(
    "--anchor",
    "anchor_file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Also prove the log still extends the head anchored in this file.",
)
@key_option
def verify(db_url: str | None, anchor_file: Path | None, key_path: Path | None) -> None:
    """Recompute the hash chain; exit 1 naming the first broken event. With --anchor, also
    check that the anchored event is still in the log with its anchored hash."""
    from deskapp.anchor import AnchorError, check_anchor, load_key
    from deskapp.audit import verify as do_verify
    from store.engine import read_session

    key = None
    anchor = None
    if anchor_file is not None:
        try:
            key = load_key(_key_path(key_path))
            anchor = json.loads(anchor_file.read_text(encoding="utf-8"))
        except AnchorError as exc:
            fail(str(exc))
        except (OSError, ValueError) as exc:
            fail(f"{anchor_file}: not an anchor file ({exc})")
    with read_session(engine_for(db_url)) as session:
        result = do_verify(session)
        checked = check_anchor(session, anchor, key) if anchor is not None and key else None
    if not result.ok:
        click.echo(
            f"audit chain BROKEN at event {result.broken_id}: {result.reason} "
            f"({result.count} events verified before it)",
            err=True,
        )
        sys.exit(1)
    if checked is not None and not checked.ok:
        click.echo(f"audit chain does NOT extend the anchor: {checked.reason}", err=True)
        sys.exit(1)
    extends = f"; extends the anchor of {anchor['at']}" if anchor is not None else ""
    click.echo(f"audit chain intact: {result.count} events{extends}")


@audit.command()
@key_option
@db_option
def keygen(key_path: Path | None, db_url: str | None) -> None:
    """Make a new anchor key (0600); an existing key file is never overwritten. (--db is
    accepted as on every command; the key never goes near the database.)"""
    from deskapp.anchor import AnchorError, new_key

    path = _key_path(key_path)
    try:
        new_key(path)
    except AnchorError as exc:
        fail(str(exc))
    click.echo(f"wrote a new audit key to {path}; keep a copy where the database is not")


@audit.command()
@db_option
@key_option
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the anchor here (default: standard output).",
)
def anchor(db_url: str | None, key_path: Path | None, output: Path | None) -> None:
    """Sign the chain's current head with the key, for the admin to keep elsewhere."""
    from deskapp import clock
    from deskapp.anchor import AnchorError, load_key, make_anchor
    from store.engine import read_session

    clock.freeze_from_env()
    try:
        key = load_key(_key_path(key_path))
    except AnchorError as exc:
        fail(str(exc))
    with read_session(engine_for(db_url)) as session:
        made = make_anchor(session, key, clock.now())
    text = json.dumps(made, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"anchored event {made['event_id']} at {made['at']} in {output}", err=True)
