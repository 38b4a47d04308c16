"""The cost of one keystroke on the intake form, beside a bare Textual `Input`.

Each key is handed to the app's driver (the door a terminal's bytes come through) and timed
until the app has handled it completely: every message queue of the app and of the screen on
top is empty. The same harness, the same wait, the same 200 characters for both apps; the bare
app is a Textual `App` with three `Input`s and nothing else. The intake's debounced reactions
(lookup, triage, script, draft) run after the typing pauses and are not part of a keystroke —
that is the point of debouncing them — so the rows also give the cost of the triage that a
pause sets off, on the longest description a form takes.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Input

from deskapp import demo, triage
from deskapp.app import DeskApp
from deskapp.cases import Desk
from deskapp.drafts import DraftStore
from screens.intake import IntakeScreen
from store.engine import make_engine
from store.migrate import upgrade

TEXT = "Fridge stopped cooling on Friday " * 7  # 231 characters, spaces included
SIZE = (120, 40)


@dataclass(frozen=True)
class KeyResult:
    #: Median milliseconds from a key reaching the driver to the app being quiet again.
    intake_name_ms: float
    intake_description_ms: float
    bare_ms: float
    #: The triage rules over a 20,000-character description (what a pause sets off).
    triage_long_ms: float


class _Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Input(id="a")
        yield Input(id="b")
        yield Input(id="c")


def _quiet(app: App[None]) -> bool:
    if app.message_queue_size:
        return False
    return not any(n.message_queue_size for n in app.screen.walk_children(with_self=True))


async def _until_quiet(app: App[None]) -> None:
    calm = 0
    while calm < 2:
        await asyncio.sleep(0)
        calm = calm + 1 if _quiet(app) else 0


async def _type(app: App[None], text: str) -> float:
    driver = app._driver
    assert driver is not None
    times = []
    for ch in text:
        started = time.perf_counter()
        driver.send_message(events.Key("space" if ch == " " else ch, ch))
        await _until_quiet(app)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def _bare() -> float:
    app = _Bare()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#a").focus()
        await pilot.pause()
        return await _type(app, TEXT)


async def _intake(desk: Desk, drafts: Path) -> tuple[float, float]:
    app = DeskApp(desk=desk, lang="en", drafts=DraftStore(drafts))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"agent", "tab", *"demo", "enter")
        for _ in range(200):
            await pilot.pause(0.02)
            if app.ctx.actor is not None:
                break
        app.push_screen(IntakeScreen(app.ctx))
        await pilot.pause(0.2)
        screen = app.screen
        assert isinstance(screen, IntakeScreen)
        screen.query_one("#name").focus()
        await pilot.pause(0.1)
        name = await _type(app, TEXT)
        screen.query_one("#description").focus()
        await pilot.pause(0.1)
        description = await _type(app, TEXT)
        return name, description


def _triage_long() -> float:
    triage.default_rules()  # loaded once per desk, not per keystroke
    text = ("冰箱不制冷，联系了三次都没人管，" * 1250)[:20_000]
    times = []
    for _ in range(5):
        started = time.perf_counter()
        triage.suggest("冰箱不制冷", text, "换新", None)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench_keys(workdir: Path) -> KeyResult:
    engine = make_engine(f"sqlite:///{workdir / 'keys.db'}")
    upgrade(engine)
    demo.generate(engine, cases=50, seed=7)  # the demo accounts: agent / demo
    desk = Desk(engine)
    bare = asyncio.run(_bare())
    name, description = asyncio.run(_intake(desk, workdir / "drafts"))
    engine.dispose()
    return KeyResult(name, description, bare, _triage_long())
