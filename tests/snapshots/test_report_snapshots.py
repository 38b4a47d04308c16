"""The monthly analysis (F8) as a supervisor sees it, pinned as reviewed SVG snapshots: the
headline against the targets, the charts and the per-milestone table, at 80×24 and 120×40, in
Chinese and English. Time is frozen (tests/conftest.py), so the month and its figures hold."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from textual.pilot import Pilot

from deskapp.app import DeskApp
from deskapp.cases import Desk
from deskapp.drafts import DraftStore
from screens.report import ReportScreen
from tests.conftest import seed_staff
from tests.screens.conftest import settle, sign_in
from tests.screens.test_report_screen import _month
from tests.snapshots.test_agent_snapshots import still

Compare = Callable[..., bool]


@pytest.mark.parametrize(
    ("lang", "size"),
    [
        pytest.param("zh", (80, 24), id="zh-80x24"),
        pytest.param("en", (80, 24), id="en-80x24"),
        pytest.param("zh", (120, 40), id="zh-120x40"),
        pytest.param("en", (120, 40), id="en-120x40"),
    ],
)
def test_report_screen(
    snap_compare: Compare, sqlite_engine: Engine, tmp_path: Any, lang: str, size: tuple[int, int]
) -> None:
    seed_staff(sqlite_engine)
    desk = Desk(sqlite_engine)
    desk.settings.calendar_warning_days = 0
    _month(desk)
    app = DeskApp(desk=desk, lang=lang, drafts=DraftStore(tmp_path / "drafts"), demo=True)

    async def opened(pilot: Pilot[None]) -> None:
        await sign_in(pilot, "supervisor")
        await pilot.press("f8")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ReportScreen)
        for _ in range(200):
            if screen.report is not None:
                break
            await asyncio.sleep(0.02)
        await settle(pilot)
        await still(pilot)

    assert snap_compare(app, terminal_size=size, run_before=opened)
