"""No failure is silent, and none takes a screen down: a use case that raises — even with an
empty message, even with markup in it — is said in words on the screen it happened on, logged
with its traceback, and the screen goes on working."""

from __future__ import annotations

import logging

import pytest
from textual.widgets import Static, TextArea

from deskapp.cases import Desk, IntakeForm
from screens.base import DeskScreen
from screens.case import CaseScreen
from screens.dialogs.case_action import CaseActionDialog
from screens.inbox import InboxScreen
from screens.intake import IntakeScreen
from screens.queue import QueueScreen
from tests.screens.conftest import MakeApp, flush, plain, settle, sign_in

SIZE = (120, 40)


def broken(message: str = "") -> object:
    def fail(*_args: object, **_kwargs: object) -> object:
        raise RuntimeError(message)

    return fail


def status_of(app: object) -> str:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, DeskScreen)
    return str(screen.status_line.message)


@pytest.fixture
def number(desk: Desk) -> str:
    form = IntakeForm(
        phone="13800138000", name="王小明", subject="冰箱不制冷", description="d", demand="d"
    )
    return desk.intake(desk.actor("agent"), form).number


async def test_a_failed_lookup_is_said_on_the_intake_screen_and_the_form_goes_on(
    make_app: MakeApp, desk: Desk, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(desk, "lookup_customer", broken())
    app = make_app()
    logger = logging.getLogger("deskapp")
    logger.addHandler(caplog.handler)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await sign_in(pilot)
            await pilot.press("f2", *"13800138000", "tab", *"Li")
            await flush(pilot)
            assert isinstance(app.screen, IntakeScreen)
            assert status_of(app) == "Looking up the caller failed: RuntimeError"
            await pilot.press(*"ly")  # the form still takes keys
            assert app.screen.query_one("#name").value == "Lily"  # type: ignore[attr-defined]
    finally:
        logger.removeHandler(caplog.handler)
    assert any("RuntimeError" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_a_failed_count_and_inbox_are_said_on_the_queue_and_inbox(
    make_app: MakeApp, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(desk, "unread_count", broken())
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert status_of(app) == "Counting my cases failed: RuntimeError"
        monkeypatch.setattr(desk, "inbox", broken("[/] is not markup"))
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        assert status_of(app).endswith("failed: [/] is not markup")
        assert app.is_running


async def test_a_failed_read_of_the_case_keeps_what_is_shown_and_says_so(
    make_app: MakeApp, desk: Desk, number: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "supervisor")
        app.push_screen(CaseScreen(app.ctx, number))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CaseScreen)
        monkeypatch.setattr("screens.case.load_case", broken())
        monkeypatch.setattr(desk, "reveal_contact", broken())
        screen.reload()
        await settle(pilot)
        assert "RuntimeError" in plain(screen.query_one("#case-status", Static))
        assert number in plain(screen.query_one("#case-head", Static))  # still shown
        await pilot.press("w")  # reveal: fails with an empty message
        await settle(pilot)
        assert status_of(app) == "Reading or saving failed: RuntimeError"
        assert app.is_running


async def test_a_failed_save_in_the_action_dialog_keeps_it_open_and_not_saving(
    make_app: MakeApp, desk: Desk, number: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        app.push_screen(CaseScreen(app.ctx, number))
        await settle(pilot)
        monkeypatch.setattr(desk, "add_note", broken())
        await pilot.press("n")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CaseActionDialog)
        dialog.query_one("#action-note", TextArea).text = "called back"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog and isinstance(dialog, CaseActionDialog)
        assert not dialog.saving
        assert "Something went wrong: RuntimeError" in plain(
            dialog.query_one("#action-error", Static)
        )
        assert dialog.query_one("#action-note", TextArea).text == "called back"


async def test_a_failed_registration_keeps_the_form_and_says_why(
    make_app: MakeApp, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("f2")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IntakeScreen)
        for name, value in (("phone", "13800138000"), ("name", "Li"), ("subject", "s")):
            screen.query_one(f"#{name}").value = value  # type: ignore[attr-defined]
        for name in ("description", "demand"):
            screen.query_one(f"#{name}", TextArea).text = "d"
        await flush(pilot)
        monkeypatch.setattr(desk, "intake", broken("[bold]locked[/]"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and isinstance(screen, IntakeScreen)
        said = plain(screen.query_one("#intake-status", Static))
        assert said == "Something went wrong: [bold]locked[/]"
        assert screen.has_unsubmitted_work()
