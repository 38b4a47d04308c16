"""In a real terminal (tmux): a draft survives a hang-up (SIGHUP) and `kill -9`, and the next
start offers it back.

"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from store.engine import read_session
from store.models import Complaint
from tests.e2e.conftest import Terminal, desk_pid

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
]


def _wait_gone(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists(), "the desk did not exit"


def _type_a_call(t: Terminal) -> None:
    t.wait_for("Sign in")
    t.keys("agent", "Tab", "demo", "Enter")
    t.wait_for("My open")
    t.keys("F2")
    t.wait_for("Typing the phone")
    t.keys("13912345678", "Tab", "Lily Chen", "Tab")
    t.keys("Kettle leaks", pause=0)
    # Keys still in flight when the line drops are lost on any terminal; what the desk has
    # shown must not be. Hang up as soon as the text is on screen (inside the 0.5 s debounce,
    # so the SIGHUP case exercises the flush, not the timer).
    t.wait_for("Kettle leaks")


def _draft(t: Terminal) -> dict[str, object]:
    drafts = t.home / "data" / "deskapp" / "drafts"  # type: ignore[attr-defined]
    deadline = time.monotonic() + 5
    found: list[Path] = []
    while not found and time.monotonic() < deadline:
        found = list(drafts.glob("*/agent/intake.json"))  # filed under the database's id
        time.sleep(0.1)
    assert len(found) == 1, found
    values = json.loads(found[0].read_text(encoding="utf-8"))["values"]
    assert isinstance(values, dict)
    return values


@pytest.mark.parametrize(
    "how", [signal.SIGHUP, signal.SIGTERM, signal.SIGKILL], ids=["sighup", "sigterm", "kill-9"]
)
def test_draft_survives_and_is_offered_again(
    desk_terminal: Callable[[], Terminal], how: signal.Signals
) -> None:
    first = desk_terminal()
    _type_a_call(first)
    if how == signal.SIGKILL:
        time.sleep(1.0)  # the debounced save has run; kill -9 gives no chance to flush
    pid = desk_pid(first.home)  # type: ignore[attr-defined]
    os.kill(pid, how)
    # A hang-up or a polite kill: the draft is saved and the desk gone within 2 s.
    _wait_gone(pid, timeout=2.0 if how != signal.SIGKILL else 10)
    values = _draft(first)
    assert values["phone"] == "13912345678" and values["subject"] == "Kettle leaks"
    first.close()

    second = desk_terminal()
    second.wait_for("Sign in")
    second.keys("agent", "Tab", "demo", "Enter")
    shown = second.wait_for("Resume the draft?")
    assert "Lily Chen / 13912345678 / Kettle leaks" in shown
    second.keys("y")
    second.wait_for("Kettle leaks")
    assert "13912345678" in second.screen()


def test_killed_at_the_registering_commit_the_call_comes_back(
    desk_terminal: Callable[..., Terminal], sqlite_engine: Engine
) -> None:
    """The desk dies (kill -9) at the very commit of the registration: the case is not in the
    database, and the next start offers the whole call back to register again."""
    first = desk_terminal(DESKAPP_FAULT="kill-before-commit:intake")
    first.wait_for("Sign in")
    first.keys("agent", "Tab", "demo", "Enter")
    first.wait_for("My open")
    first.keys("F2")
    first.wait_for("Typing the phone")
    first.keys("13912345678", "Tab", "Lily Chen", "Tab", "Kettle leaks", "Tab")
    first.keys("It leaks from the base.", "Tab", "A new kettle", "C-s")
    first.wait_for("Reply promised")
    pid = desk_pid(first.home)  # type: ignore[attr-defined]
    first.keys("C-s")
    _wait_gone(pid)
    first.close()
    with read_session(sqlite_engine) as s:
        assert s.exec(select(Complaint)).first() is None

    second = desk_terminal()
    second.wait_for("Sign in")
    second.keys("agent", "Tab", "demo", "Enter")
    shown = second.wait_for("Resume the draft?")
    assert "Lily Chen / 13912345678 / Kettle leaks" in shown
    second.keys("y")
    second.wait_for("Kettle leaks")
    second.keys("C-s")
    second.wait_for("Reply promised")
    second.keys("C-s")
    second.wait_for("Registered as TS-20261123-0001")
