"""In a real terminal (tmux): a draft survives a hang-up (SIGHUP) and `kill -9`, and the next
start offers it back.

Keys are sent one burst at a time with short pauses, as a person types: a single burst of
several keys reaches the program as one read and is treated as pasted text.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import seed_staff

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
]


class Terminal:
    def __init__(self, name: str, env: dict[str, str], command: str) -> None:
        self.name = name
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        subprocess.run(
            [
                "tmux",
                "new-session",
                "-d",
                "-s",
                name,
                "-x",
                "120",
                "-y",
                "40",
                f"env {exports} {command}; sleep 30",
            ],
            check=True,
        )

    def keys(self, *keys: str, pause: float = 0.3) -> None:
        for key in keys:
            subprocess.run(["tmux", "send-keys", "-t", self.name, key], check=True)
            time.sleep(pause)

    def screen(self) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False)


def _desk_pid(home: Path, timeout: float = 20) -> int:
    """The desk process for this test's home directory (not the tmux server or the shell)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if (
                any(part.endswith(b"deskapp") for part in cmd[1:2])
                and str(home).encode() in environ
            ):
                return int(entry.name)
        time.sleep(0.2)
    raise AssertionError("the desk process did not start")


@pytest.fixture
def desk_terminal(
    sqlite_url: str, sqlite_engine, tmp_path: Path
) -> Iterator[Callable[[], Terminal]]:  # type: ignore[no-untyped-def]
    seed_staff(sqlite_engine)
    home = tmp_path / "home"
    env = {
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "DESKAPP_FROZEN_TIME": "2026-11-23T10:00:00+08:00",
        "TERM": "xterm-256color",
    }
    deskapp = Path(sys.executable).with_name("deskapp")
    opened: list[Terminal] = []

    def open_terminal() -> Terminal:
        terminal = Terminal(
            f"desk-{uuid.uuid4().hex[:8]}", env, f"{deskapp} run --lang en --db {sqlite_url}"
        )
        opened.append(terminal)
        terminal.home = home  # type: ignore[attr-defined]
        return terminal

    yield open_terminal
    for terminal in opened:
        terminal.close()


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
    path = t.home / "data" / "deskapp" / "drafts" / "agent" / "intake.json"  # type: ignore[attr-defined]
    deadline = time.monotonic() + 5
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    values = json.loads(path.read_text(encoding="utf-8"))["values"]
    assert isinstance(values, dict)
    return values


@pytest.mark.parametrize("how", [signal.SIGHUP, signal.SIGKILL], ids=["sighup", "kill-9"])
def test_draft_survives_and_is_offered_again(
    desk_terminal: Callable[[], Terminal], how: signal.Signals
) -> None:
    first = desk_terminal()
    _type_a_call(first)
    if how == signal.SIGKILL:
        time.sleep(1.0)  # the debounced save has run; kill -9 gives no chance to flush
    pid = _desk_pid(first.home)  # type: ignore[attr-defined]
    os.kill(pid, how)
    _wait_gone(pid)  # the signal is handled asynchronously: read the draft once it has exited
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
