"""The application shell: sign-in, the header, F1 help, quitting, the key reference."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from textual.widgets import Input, Static

from deskapp.app import render_keys
from deskapp.cli import main
from screens.help import HelpScreen
from screens.queue import QueueScreen
from screens.sign_in import SignInScreen
from tests.screens.conftest import MakeApp, plain, settle, sign_in


def _text(widget: Static) -> str:
    return plain(widget)


async def test_sign_in_lands_on_the_queue_then_quit(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, SignInScreen)
        assert app.focused is app.screen.query_one("#signin-user", Input)
        await sign_in(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert "Ada Agent" in _text(app.screen.query_one("#header-who", Static))
        assert "My open 0" in _text(app.screen.query_one("#header-counts", Static))
        await pilot.press("ctrl+q")
    assert app.return_code == 0


async def test_wrong_password_one_message_then_lock(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await sign_in(pilot, "agent", "wrong")
        error = _text(app.screen.query_one("#signin-error", Static))
        assert error.startswith("Wrong user name or password.")
        assert app.screen.query_one("#signin-password", Input).value == ""
        for _ in range(4):
            await pilot.press(*"wrong", "enter")
            await settle(pilot)
        # Locked now: it reads exactly as any other refusal (no hint that "agent" exists).
        assert _text(app.screen.query_one("#signin-error", Static)) == error
        # The right password is refused while the lock holds, with the same words.
        await pilot.press(*"demo", "enter")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        assert _text(app.screen.query_one("#signin-error", Static)) == error


async def test_unknown_user_reads_like_a_wrong_password(make_app: MakeApp) -> None:
    app = make_app(lang="zh")
    async with app.run_test() as pilot:
        await sign_in(pilot, "nobody", "demo")
        assert _text(app.screen.query_one("#signin-error", Static)).startswith(
            "用户名或密码不正确。"
        )


async def test_demo_database_shows_demo_accounts(make_app: MakeApp) -> None:
    app = make_app(demo=True)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert "password is demo" in _text(app.screen.query_one("#signin-demo", Static))


async def test_f1_lists_the_keys_of_the_screen(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await sign_in(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        rows = dict(app.screen.rows)
        assert rows["F2"] == "New" and rows["F1"] == "Help" and rows["^p"] == "Commands"
        assert rows["^q"] == "Quit"
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)


async def test_keymap_remaps_by_binding_id(make_app: MakeApp) -> None:
    app = make_app()
    app.ctx.desk.settings.keymap = {"app.new_complaint": "f9"}
    async with app.run_test() as pilot:
        await sign_in(pilot)
        await pilot.press("f2")
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("f9")
        await settle(pilot)
        assert type(app.screen).__name__ == "IntakeScreen"


async def test_os_user_mode_refuses_without_an_account(make_app: MakeApp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("deskapp.app.os_login", lambda: "no-such-staff")
    app = make_app(os_user=True)
    async with app.run_test() as pilot:
        for _ in range(100):
            if app.return_code is not None:
                break
            await pilot.pause(0.02)
    assert app.return_code == 3


async def test_os_user_mode_signs_in_the_matching_account(make_app: MakeApp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("deskapp.app.os_login", lambda: "handler")
    app = make_app(os_user=True)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.ctx.me.login == "handler"


def test_run_refuses_a_database_that_is_behind(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "--db", f"sqlite:///{tmp_path}/new.db"])
    assert result.exit_code == 2
    assert "deskapp db upgrade --db sqlite:///" in result.output


def test_keys_doc_is_generated_from_the_bindings() -> None:
    text = render_keys()
    assert "`app.new_complaint`" in text and "新投诉" in text
    committed = Path(__file__).parents[2] / "docs" / "keys.md"
    assert committed.read_text(encoding="utf-8") == text, "run `deskapp keys` and commit"


@pytest.mark.parametrize(("login", "told"), [("agent", False), ("supervisor", True)])
async def test_holiday_data_running_out_is_told_to_who_can_act(
    make_app: MakeApp, login: str, told: bool
) -> None:
    """The warning is for admins and supervisors (and on the breach board), not every agent."""
    app = make_app()
    heard: list[tuple[str, str]] = []
    real_notify = app.notify

    def notify(message: str, **kwargs: object) -> None:
        heard.append((str(message), str(kwargs.get("severity", "information"))))
        real_notify(message, **kwargs)  # type: ignore[arg-type]

    app.notify = notify  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, login)
        warned = any("2026-12-31" in m and sev == "warning" for m, sev in heard)
        assert warned is told
        if told:
            await pilot.press("f4")
            await settle(pilot)
            notice = app.screen.query_one("#board-notice", Static)
            assert "2026-12-31" in plain(notice) and notice.display


async def test_ctrl_c_says_how_to_quit_in_plain_words(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+c")
        await settle(pilot)
        said = [str(n.message) for n in app._notifications]
        assert said[-1] == "Press ^q to quit" and app.is_running


async def test_os_user_mode_trusts_the_uid_not_the_environment(  # type: ignore[no-untyped-def]
    make_app: MakeApp, monkeypatch
) -> None:
    """`USER=handler deskapp run --os-user`, run by an account with no staff row, is refused."""
    import pwd

    real = pwd.getpwuid(os.getuid()).pw_name
    assert real != "handler"
    monkeypatch.setenv("USER", "handler")
    monkeypatch.setenv("LOGNAME", "handler")
    app = make_app(os_user=True)
    async with app.run_test() as pilot:
        for _ in range(100):
            if app.return_code is not None:
                break
            await pilot.pause(0.02)
    assert app.return_code == 3
    assert app.ctx.actor is None


async def test_a_persons_language_applies_from_sign_in_to_sign_out(  # type: ignore[no-untyped-def]
    make_app: MakeApp, desk
) -> None:
    from sqlmodel import select

    from store.engine import write_session
    from store.models import Staff

    with write_session(desk.engine) as s:
        agent = s.exec(select(Staff).where(Staff.login == "agent")).one()
        agent.language = "en"
        s.add(agent)
    app = make_app(lang="zh")
    async with app.run_test() as pilot:
        assert "登录" in plain(app.screen.query_one("#signin-title", Static))
        await sign_in(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.ctx.lang == "en" and app.ctx.t("app.title") == "Complaint desk"
        app.sign_out("")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        assert "登录" in plain(app.screen.query_one("#signin-title", Static))

    fixed = make_app(lang="zh", lang_fixed=True)  # `deskapp run --lang zh` wins
    async with fixed.run_test() as pilot:
        await sign_in(pilot)
        assert isinstance(fixed.screen, QueueScreen) and fixed.ctx.lang == "zh"
