"""`deskapp` imports a command's module only when that command is asked for
(`deskapp.cli.common.COMMAND_MODULES`); the table must name every command the modules register,
and only those, or a command would vanish from `--help` or fail to load. And the entry point
holds the garbage collector only for `run` (deskapp.startup)."""

from __future__ import annotations

import gc
import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

import deskapp.cli
from deskapp.cli.common import COMMAND_MODULES, main
from deskapp.startup import hold_collector, let_collector_go

ROOT = Path(__file__).resolve().parents[2]


def test_the_table_names_what_each_module_registers() -> None:
    registered: dict[str, str] = {}
    for info in pkgutil.iter_modules(deskapp.cli.__path__):
        if info.name in ("__main__", "common", "entry"):  # these register no command
            continue
        before = set(main.commands)
        module = importlib.import_module(f"deskapp.cli.{info.name}")
        for name in set(main.commands) - before:
            registered[name] = info.name
        # A module imported earlier (by another test) registered its commands then.
        for name, command in main.commands.items():
            if getattr(command.callback, "__module__", None) == module.__name__:
                registered[name] = info.name
    assert registered == COMMAND_MODULES


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    listed = {
        line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()
    }
    assert listed == set(COMMAND_MODULES)


def test_an_unknown_command_is_refused_by_name() -> None:
    result = CliRunner().invoke(main, ["nonesuch"])
    assert result.exit_code == 2
    assert "No such command 'nonesuch'" in result.output


def test_a_command_loads_only_its_own_module(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from deskapp.cli.entry import run_command\n"
        "sys.argv = ['deskapp', 'sla', 'due', '--help']\n"
        "try:\n    run_command()\nexcept SystemExit:\n    pass\n"
        "import gc\n"
        "print(sorted(m for m in sys.modules if m.startswith('deskapp.cli.')), gc.isenabled())\n"
    )
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    out = (
        subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    assert out == "['deskapp.cli.common', 'deskapp.cli.entry', 'deskapp.cli.sla'] True"


def test_the_collector_is_let_go_once_and_frozen() -> None:
    assert gc.isenabled()
    try:
        hold_collector()
        assert not gc.isenabled()
        let_collector_go()
        assert gc.isenabled()
        frozen = gc.get_freeze_count()
        assert frozen > 0
        let_collector_go()  # idempotent: nothing more is frozen by a second call
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
        gc.enable()
