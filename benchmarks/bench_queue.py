"""The live queue at 1 k, 100 k and 1 M open cases: the cost of one 1-second tick, and the time
from sign-in to the first painted queue.

The desks are built fast: a small demo desk with every case open (`all_open`), then its open
complaints copied in SQL until the queue holds the wanted number (the queue reads only the
complaint and customer tables). The tick is `QueueList.tick` on a 120×40 screen, which is all
the queue does per second; its baseline is Textual's DataTable doing the same job the obvious
way (`update_cell` on the visible countdown cells) over 1,000 rows. First paint runs from
pressing enter on the filled-in sign-in form (the password check included) until the first
window is on screen; its baseline is a bare Textual app's start-up to its first paint.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

from deskapp import clock, demo
from deskapp.app import DeskApp
from deskapp.cases import Desk
from deskapp.drafts import DraftStore
from screens.queue import QueueScreen
from store.engine import make_engine
from store.migrate import upgrade
from widgets.queue_list import QueueList

SIZE = (120, 40)


@dataclass(frozen=True)
class QueueResult:
    open_cases: int
    tick_ms: float
    first_paint_s: float


def build(path: Path, open_cases: int) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    demo.generate(engine, cases=400, seed=7, all_open=True)
    with engine.begin() as conn:
        cols = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(complaint)") if r[1] != "id"]
        have = conn.exec_driver_sql("SELECT count(*) FROM complaint WHERE is_open").scalar() or 0
        copy = ", ".join("number || '-' || k" if c == "number" else c for c in cols)
        rounds = 0
        while have < open_cases:
            need = open_cases - have
            batch = min(need, have)
            conn.exec_driver_sql(
                f"INSERT INTO complaint ({', '.join(cols)}) "
                f"SELECT {copy} FROM complaint, (SELECT {rounds + 1} AS k) "
                f"WHERE is_open ORDER BY id LIMIT {batch}"
            )
            have += batch
            rounds += 1
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return url


async def _measure(url: str, drafts: Path) -> tuple[float, float]:
    desk = Desk(make_engine(url))
    desk.settings.calendar_warning_days = 0
    app = DeskApp(desk=desk, lang="en", drafts=DraftStore(drafts))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"supervisor", "tab", *"demo")
        with _first_call(QueueList, "_draw") as painted:
            started = time.perf_counter()  # enter on the filled-in sign-in form
            await pilot.press("enter")
            screen = app.screen
            while not isinstance(screen, QueueScreen) or not screen.loaded.is_set() or not painted:
                await asyncio.sleep(0.002)
                screen = app.screen
        first_paint = painted[0] - started
        await pilot.pause()
        queue = screen.query_one(QueueList)
        now = clock.now()
        samples = []
        for second in range(1, 301):
            at = now + timedelta(seconds=second)
            t0 = time.perf_counter()
            queue.tick(at)
            samples.append(time.perf_counter() - t0)
            # Let the screen repaint between ticks (untimed), as it does in the second between
            # them: a tick compares with what was last painted, and back-to-back ticks would
            # find every line stale.
            await pilot.pause()
    return statistics.median(samples) * 1000, first_paint


class _Table(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable()


async def _datatable_tick(rows: int = 1000) -> float:
    app = _Table()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        keys = table.add_columns("left", "case", "subject")
        for n in range(rows):
            table.add_row(f"{n:02d}:00", f"TS-{n}", "subject", key=str(n))
        await pilot.pause()
        samples = []
        for second in range(60):
            t0 = time.perf_counter()
            for n in range(38):
                table.update_cell(str(n), keys[0], f"{second:02d}:{n:02d}")
            await pilot.pause()
            samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000


@contextlib.contextmanager
def _first_call(cls: type, name: str) -> Iterator[list[float]]:
    """When `cls.name` is first called: the moment a widget draws its first line for the
    screen, which the compositor writes out in the same pass. Timing the pilot instead would
    add its own waiting (for every message queue to drain) to the app's."""
    calls: list[float] = []
    original = getattr(cls, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        if not calls:
            calls.append(time.perf_counter())
        return original(*args, **kwargs)

    setattr(cls, name, timed)
    try:
        yield calls
    finally:
        setattr(cls, name, original)


class _Ready(Static):
    pass


async def _bare_first_paint() -> float:
    """A bare Textual app: from creating it to its one widget drawing its first line."""

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield _Ready("ready")

    with _first_call(_Ready, "render_line") as painted:
        started = time.perf_counter()
        async with Bare().run_test(size=SIZE) as pilot:
            await pilot.pause()
    return painted[0] - started


def desk_path(workdir: Path, open_cases: int) -> Path:
    return workdir / f"queue-{open_cases}.db"


def bench_queue(workdir: Path, sizes: tuple[int, ...]) -> tuple[list[QueueResult], float, float]:
    """Medians of three sign-ins per size (a fresh app each time), and of five bare apps."""
    results = []
    for size in sizes:
        url = build(desk_path(workdir, size), size)
        runs = [asyncio.run(_measure(url, workdir / f"drafts-{size}-{n}")) for n in range(3)]
        tick = statistics.median(r[0] for r in runs)
        paint = statistics.median(r[1] for r in runs)
        results.append(QueueResult(size, tick, paint))
    bare = statistics.median(asyncio.run(_bare_first_paint()) for _ in range(5))
    return results, asyncio.run(_datatable_tick()), bare
