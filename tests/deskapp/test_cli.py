"""The `deskapp` command: every subcommand takes --db after its name and honours DESKAPP_DB."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from deskapp.cli import main


def _leaves(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command, its module imported as `deskapp` does when it is asked for."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            yield from _leaves(command, (*prefix, name))
        else:
            yield (*prefix, name)


@pytest.mark.parametrize("path", sorted(_leaves(main)), ids=" ".join)
def test_every_subcommand_accepts_db(path: tuple[str, ...]) -> None:
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), name)
        assert found is not None
        command = found
    assert "--db" in {opt for p in command.params for opt in getattr(p, "opts", [])}


def test_db_upgrade_and_current_via_env(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path}/env.db"
    monkeypatch.setenv("DESKAPP_DB", url)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "current"]).exit_code == 1
    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0 and "empty →" in upgraded.output
    assert runner.invoke(main, ["db", "current"]).exit_code == 0
    # --db after the subcommand name wins over the environment.
    other = f"sqlite:///{tmp_path}/other.db"
    assert runner.invoke(main, ["db", "current", "--db", other]).exit_code == 1


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        ("2026-11-23T10:00", "330", "2026-11-23T17:00:00+08:00"),  # across lunch
        ("2026-11-23T09:00", "180", "2026-11-23T12:00:00+08:00"),  # ends at the interval end
        ("2026-11-23T20:00", "30", "2026-11-24T09:30:00+08:00"),  # starts after hours
        ("2026-11-23T02:00:00Z", "60", "2026-11-23T11:00:00+08:00"),  # offset given: UTC
        ("2026-09-30T17:00", "120", "2026-10-08T10:00:00+08:00"),  # over National Day
        ("2026-10-09T17:00", "120", "2026-10-10T10:00:00+08:00"),  # Saturday 调休 workday
    ],
)
def test_sla_due(start: str, minutes: str, expected: str) -> None:
    result = CliRunner().invoke(
        main, ["sla", "due", "--calendar", "office", "--start", start, "--minutes", minutes]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == expected


def test_sla_elapsed_and_errors() -> None:
    runner = CliRunner()
    args = ["sla", "elapsed", "--calendar", "office", "--start", "2026-11-23T08:00"]
    assert runner.invoke(main, [*args, "--end", "2026-11-24T10:00"]).output.strip() == "510"
    bad = runner.invoke(
        main, ["sla", "due", "--calendar", "nowhere", "--start", "2026-11-23", "--minutes", "1"]
    )
    assert bad.exit_code == 2 and "nowhere" in bad.output
    no_data = runner.invoke(
        main,
        ["sla", "due", "--calendar", "office", "--start", "2027-03-01T10:00", "--minutes", "1"],
    )
    assert no_data.exit_code == 2 and "2027" in no_data.output
