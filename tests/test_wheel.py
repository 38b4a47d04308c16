"""The desk as an organisation installs it: a wheel (not an editable install) in a new virtual
environment outside the source tree. A hand-kept package list once left `screens.dialogs`, and
later `deskapp.cli`, out of the wheel; every module is imported from the installed copy here, and
the first commands an admin runs are run with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

#: Imports every module of the four packages and says where each came from.
IMPORT_ALL = """
import importlib, pkgutil, sys
for top in ("deskapp", "screens", "widgets", "store"):
    package = importlib.import_module(top)
    for info in pkgutil.walk_packages(package.__path__, top + "."):
        # __main__ runs the command line; the migrations are Alembic's to load (db upgrade).
        if info.name.endswith(".__main__") or info.name.startswith("store.migrations."):
            continue
        module = importlib.import_module(info.name)
        print(module.__file__)
"""


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_a_wheel_installed_in_a_new_venv_is_a_complete_desk(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DESKAPP_", "PYTHON", "VIRTUAL"))
    }
    env |= {
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "DESKAPP_DB": f"sqlite:///{tmp_path}/desk.db",
    }
    wheels = tmp_path / "wheels"
    _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        tmp_path,
        env,
    )
    (wheel,) = wheels.glob("deskapp-*.whl")
    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    bin_dir = target / "bin"
    _run([str(bin_dir / "pip"), "install", "-q", str(wheel)], tmp_path, env)

    # Every module imports, from the installed copy and never from the source tree.
    files = _run([str(bin_dir / "python"), "-c", IMPORT_ALL], tmp_path, env).split()
    assert any(f.endswith("screens/dialogs/__init__.py") for f in files)
    assert any(f.endswith("deskapp/cli/__init__.py") for f in files)
    assert all(f.startswith(str(target)) for f in files), [f for f in files if str(ROOT) in f]

    deskapp = str(bin_dir / "deskapp")
    assert "version 0.1.0" in _run([deskapp, "--version"], tmp_path, env)
    assert "empty →" in _run([deskapp, "db", "upgrade"], tmp_path, env)
    assert "50 cases" in _run([deskapp, "demo", "--cases", "50"], tmp_path, env)
    due_at = ["--calendar", "office", "--start", "2026-11-23T10:00", "--minutes", "480"]
    due = _run([deskapp, "sla", "due", *due_at], tmp_path, env)
    assert due.strip() == "2026-11-24T10:30:00+08:00"
    assert "audit chain intact" in _run([deskapp, "audit", "verify"], tmp_path, env)
    # The installed app has the bindings and rules of the source tree: the key reference and the
    # permission table it writes are the ones committed in docs/.
    for command in ("keys", "permissions"):
        written = tmp_path / f"{command}.md"
        _run([deskapp, command, "--output", str(written)], tmp_path, env)
        assert written.read_text() == (ROOT / "docs" / f"{command}.md").read_text()
