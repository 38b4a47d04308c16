"""The idle lock: an unattended desk locks after the configured minutes without a key, hides
what it showed, keeps the screen and the draft underneath, and opens again only for the person
who signed in (their password, or a key when the OS vouches for them). Each lock and unlock is
an event; too many wrong passwords sign the person out with their draft saved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select
from textual.widgets import Input, Static

from deskapp import clock
from deskapp.cases import Desk
from deskapp.drafts import DraftStore
from deskapp.seals import SEAL_KINDS
from screens.intake import IntakeScreen
from screens.lock import LockScreen
from screens.queue import QueueScreen
from screens.sign_in import SignInScreen
from store.engine import read_session
from store.models import CaseEvent
from tests.screens.conftest import MakeApp, plain, settle, sign_in, wait_until

SIZE = (100, 32)


@pytest.fixture(autouse=True)
def _lock_after_ten_minutes(desk: Desk) -> None:
    desk.settings.idle_lock_minutes = 10


def _event_kinds(desk: Desk) -> list[str]:
    with read_session(desk.engine) as s:
        rows = s.exec(select(CaseEvent).order_by(col(CaseEvent.id))).all()
        return [e.kind for e in rows if e.kind not in SEAL_KINDS]


async def _typing_a_call(pilot) -> None:  # type: ignore[no-untyped-def]
    await sign_in(pilot)
    await pilot.press("f2")
    await settle(pilot)
    await pilot.press(*"13800138000", "tab", *"Lily", "tab", *"Broken lid")
    await settle(pilot)


async def test_an_unattended_desk_locks_and_the_password_opens_it_again(
    make_app: MakeApp, desk: Desk, drafts: DraftStore
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _typing_a_call(pilot)
        clock.advance(timedelta(minutes=9, seconds=59))
        app.check_idle_lock()
        assert not isinstance(app.screen, LockScreen)
        clock.advance(timedelta(seconds=1))
        app.check_idle_lock()
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        shown = app.screen
        # Nothing of the call shows, nothing but quit is offered, the draft is on disk.
        texts = " ".join(plain(w) for w in shown.query(Static))
        assert "Lily" not in texts and "13800138000" not in texts
        assert "locked itself after 10 minutes" in texts
        offered = [b.binding.action for b in app.active_bindings.values() if b.node is app]
        assert offered == ["request_quit"]
        await pilot.press("f3", "f2", "ctrl+p")
        await settle(pilot)
        assert app.screen is shown
        saved = drafts.load("agent", "intake")
        assert saved is not None and saved.values["subject"] == "Broken lid"

        await pilot.press(*"wrong", "enter")
        await wait_until(
            pilot, lambda: "Wrong password" in plain(shown.query_one("#lock-error", Static))
        )
        assert app.screen is shown
        assert app.screen.query_one("#lock-password", Input).value == ""
        await pilot.press(*"demo", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, IntakeScreen))
        assert app.screen.query_one("#subject", Input).value == "Broken lid"
    kinds = _event_kinds(desk)
    assert kinds[-3:] == ["screen_locked", "sign_in_failed", "screen_unlocked"]


async def test_typing_keeps_the_desk_open(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _typing_a_call(pilot)
        clock.advance(timedelta(minutes=6))
        await pilot.press("x")
        clock.advance(timedelta(minutes=6))
        app.check_idle_lock()
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)


async def test_too_many_wrong_passwords_sign_out_with_the_draft_kept(
    make_app: MakeApp, drafts: DraftStore
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _typing_a_call(pilot)
        clock.advance(timedelta(minutes=10))
        app.check_idle_lock()
        await settle(pilot)
        for _ in range(5):
            await pilot.press(*"wrong", "enter")
            await settle(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen))
        assert app.ctx.actor is None
        assert not any(isinstance(s, IntakeScreen) for s in app.screen_stack)
        assert "signed out" in plain(app.screen.query_one("#signin-error", Static))
    saved = drafts.load("agent", "intake")
    assert saved is not None and saved.values["subject"] == "Broken lid"


async def test_an_os_user_desk_opens_with_a_key(make_app: MakeApp, desk: Desk, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("deskapp.app.os_login", lambda: "handler")
    monkeypatch.setattr("screens.lock.os_login", lambda: "handler")
    app = make_app(os_user=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen))
        clock.advance(timedelta(minutes=10))
        app.check_idle_lock()
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        assert "carry on as handler" in " ".join(plain(w) for w in app.screen.query(Static))
        await pilot.press("space")
        await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen))
    assert _event_kinds(desk)[-2:] == ["screen_locked", "screen_unlocked"]


async def test_no_lock_when_switched_off(make_app: MakeApp, desk: Desk) -> None:
    desk.settings.idle_lock_minutes = 0
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        clock.advance(timedelta(hours=3))
        app.check_idle_lock()
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
