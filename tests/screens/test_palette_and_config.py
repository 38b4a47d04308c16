"""Command palette (actions here, jump to a case) and the deployment settings the shell reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from textual.command import CommandPalette
from textual.widgets import Input

from deskapp.cases import Desk, IntakeForm
from deskapp.cli import main
from screens.case import CaseScreen
from screens.intake import IntakeScreen
from tests.screens.conftest import MakeApp, settle, sign_in


def _register(desk: Desk, phone: str, subject: str) -> str:
    return desk.intake(
        desk.actor("agent"),
        IntakeForm(phone=phone, name="Ann", subject=subject, description="x", demand="y"),
    ).number


async def _palette(pilot, query: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+p")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CommandPalette)
    pilot.app.screen.query_one(Input).value = query
    for _ in range(20):
        await pilot.pause(0.05)


async def test_palette_jumps_to_a_case_by_phone(make_app: MakeApp, desk: Desk) -> None:
    number = _register(desk, "13912345678", "[b]Fridge[/b] noisy")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await _palette(pilot, "12345678")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.number == number


async def test_palette_jumps_to_a_case_by_number(make_app: MakeApp, desk: Desk) -> None:
    _register(desk, "13900000001", "first")
    second = _register(desk, "13900000002", "second")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await _palette(pilot, second)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.number == second


async def test_palette_offers_the_actions_of_the_screen(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await _palette(pilot, "New")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)


async def test_ansi_theme_for_plain_terminals(make_app: MakeApp) -> None:
    assert make_app().theme == "textual-dark"
    app = make_app()
    app.ctx.desk.settings.theme = "ansi"
    themed = make_app()
    async with themed.run_test() as pilot:
        await pilot.pause()
        assert themed.current_theme.name == "ansi-dark"


def test_a_bad_script_template_stops_start_up_naming_file_and_line(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    shipped = Path(__file__).parents[2] / "deskapp" / "data" / "scripts" / "en.toml"
    text = shipped.read_text(encoding="utf-8")
    text += (
        '\n[[script]]\nstage = "greeting"\ncategory = "other"\nseverity = "C"\ntier = "vip"\n'
        'body = "Hello {reply_bye}"\n'
    )
    (scripts / "en.toml").write_text(text, encoding="utf-8")
    bad_line = text.splitlines().index('body = "Hello {reply_bye}"') + 1
    config = tmp_path / "config.toml"
    config.write_text(f'script_dirs = ["{scripts}"]\n', encoding="utf-8")
    monkeypatch.setenv("DESKAPP_CONFIG", str(config))
    from deskapp.config import load_settings

    load_settings.cache_clear()

    def never(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the desk started despite a broken template")

    monkeypatch.setattr("deskapp.app.DeskApp.run", never)
    result = CliRunner().invoke(main, ["run", "--db", sqlite_url, "--lang", "en"])
    assert result.exit_code == 2
    assert f"{scripts / 'en.toml'}:{bad_line}" in result.output, result.output
    assert "reply_bye" in result.output
