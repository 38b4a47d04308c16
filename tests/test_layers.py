"""The rules and the store run without Textual (DESIGN.md §2), proven in a clean interpreter.

Every module of `store` and `deskapp` is imported — found by walking the packages, so a new
module is covered without anyone adding it to a list — except the composition root, the one
place allowed to build the Textual app.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import deskapp
import store

#: The composition root: the Textual app and the command line that starts it.
COMPOSITION_ROOT = ("deskapp.app", "deskapp.cli")


def every_module() -> list[str]:
    names = []
    for package in (store, deskapp):
        prefix = package.__name__ + "."
        for info in pkgutil.walk_packages(package.__path__, prefix):
            # Alembic runs store.migrations.env (and the versions) itself, inside a migration.
            root = info.name.startswith(COMPOSITION_ROOT)
            if not root and not info.name.startswith("store.migrations"):
                names.append(info.name)
    return names


def test_every_rule_and_store_module_is_found() -> None:
    found = set(every_module())
    assert {
        "deskapp.cases.intake",
        "deskapp.demo.writer",
        "deskapp.display",
        "store.queue",
    } <= found
    assert len(found) > 40


def test_rules_and_store_do_not_import_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {every_module()!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'screens', "
        "'widgets'))\n"
        "print(' '.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
