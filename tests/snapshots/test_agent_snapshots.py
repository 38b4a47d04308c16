"""What the agent sees, pinned as reviewed SVG snapshots: sign-in, the intake form empty, filled
with suggestions, with errors, and the read-back, at 80×24 and 120×40, in Chinese and English.

Time is frozen (tests/conftest.py) and cursors do not blink, so the pictures are stable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from deskapp.app import DeskApp
from deskapp.cases import Desk, IntakeForm
from deskapp.drafts import DraftStore
from tests.conftest import seed_staff
from tests.screens.conftest import flush, settle, sign_in

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
LANGS = ["zh", "en"]
Compare = Callable[..., bool]


@pytest.fixture
def app_for(sqlite_engine: Engine, tmp_path: Any) -> Callable[[str], DeskApp]:
    seed_staff(sqlite_engine)
    desk = Desk(sqlite_engine)
    desk.settings.calendar_warning_days = 0  # the 2026 data-ends warning is tested elsewhere
    desk.intake(
        desk.actor("agent"),
        IntakeForm(
            phone="13800138000",
            name="王小明",
            subject="上次：热水器不加热",
            description="x",
            demand="y",
        ),
    )

    def make(lang: str) -> DeskApp:
        return DeskApp(desk=desk, lang=lang, drafts=DraftStore(tmp_path / "drafts"), demo=True)

    return make


async def still(pilot: Pilot[None]) -> None:
    """No blinking cursors in a snapshot."""
    await settle(pilot)
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    for area in pilot.app.screen.query(TextArea):
        area.cursor_blink = False
    await pilot.pause()


def steps(*actions: Callable[[Pilot[None]], Awaitable[None]]) -> Callable[[Pilot[None]], Any]:
    async def run(pilot: Pilot[None]) -> None:
        for action in actions:
            await action(pilot)
        await still(pilot)

    return run


async def _sign_in(pilot: Pilot[None]) -> None:
    await sign_in(pilot)


async def _intake(pilot: Pilot[None]) -> None:
    await pilot.press("f2")
    await settle(pilot)


async def _fill(pilot: Pilot[None]) -> None:
    screen = pilot.app.screen
    screen.query_one("#phone", Input).value = "13800138000"
    await flush(pilot)
    screen.query_one("#subject", Input).value = "洗衣机漏水，要求退货"
    screen.query_one("#description", TextArea).load_text(
        "第二次漏水了，再不处理我就找律师起诉，并发微博曝光。"
    )
    screen.query_one("#demand", TextArea).load_text("退货退款并赔偿地板损失")
    await flush(pilot)


async def _accept(pilot: Pilot[None]) -> None:
    await pilot.press("f5")
    await settle(pilot)


async def _bad_submit(pilot: Pilot[None]) -> None:
    screen = pilot.app.screen
    screen.query_one("#phone", Input).value = "12"
    screen.query_one("#email", Input).value = "not-an-email"
    await pilot.press("ctrl+s")
    await settle(pilot)


async def _submit(pilot: Pilot[None]) -> None:
    await pilot.press("ctrl+s")
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_sign_in(
    snap_compare: Compare, app_for: Callable[[str], DeskApp], lang: str, size: tuple[int, int]
) -> None:
    assert snap_compare(app_for(lang), terminal_size=size, run_before=steps())


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_intake_empty(
    snap_compare: Compare, app_for: Callable[[str], DeskApp], lang: str, size: tuple[int, int]
) -> None:
    assert snap_compare(app_for(lang), terminal_size=size, run_before=steps(_sign_in, _intake))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_intake_with_suggestions(
    snap_compare: Compare, app_for: Callable[[str], DeskApp], lang: str, size: tuple[int, int]
) -> None:
    assert snap_compare(
        app_for(lang), terminal_size=size, run_before=steps(_sign_in, _intake, _fill, _accept)
    )


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_intake_with_errors(
    snap_compare: Compare, app_for: Callable[[str], DeskApp], lang: str, size: tuple[int, int]
) -> None:
    assert snap_compare(
        app_for(lang), terminal_size=size, run_before=steps(_sign_in, _intake, _bad_submit)
    )


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_read_back(
    snap_compare: Compare, app_for: Callable[[str], DeskApp], lang: str, size: tuple[int, int]
) -> None:
    assert snap_compare(
        app_for(lang),
        terminal_size=size,
        run_before=steps(_sign_in, _intake, _fill, _accept, _submit),
    )


def _queue_desk(desk: Desk) -> None:
    """Five cases in every countdown state (tests/screens/test_queue.py builds the same)."""
    from tests.screens.test_queue import due_in, register

    n = register(desk, 5)
    due_in(desk.engine, n[0], 600)
    due_in(desk.engine, n[1], 10)
    due_in(desk.engine, n[2], -65)
    due_in(desk.engine, n[3], 30, status="pending_customer")
    due_in(desk.engine, n[4], 3 * 24 * 60)


@pytest.mark.parametrize(
    ("lang", "size", "login"),
    [
        pytest.param("en", (120, 40), "agent", id="en-120x40-agent"),
        pytest.param("zh", (80, 24), "agent", id="zh-80x24-agent"),
        pytest.param("en", (80, 24), "supervisor", id="en-80x24-supervisor-masked"),
    ],
)
def test_queue(
    snap_compare: Compare,
    app_for: Callable[[str], DeskApp],
    lang: str,
    size: tuple[int, int],
    login: str,
) -> None:
    app = app_for(lang)
    _queue_desk(app.ctx.desk)

    async def signed(pilot: Pilot[None]) -> None:
        await sign_in(pilot, login)

    assert snap_compare(app, terminal_size=size, run_before=steps(signed))
