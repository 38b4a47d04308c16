"""Attaching a file from the case screen (issue 15): `F` opens the dialog, a refusal is said in
place with the path and note kept, a file attached shows in the evidence row with its hash."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlmodel import select
from textual.widgets import Input, OptionList, Static

from deskapp.cases import Desk
from screens.case import CaseScreen
from screens.dialogs.attach import AttachDialog
from store.engine import read_session
from store.models import Attachment
from tests.conftest import case_rows
from tests.screens.conftest import MakeApp, plain, settle, wait_until
from tests.screens.test_case import on_case, register


async def test_a_file_is_attached_by_path_and_listed(
    make_app: MakeApp, desk: Desk, tmp_path: Path
) -> None:
    number = register(desk)
    photo = tmp_path / "漏水照片.jpg"
    photo.write_bytes(b"\xff\xd8" + bytes(range(256)) * 400)
    sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    async with on_case(make_app, "agent", number) as (pilot, app):
        await pilot.press("F")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AttachDialog)
        path, note = (
            dialog.query_one("#attach-path", Input),
            dialog.query_one("#attach-note", Input),
        )
        # Wrong first: the dialog stays, says why, and keeps what was typed.
        path.value, note.value = str(tmp_path / "nowhere.jpg"), "客户微信发来"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog
        error = plain(dialog.query_one("#attach-error", Static))
        assert "No such file" in error and "nowhere.jpg" in error
        assert path.has_class("-invalid")
        assert (path.value, note.value) == (str(tmp_path / "nowhere.jpg"), "客户微信发来")
        path.value = str(photo)
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CaseScreen)
        await settle(pilot)
        facts = plain(screen.query_one("#case-facts", Static))
        assert "漏水照片.jpg" in facts and f"sha256 {sha[:12]}" in facts
        assert "102.4 KB · image/jpeg" in facts and "Ada Agent" in facts
        assert "客户微信发来" in facts
        timeline = plain(screen.query_one("#case-timeline", Static))
        assert "Evidence file attached" in timeline
    kinds = [e.kind for e in case_rows(desk, number)[2]]
    assert kinds.count("attach") == 1


async def test_the_key_is_offered_only_to_those_who_may_attach(
    make_app: MakeApp, desk: Desk
) -> None:
    number = register(desk)
    async with on_case(make_app, "loghandler", number) as (pilot, app):
        await pilot.press("F")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)


async def test_the_dialog_speaks_chinese(make_app: MakeApp, desk: Desk, tmp_path: Path) -> None:
    number = register(desk)
    tool = tmp_path / "tool.exe"
    tool.write_bytes(b"MZ" * 100)
    async with on_case(make_app, "agent", number, lang="zh") as (pilot, app):
        await pilot.press("F")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AttachDialog)
        dialog.query_one("#attach-path", Input).value = str(tool)
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = plain(dialog.query_one("#attach-error", Static))
        assert "不接受 .exe 类型的文件" in error
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)


async def test_in_a_browser_the_dialog_lists_uploads_and_attaches_one(
    make_app: MakeApp, desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deskapp import uploads

    root = tmp_path / "uploads"
    root.mkdir()
    monkeypatch.setenv(uploads.ROOT_ENV, str(root))
    monkeypatch.setenv(uploads.URL_ENV, "http://desk.example:8000")
    uploads.session_inbox.cache_clear()
    number = register(desk)
    try:
        async with on_case(make_app, "agent", number) as (pilot, app):
            await pilot.press("F")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, AttachDialog) and dialog.inbox is not None
            shown = " ".join(plain(s) for s in dialog.query(Static))
            assert f"upload files at {dialog.inbox.url}" in shown
            listing = dialog.query_one("#attach-inbox", OptionList)
            assert listing.option_count == 1 and listing.get_option_at_index(0).disabled
            # What the upload page would have written into this session's inbox.
            (dialog.inbox.path / "发票.pdf").write_bytes(b"%PDF" * 500)
            await wait_until(pilot, lambda: listing.get_option_at_index(0).id == "发票.pdf")
            listing.focus()
            listing.highlighted = 0
            await pilot.press("enter")
            await settle(pilot)
            path = dialog.query_one("#attach-path", Input)
            assert path.value == str(dialog.inbox.path / "发票.pdf")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, CaseScreen)
            assert dialog.inbox.files() == []
    finally:
        uploads.session_inbox.cache_clear()
    with read_session(desk.engine) as s:
        row = s.exec(select(Attachment)).one()
    assert (row.file_name, row.reference, row.size) == ("发票.pdf", "browser upload", 2000)
