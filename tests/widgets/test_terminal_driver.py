"""A SIGCONT that follows no ctrl+z leaves the terminal alone: a hung-up desk receives one with
its SIGHUP, and Textual's driver used to start a second output thread on the closed terminal,
after which the desk never exited."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import AsyncIterator

import pytest
from textual.app import App

from widgets.terminal_driver import DeskDriver


@pytest.fixture
async def driver(
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[DeskDriver, list[str]]]:
    if sys.__stdin__ is None:
        pytest.skip("needs a standard input to build the driver on")
    before = {s: signal.getsignal(s) for s in (signal.SIGTSTP, signal.SIGCONT)}
    calls: list[str] = []
    made = DeskDriver(App(), debug=False, mouse=False, size=(80, 24))
    made._auto_restart = True
    monkeypatch.setattr(made, "resume_application_mode", lambda: calls.append("resume"))
    monkeypatch.setattr(made, "suspend_application_mode", lambda: calls.append("suspend"))
    # ctrl+z really stops the process: here only the bookkeeping before it is wanted.
    monkeypatch.setattr(os, "kill", lambda pid, sig: calls.append(f"kill {sig}"))
    yield made, calls
    for signum, handler in before.items():
        signal.signal(signum, handler)


async def test_a_stray_sigcont_resumes_nothing(driver: tuple[DeskDriver, list[str]]) -> None:
    made, calls = driver
    made._sigcont_application(signal.SIGCONT, None)
    assert calls == []


async def test_ctrl_z_then_fg_suspends_and_resumes_once(
    driver: tuple[DeskDriver, list[str]],
) -> None:
    made, calls = driver
    made._sigtstp_application(signal.SIGTSTP, None)
    made._sigcont_application(signal.SIGCONT, None)
    made._sigcont_application(signal.SIGCONT, None)  # a second one is stray again
    assert calls == ["suspend", f"kill {signal.SIGSTOP}", "resume"]
