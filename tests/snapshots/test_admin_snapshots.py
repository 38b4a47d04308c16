"""The admin screen (F9) at 80×24 in both languages, pinned as reviewed SVG snapshots: staff
with a disabled and a locked account, the departments with their manager and liaison."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from textual.pilot import Pilot

from deskapp import clock
from deskapp.app import DeskApp
from deskapp.cases import Desk
from deskapp.drafts import DraftStore
from deskapp.staff_admin import Operator, StaffAdmin
from store.engine import write_session
from store.models import Staff
from tests.conftest import seed_staff
from tests.screens.conftest import settle, sign_in
from tests.snapshots.test_agent_snapshots import still

Compare = Callable[..., bool]


@pytest.fixture
def app_for(sqlite_engine: Engine, tmp_path: Any) -> Callable[[str], DeskApp]:
    seed_staff(sqlite_engine)
    desk = Desk(sqlite_engine)
    desk.settings.calendar_warning_days = 0  # the 2026 data-ends warning is tested elsewhere
    StaffAdmin(sqlite_engine).disable(Operator("tester"), "agent2")
    with write_session(sqlite_engine) as s:
        legal = s.exec(select(Staff).where(Staff.login == "legal")).one()
        legal.locked_until = clock.now() + timedelta(minutes=15)
        s.add(legal)

    def make(lang: str) -> DeskApp:
        return DeskApp(desk=desk, lang=lang, drafts=DraftStore(tmp_path / "drafts"))

    return make


async def _admin(pilot: Pilot[None]) -> None:
    await sign_in(pilot, "admin")
    await pilot.press("f9")
    await settle(pilot)
    await still(pilot)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_admin_screen(snap_compare: Compare, app_for: Callable[[str], DeskApp], lang: str) -> None:
    assert snap_compare(app_for(lang), terminal_size=(80, 24), run_before=_admin)
