"""The evidence files on the case screen and the attach dialog with a refusal, pinned as
reviewed SVG snapshots in Chinese and English (issue 15). Contents are fixed bytes, so sizes
and hashes are the same on every run; time is frozen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from textual.pilot import Pilot
from textual.widgets import Input

from deskapp.app import DeskApp
from deskapp.cases import Desk, IntakeForm
from deskapp.config import load_settings
from deskapp.domain import Severity
from deskapp.drafts import DraftStore
from screens.case import CaseScreen
from tests.conftest import seed_staff
from tests.screens.conftest import settle, sign_in
from tests.snapshots.test_agent_snapshots import LANGS, Compare, still


@pytest.fixture
def with_files(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Desk, str]:
    monkeypatch.setenv("DESKAPP_EVIDENCE__DIRECTORY", str(tmp_path / "evidence"))
    load_settings.cache_clear()
    seed_staff(sqlite_engine)
    desk = Desk(sqlite_engine)
    desk.settings.calendar_warning_days = 0
    number = desk.intake(
        desk.actor("agent"),
        IntakeForm(
            phone="13800138000",
            name="王小明",
            subject="洗衣机漏水",
            description="新买的洗衣机第一次用就漏水，地板泡坏了",
            demand="换新机并赔偿地板损失",
            evidence="客户手机上还有视频",
            severity=Severity.B,
        ),
    ).number
    photo = tmp_path / "漏水照片.jpg"
    photo.write_bytes(bytes(range(256)) * 1000)
    desk.attach_file(desk.actor("agent"), number, photo, note="客户微信发来")
    desk.attach_bytes(desk.actor("agent"), number, "call-0923.m4a", b"\x00\x01" * 300)
    return desk, number


@pytest.mark.parametrize("lang", LANGS)
def test_files_on_the_case_screen(
    snap_compare: Compare, with_files: tuple[Desk, str], lang: str, tmp_path: Any
) -> None:
    desk, number = with_files
    app = DeskApp(desk=desk, lang=lang, drafts=DraftStore(tmp_path / "drafts"))

    async def opened(pilot: Pilot[None]) -> None:
        await sign_in(pilot, "agent")
        app.push_screen(CaseScreen(app.ctx, number))
        await still(pilot)

    assert snap_compare(app, terminal_size=(120, 40), run_before=opened)


@pytest.mark.parametrize("lang", LANGS)
def test_the_attach_dialog_says_why_in_place(
    snap_compare: Compare, with_files: tuple[Desk, str], lang: str, tmp_path: Any
) -> None:
    desk, number = with_files
    app = DeskApp(desk=desk, lang=lang, drafts=DraftStore(tmp_path / "drafts"))

    async def refused(pilot: Pilot[None]) -> None:
        await sign_in(pilot, "agent")
        app.push_screen(CaseScreen(app.ctx, number))
        await settle(pilot)
        await pilot.press("F")
        await settle(pilot)
        app.screen.query_one("#attach-path", Input).value = "/srv/desk/intake/合同.zip"
        await pilot.press("ctrl+s")
        await still(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=refused)
