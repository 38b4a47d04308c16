"""Pilot-test fixtures: the real app on a migrated SQLite file with one account per role."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text
from sqlalchemy.engine import Engine
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import WorkerCancelled, WorkerFailed

from deskapp.app import DeskApp
from deskapp.cases import Desk
from deskapp.drafts import DraftStore
from tests.conftest import seed_staff

MakeApp = Callable[..., DeskApp]


@pytest.fixture
def desk(sqlite_engine: Engine) -> Desk:
    seed_staff(sqlite_engine)
    made = Desk(sqlite_engine)
    # Tests move the clock by hours; the idle lock would cover their screens. Its own tests
    # (test_idle_lock.py) switch it on.
    made.settings.idle_lock_minutes = 0
    return made


@pytest.fixture
def drafts(tmp_path: Path, desk: Desk) -> DraftStore:
    """The drafts of this test's database (the app files them under the database's id)."""
    return DraftStore(tmp_path / "drafts").for_desk(desk.desk_id())


@pytest.fixture
def make_app(desk: Desk, drafts: DraftStore) -> MakeApp:
    def make(lang: str = "en", **kwargs: object) -> DeskApp:
        return DeskApp(desk=desk, lang=lang, drafts=drafts, **kwargs)  # type: ignore[arg-type]

    return make


async def settle(pilot: Pilot[None]) -> None:
    """Let workers finish and the screen catch up (wait, don't sleep). A queue screen's
    database thread is not a worker: wait until it says it is idle. Keys are handed out one at
    a time (`widgets.key_order`): on a loaded machine some may still be waiting their turn."""
    keys_settled = getattr(pilot.app, "keys_settled", None)
    if keys_settled is not None:
        await keys_settled()
    for _ in range(3):
        # A failed worker is reported by the screen it ran for; the tests read the report. A
        # dialog that closes when its save is done cancels its finished worker on the way out.
        with contextlib.suppress(WorkerFailed, WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        idle = getattr(pilot.app.screen, "idle", None)
        if idle is not None:
            for _ in range(500):
                if idle.is_set():
                    break
                await asyncio.sleep(0.01)
        await pilot.pause()


async def wait_until(
    pilot: Pilot[None], condition: Callable[[], object], timeout: float = 15.0
) -> None:
    """Wait for `condition` (a screen shown, a worker's result on screen) instead of sleeping
    for a guessed time: a loaded machine takes longer, never differently."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still waiting after {timeout} s for {condition!r}")
        await settle(pilot)


async def flush(pilot: Pilot[None]) -> None:
    """Run the screen's debounced reactions (lookup, triage, draft) now instead of sleeping
    past their delays, which a loaded CI machine can overrun, then settle."""
    fire = getattr(pilot.app.screen, "fire_pending", None)
    if fire is not None:
        fire()
    await settle(pilot)
    if fire is not None:  # a lookup can fill the name, which schedules more
        fire()
    await settle(pilot)


async def sign_in(pilot: Pilot[None], login: str = "agent", password: str = "demo") -> None:
    await pilot.press(*login)
    await pilot.press("tab", *password, "enter")
    await settle(pilot)


def plain(widget: Static) -> str:
    """What a Static shows, as plain text (tables and groups rendered wide, no styles)."""
    content = widget.content
    if isinstance(content, str):
        return content
    if isinstance(content, Text):
        return content.plain
    console = Console(width=400, file=io.StringIO(), color_system=None, legacy_windows=False)
    console.print(content)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out
