"""The breach board (F4) as a supervisor sees it, pinned as reviewed SVG snapshots: the wall
(tiles per department × severity, today's promises, escalations waiting, the oldest case without
its apology) above the at-risk and breached list, at 80×24 and 120×40, in Chinese and English.
Time is frozen (tests/conftest.py), so the counts and countdowns are stable."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from textual.pilot import Pilot

from deskapp.app import DeskApp
from deskapp.cases import Desk, IntakeForm
from deskapp.drafts import DraftStore
from screens.breach_board import BreachBoardScreen
from store import board
from store.engine import write_session
from tests.conftest import seed_staff
from tests.screens.conftest import settle, sign_in
from tests.screens.test_queue import due_in, register
from tests.snapshots.test_agent_snapshots import still

Compare = Callable[..., bool]


def board_desk(engine: Engine) -> Desk:
    """Cases in every state, two departments, a manager's escalation waiting, a batch issue."""
    staff = seed_staff(engine)
    desk = Desk(engine)
    desk.settings.calendar_warning_days = 0
    n = register(desk, 6)
    due_in(desk.engine, n[0], 600)
    due_in(desk.engine, n[1], 10)
    due_in(desk.engine, n[2], -65)
    due_in(desk.engine, n[3], 30, status="pending_customer")
    due_in(desk.engine, n[4], -5, primary_dept_id=staff["dept:QA"])
    due_in(desk.engine, n[5], 8, primary_dept_id=staff["dept:LOG"])
    agent = desk.actor("agent")
    desk.act(agent, n[4], "escalate", expected_version=None, reason="客户要求经理回电")
    for i in range(5):  # five complaints about one product: a batch issue
        form = IntakeForm(
            phone=f"139{i:08d}", name=f"李{i}", subject="风扇异响", description="d", demand="x",
            product_ref="FAN-9", acknowledged=True,
        )  # fmt: skip
        desk.intake(agent, form)
    with write_session(engine) as s:
        board.rebuild(s)  # the times and departments above were set round the use cases
    return desk


@pytest.mark.parametrize(
    ("lang", "size"),
    [
        pytest.param("zh", (80, 24), id="zh-80x24"),
        pytest.param("en", (80, 24), id="en-80x24"),
        pytest.param("zh", (120, 40), id="zh-120x40"),
        pytest.param("en", (120, 40), id="en-120x40"),
    ],
)
def test_breach_board(
    snap_compare: Compare, sqlite_engine: Engine, tmp_path: Any, lang: str, size: tuple[int, int]
) -> None:
    desk = board_desk(sqlite_engine)
    app = DeskApp(desk=desk, lang=lang, drafts=DraftStore(tmp_path / "drafts"), demo=True)

    async def opened(pilot: Pilot[None]) -> None:
        await sign_in(pilot, "supervisor")
        await pilot.press("f4")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, BreachBoardScreen)
        for _ in range(200):
            if screen.wall is not None and screen.loaded.is_set():
                break
            await asyncio.sleep(0.02)
        await settle(pilot)
        await still(pilot)

    assert snap_compare(app, terminal_size=size, run_before=opened)
