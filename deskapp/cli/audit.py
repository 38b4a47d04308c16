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
    """Recompute the hash chain, every sealed row and every evidence file's SHA-256; exit 1
    naming the first broken event, each row changed, added or deleted outside the desk (and
    the columns that changed), or each evidence file changed or missing. With --anchor, also
    check that the anchored event is still in the log with its hash."""
    from deskapp.anchor import AnchorError, check_anchor, load_key
    from deskapp.config import load_settings
    from deskapp.evidence_check import check_evidence
    from deskapp.seal_check import check_rows, snapshot_engine
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
    with read_session(snapshot_engine(engine_for(db_url))) as session:
        result, rows = check_rows(session)
        checked = check_anchor(session, anchor, key) if anchor is not None and key else None
        files = check_evidence(session, load_settings().evidence) if result.ok else None
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
    for event_id, at, count in rows.baselines:
        click.echo(
            f"baseline: {count} rows sealed as found, event {event_id} ({at:%Y-%m-%d %H:%M})"
        )
    if len(rows.baselines) > 1:
        click.echo(
            "rows NOT proven: sealing began more than once; a later baseline hides what "
            "changed before it",
            err=True,
        )
    if rows.problems:
        total = len(rows.problems) + rows.unlisted
        click.echo(f"rows NOT as sealed: {total} of {rows.rows}", err=True)
        for problem in rows.problems:
            click.echo(f"  {problem.describe()}", err=True)
        if rows.unlisted:
            click.echo(f"  … and {rows.unlisted} more", err=True)
    if rows.ok:
        click.echo(f"rows as sealed: {rows.rows}")
    assert files is not None  # read whenever the chain is intact
    if files.problems:
        total = len(files.problems) + files.unlisted
        click.echo(f"evidence files NOT as attached: {total}", err=True)
        for found in files.problems:
            click.echo(f"  {found.describe()}", err=True)
        if files.unlisted:
            click.echo(f"  … and {files.unlisted} more", err=True)
    else:
        click.echo(f"evidence files as attached: {files.files}")
    if not rows.ok or not files.ok:
        sys.exit(1)


@audit.command()
@db_option
def baseline(db_url: str | None) -> None:
    """Seal the rows already there, once, where `deskapp db upgrade` has not (it does this
    itself after its migrations); refused once sealing has begun."""
    from deskapp.seals import begin_sealing
    from store.engine import write_session

    with write_session(engine_for(db_url)) as session:
        count = begin_sealing(session)
    if count is None:
        fail("row seals began already; a second baseline would hide what changed since")
    click.echo(f"sealed {count} rows as they are now; `deskapp audit verify` checks them")


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
