"""Documents generated from the code: the key reference and the permission matrix."""

from __future__ import annotations

import click

from deskapp.cli.common import db_option, fail, main


@main.command()
@db_option
@click.option("--check", is_flag=True, help="Exit 2 if docs/keys.md differs from the bindings.")
@click.option("--output", type=click.Path(), default="docs/keys.md", show_default=True)
def keys(db_url: str | None, check: bool, output: str) -> None:
    """Write the key reference (docs/keys.md) from the bindings themselves."""
    from deskapp.app import render_keys

    _generated(render_keys(), output, check, "deskapp keys")


@main.command("permissions")
@db_option
@click.option(
    "--check", is_flag=True, help="Exit 2 if docs/permissions.md differs from the matrix."
)
@click.option("--output", type=click.Path(), default="docs/permissions.md", show_default=True)
def permissions_command(db_url: str | None, check: bool, output: str) -> None:
    """Write the permission matrix (docs/permissions.md) from deskapp/permissions.py."""
    from deskapp.permissions_doc import render as permissions_markdown

    _generated(permissions_markdown(), output, check, "deskapp permissions")


def _generated(text: str, output: str, check: bool, command: str) -> None:
    """Write a document generated from the code, or with `check` only say whether the
    written one is current (for CI and the test that keeps the committed copy honest)."""
    from pathlib import Path

    path = Path(output)
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            fail(f"{output} is out of date; run `{command}`")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}")
