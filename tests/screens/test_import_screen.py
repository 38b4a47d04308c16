"""The import screen (F8): supervisors and admins import a file with a dry run first and a
progress bar; agents are not offered it."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import func, select
from textual.widgets import ProgressBar, Static

from deskapp.cases import Desk
from screens.import_file import ImportScreen
from screens.queue import QueueScreen
from store.engine import read_session
from store.models import Complaint
from tests.screens.conftest import MakeApp, plain, settle, sign_in, wait_until

FILE = Path(__file__).parent.parent / "deskapp" / "data" / "cfpb" / "v2-public.csv"


def _cases(desk: Desk) -> int:
    with read_session(desk.engine) as s:
        return int(s.exec(select(func.count()).select_from(Complaint)).one())


async def test_supervisor_dry_runs_then_imports_with_progress(
    make_app: MakeApp, desk: Desk
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "supervisor")
        await pilot.press("ctrl+o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        await pilot.press(*str(FILE))
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: screen.report is not None)
        result = plain(screen.query_one("#import-result", Static))
        assert "Dry run: would import 30 (4 open, 26 closed)" in result
        assert "3003003" in result
        assert _cases(desk) == 0

        screen.report = None
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: screen.report is not None and not screen.busy)
        result = plain(screen.query_one("#import-result", Static))
        assert "Imported 30 (4 open, 26 closed)" in result
        bar = screen.query_one("#import-progress", ProgressBar)
        assert (bar.total, bar.progress) == (30, 30)
        assert _cases(desk) == 30

        screen.report = None
        await pilot.press("ctrl+r")  # again: nothing new
        await wait_until(pilot, lambda: screen.report is not None and not screen.busy)
        assert "Imported 0" in plain(screen.query_one("#import-result", Static))
        assert "already on the desk 30" in plain(screen.query_one("#import-result", Static))
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_a_file_that_cannot_be_read_is_said_on_screen(
    make_app: MakeApp, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    app = make_app(lang="zh")
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "admin")
        await pilot.press("ctrl+o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        await pilot.press(*str(empty), "ctrl+t")
        await wait_until(
            pilot,
            lambda: (
                not screen.busy and "无法导入" in plain(screen.query_one("#import-result", Static))
            ),
        )


async def test_agents_are_not_offered_the_import(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "agent")
        assert app.check_action("import_file", ()) is False
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
