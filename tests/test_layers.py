"""The rules and the store run without Textual (DESIGN.md §2), proven in a clean interpreter."""

from __future__ import annotations

import subprocess
import sys

RULES = [
    "store.models",
    "store.engine",
    "store.migrate",
    "deskapp.clock",
    "deskapp.tomlfile",
    "deskapp.calendar",
    "deskapp.sla",
    "deskapp.workflow",
    "deskapp.permissions",
    "deskapp.cases",
    "deskapp.audit",
    "deskapp.numbering",
    "deskapp.config",
    "deskapp.demo",
    "deskapp.countdown",
    "deskapp.live_queue",
    "deskapp.masking",
    "deskapp.changes",
    "deskapp.notice",
]


def test_rules_and_store_do_not_import_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {RULES!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'screens', "
        "'widgets'))\n"
        "print(' '.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
