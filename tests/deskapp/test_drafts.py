"""Drafts are written atomically and come back exactly as typed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from deskapp import clock
from deskapp.drafts import DraftStore

TYPED = {"phone": "13800138000", "name": "王小明", "description": "[bold red]x[/] \x1b[2J 漏水"}


def test_round_trip_keeps_text_literally(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    store.save("agent", "intake", TYPED)
    draft = store.load("agent", "intake")
    assert draft is not None and draft.values == TYPED and draft.saved_at == clock.now()
    assert store.load("agent2", "intake") is None
    store.discard("agent", "intake")
    assert store.load("agent", "intake") is None


def test_logins_cannot_escape_the_folder(tmp_path: Path) -> None:
    path = DraftStore(tmp_path / "drafts").save("../../etc/passwd", "intake", {})
    assert path.resolve().is_relative_to((tmp_path / "drafts").resolve())


def test_corrupt_draft_is_set_aside_not_lost(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    path = store.save("agent", "intake", TYPED)
    path.write_text("{ half a draft", encoding="utf-8")
    assert store.load("agent", "intake") is None
    assert path.with_suffix(".corrupt").read_text(encoding="utf-8") == "{ half a draft"


def test_kill_9_while_saving_leaves_a_whole_draft(tmp_path: Path) -> None:
    """A writer killed mid-loop leaves the previous or the next version, never a torn file."""
    code = (
        "import sys; from deskapp.drafts import DraftStore\n"
        "store = DraftStore(__import__('pathlib').Path(sys.argv[1]))\n"
        "i = 0\n"
        "while True:\n"
        "    store.save('agent', 'intake', {'n': i, 'text': 'x' * 50000}); i += 1\n"
        "    print(i, flush=True) if i == 1 else None\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.readline()
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    draft = DraftStore(tmp_path).load("agent", "intake")
    assert draft is not None and draft.values["text"] == "x" * 50000 and draft.values["n"] >= 0
