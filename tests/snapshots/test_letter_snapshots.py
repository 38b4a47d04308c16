"""The written confirmation as the handler first sees it: the letter dialog filled from the
case, in Chinese and English (issue 15), pinned as reviewed SVG snapshots; time is frozen."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from textual.pilot import Pilot

from deskapp.app import DeskApp
from deskapp.cases import Desk
from deskapp.drafts import DraftStore
from screens.case import CaseScreen
from screens.dialogs.letter import LetterDialog
from tests.conftest import seed_staff
from tests.deskapp.test_letters import register, to_plan
from tests.screens.conftest import settle, sign_in, wait_until
from tests.snapshots.test_agent_snapshots import LANGS, Compare, still


@pytest.fixture
def planned(sqlite_engine: Engine, tmp_path: Path) -> tuple[Desk, str]:
    staffed = seed_staff(sqlite_engine)
    desk = Desk(sqlite_engine)
    desk.settings.calendar_warning_days = 0
    desk.settings.smtp.outbox_dir = tmp_path / "outbox"
    number = register(desk)
    to_plan(desk, number, staffed["dept:QA"])
    return desk, number


@pytest.mark.parametrize("lang", LANGS)
def test_the_plan_letter_filled_from_the_case(
    snap_compare: Compare, planned: tuple[Desk, str], lang: str, tmp_path: Path
) -> None:
    desk, number = planned
    app = DeskApp(desk=desk, lang=lang, drafts=DraftStore(tmp_path / "drafts"))

    async def opened(pilot: Pilot[None]) -> None:
        await sign_in(pilot, "handler")
        app.push_screen(CaseScreen(app.ctx, number))
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, LetterDialog)
        await wait_until(pilot, lambda: dialog.filled is not None)
        await still(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=opened)
