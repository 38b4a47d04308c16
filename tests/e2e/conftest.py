"""A real terminal for end-to-end tests: the desk runs in tmux, keys go in with `send-keys`,
the screen comes back with `capture-pane`.

Keys are sent one burst at a time with short pauses, as a person types: a single burst of
several keys reaches the program as one read and is treated as pasted text.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.conftest import seed_staff

#: The frozen instant every desk in these tests runs at (the test process's clock agrees).
FROZEN = "2026-11-23T10:00:00+08:00"


class Terminal:
    """One desk in its own tmux server (`-L`): test workers running side by side never share
    a server, so one test's last session closing cannot take another test's server with it."""

    def __init__(
        self, name: str, env: dict[str, str], command: str, size: tuple[int, int] = (120, 40)
    ) -> None:
        self.name = name
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        subprocess.run(
            self.tmux(
                "new-session",
                "-d",
                "-s",
                name,
                "-x",
                str(size[0]),
                "-y",
                str(size[1]),
                f"env {exports} {command}; sleep 30",
            ),
            check=True,
        )

    def tmux(self, *args: str) -> list[str]:
        """A tmux command line addressed to this terminal's own server."""
        return ["tmux", "-L", self.name, *args]

    def keys(self, *keys: str, pause: float = 0.3) -> None:
        for key in keys:
            subprocess.run(self.tmux("send-keys", "-t", self.name, key), check=True)
            time.sleep(pause)

    def screen(self) -> str:
        return subprocess.run(
            self.tmux("capture-pane", "-p", "-t", self.name),
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
        subprocess.run(self.tmux("kill-server"), check=False, capture_output=True)


def desk_pids(home: Path) -> list[int]:
    """The desk processes running with this test's home directory (not tmux, not the shell)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if any(part.endswith(b"deskapp") for part in cmd[1:2]) and str(home).encode() in environ:
            found.append(int(entry.name))
    return found


def desk_pid(home: Path, timeout: float = 20) -> int:
    """The (first) desk process for this test's home directory."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = desk_pids(home)
        if pids:
            return pids[0]
        time.sleep(0.2)
    raise AssertionError("the desk process did not start")


@pytest.fixture
def desk_terminal(
    sqlite_url: str, sqlite_engine: Engine, tmp_path: Path
) -> Iterator[Callable[..., Terminal]]:
    seed_staff(sqlite_engine)
    home = tmp_path / "home"
    env = {
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "DESKAPP_FROZEN_TIME": FROZEN,
        # The holiday-data warning toast would cover what the tests read; it has its own test.
        "DESKAPP_CALENDAR_WARNING_DAYS": "0",
        "TERM": "xterm-256color",
    }
    deskapp = Path(sys.executable).with_name("deskapp")
    opened: list[Terminal] = []

    def open_terminal(**extra_env: str) -> Terminal:
        terminal = Terminal(
            f"desk-{uuid.uuid4().hex[:8]}",
            env | extra_env,
            f"{deskapp} run --lang en --db {sqlite_url}",
        )
        opened.append(terminal)
        terminal.home = home  # type: ignore[attr-defined]
        return terminal

    yield open_terminal
    for terminal in opened:
        terminal.close()
    # A closed session hangs the desk up; it saves its draft and exits. One still running a few
    # seconds later would hold memory and connections on a real host: that fails the test
    # (after it is stopped, so test runs do not pile up processes).
    deadline = time.monotonic() + 4
    while desk_pids(home) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = desk_pids(home)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if left:
        pytest.fail(f"desk processes {left} did not exit after their terminal closed")
