"""Another process registers a case; this desk's queue shows it within 1.5 s — on one SQLite
file (change-feed polling) and on PostgreSQL (LISTEN/NOTIFY, polling as fallback)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.engine import Engine

from deskapp.app import DeskApp
from deskapp.cases import Desk
from deskapp.drafts import DraftStore
from screens.queue import QueueScreen
from tests.screens.conftest import settle, sign_in

REGISTER = """
import sys
from deskapp.cases import Desk, IntakeForm
from store.engine import make_engine
desk = Desk(make_engine(sys.argv[1]))
result = desk.intake(desk.actor("agent2"), IntakeForm(
    phone="13700137000", name="远程客户", subject="另一台坐席登记", description="d", demand="x"))
print(result.number)
"""


async def test_a_case_registered_by_another_process_appears_within_1_5_s(
    engine: Engine, db_url: str, staffed: dict[str, int], tmp_path: Path
) -> None:
    desk = Desk(engine)
    app = DeskApp(desk=desk, lang="en", drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(120, 30)) as pilot:
        await sign_in(pilot, "supervisor")
        screen = app.screen
        assert isinstance(screen, QueueScreen) and screen.rows.window.total == 0
        # Process B: a separate interpreter, its own connection, the same database.
        done = subprocess.run(
            [sys.executable, "-c", REGISTER, db_url], capture_output=True, text=True, check=True
        )
        number = done.stdout.strip()
        committed = time.monotonic()
        seen = None
        while time.monotonic() - committed < 5:
            await pilot.pause(0.05)
            if any(r.number == number for r in screen.rows.window.rows):
                seen = time.monotonic() - committed
                break
        assert seen is not None, "the other desk's case never appeared"
        assert seen <= 1.5, f"appeared after {seen:.2f} s"
        await settle(pilot)


async def test_one_change_feed_serves_the_whole_desk(
    engine: Engine, db_url: str, staffed: dict[str, int], tmp_path: Path
) -> None:
    """The queue, the breach board, an open case and my alerts all follow other desks through
    one thread and (on PostgreSQL) one listening connection, and a case opened here still
    sees another process's change to it."""
    import threading

    from deskapp.cases import IntakeForm
    from screens.case import CaseScreen

    desk = Desk(engine)
    number = desk.intake(
        desk.actor("agent"),
        IntakeForm(phone="13800138000", name="王", subject="本地", description="d", demand="x"),
    ).number
    before = set(threading.enumerate())  # an earlier test's feed may still be winding down
    app = DeskApp(desk=desk, lang="en", drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(120, 30)) as pilot:
        await sign_in(pilot, "supervisor")
        await pilot.press("f4")  # the breach board, over the queue
        await settle(pilot)
        app.push_screen(CaseScreen(app.ctx, number))
        await settle(pilot)
        await pilot.pause(2.5)  # the alert poll has subscribed too

        names = [t.name for t in set(threading.enumerate()) - before]
        assert names.count("deskapp-changes") == 1
        listening = names.count("deskapp-listen")
        assert listening == (1 if engine.dialect.name == "postgresql" else 0)
        assert len(app.ctx.changes._subscribers) == 4  # queue, board, case, alerts

        screen = app.screen
        assert isinstance(screen, CaseScreen)
        done = subprocess.run(
            [sys.executable, "-c", NOTE, db_url, number], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            await pilot.pause(0.05)
            if screen.detail is not None and any(
                "from the other desk" in n.body for n in screen.detail.notes
            ):
                break
        else:
            raise AssertionError("the other desk's note never reached the open case")
    hub = app.ctx._hub
    assert hub is None  # closed with the app
    left = [t.name for t in set(threading.enumerate()) - before if t.is_alive()]
    assert "deskapp-changes" not in left


NOTE = """
import sys
from deskapp.cases import Desk
from store.engine import make_engine
desk = Desk(make_engine(sys.argv[1]))
desk.add_note(
    desk.actor("supervisor"), sys.argv[2], "from the other desk",
    customer_facing=False, expected_version=None,
)
"""
