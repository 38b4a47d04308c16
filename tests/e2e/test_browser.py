"""The desk in a web browser, end to end: `deskapp serve` (textual-serve) and headless Chromium
from Debian's packages, driven by Playwright with `executable_path` (no browser is downloaded).

xterm.js draws on a canvas, so the screen is read from what the server sends down the
websocket: the terminal output, escape sequences stripped. The page loads, the sign-in screen
shows, a sign-in works and the queue appears; closing the page ends that session's desk.

`.ci/run` installs Chromium and sets DESKAPP_REQUIRE_BROWSER, which turns a missing browser
from a skip into a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from store.engine import read_session
from store.models import CaseEvent
from tests.conftest import seed_staff
from tests.e2e.conftest import FROZEN

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.slow

ESCAPES = re.compile(r"\x1b(\[[0-9;?<>$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z])")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _served_desks(home: Path) -> list[int]:
    """Desk processes started by the server for this test (their environment names its home)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"deskapp.cli\0run" in cmd and str(home).encode() in environ:
            found.append(int(entry.name))
    return found


def _until(
    condition: Callable[[], object],
    timeout: float,
    what: str,
    pause: Callable[[], None] = lambda: time.sleep(0.1),
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout} s")
        pause()


def test_the_desk_in_a_browser(sqlite_url: str, sqlite_engine: Engine, tmp_path: Path) -> None:
    if CHROMIUM is None:
        if os.environ.get("DESKAPP_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required here (Debian: chromium)")
        pytest.skip("needs Chromium (Debian: chromium)")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    seed_staff(sqlite_engine)
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKAPP_")} | {
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "DESKAPP_FROZEN_TIME": FROZEN,
        "DESKAPP_CALENDAR_WARNING_DAYS": "0",
    }
    port = _free_port()
    deskapp = Path(sys.executable).with_name("deskapp")
    server = subprocess.Popen(
        [str(deskapp), "serve", "--port", str(port), "--lang", "en", "--db", sqlite_url],
        env=env,
        stdout=(tmp_path / "serve.log").open("w"),
        stderr=subprocess.STDOUT,
    )

    def listening() -> bool:
        assert server.poll() is None, (tmp_path / "serve.log").read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return False

    try:
        _until(listening, 20, "the server did not listen")
        received: list[str] = []

        def screen() -> str:
            raw = "".join(received)
            return ESCAPES.sub("", raw)

        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                # Chromium's own sandbox cannot start as root (CI runs as root).
                args=["--no-sandbox"] if os.getuid() == 0 else [],
            )
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on(
                "websocket",
                lambda ws: ws.on(
                    "framereceived",
                    lambda f: received.append(
                        f if isinstance(f, str) else f.decode("utf-8", "replace")
                    ),
                ),
            )
            page.goto(f"http://127.0.0.1:{port}/")

            # Playwright delivers the frames while it runs: wait inside it, not in time.sleep.
            def pause() -> None:
                page.wait_for_timeout(100)

            _until(lambda: "Sign in" in screen(), 30, "the sign-in screen did not show", pause)
            assert "Complaint desk" in screen()
            page.locator("textarea.xterm-helper-textarea").focus()
            page.keyboard.type("agent", delay=30)
            page.keyboard.press("Tab")
            page.keyboard.type("demo", delay=30)
            page.keyboard.press("Enter")
            _until(lambda: "SLA queue" in screen(), 30, "the queue did not appear", pause)
            assert "Ada Agent" in screen()
            page.screenshot(path=str(tmp_path / "queue.png"))
            assert _served_desks(home), "no desk process behind the page"
            browser.close()
        # The page is gone: its desk quits (the server tells it to) and leaves nothing running.
        _until(lambda: not _served_desks(home), 10, "the session's desk did not exit")
    finally:
        server.terminate()
        server.wait(timeout=10)
        for pid in _served_desks(home):
            os.kill(pid, 9)
    with read_session(sqlite_engine) as s:
        signed_in = s.exec(
            select(CaseEvent).where(col(CaseEvent.kind) == "sign_in").order_by(col(CaseEvent.id))
        ).all()
    # One sign-in, the agent's (the desk process hashes at the desk's own cost, so it also
    # replaces the test's cheap hash: deskapp.auth.needs_rehash).
    assert [json.loads(e.payload)["login"] for e in signed_in] == ["agent"]
