"""A running desk climbs the ladder by itself (issue 11): its watch sweeps on a timer, keeps
going when the database fails a sweep, and stops with the desk."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from deskapp import clock
from deskapp.cases import Desk, IntakeForm
from deskapp.context import DeskContext
from deskapp.ladder_watch import LadderWatch
from store.engine import read_session
from store.models import Escalation


def _wait_for(condition: object, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def _levels(engine: Engine) -> list[int]:
    with read_session(engine) as s:
        return list(s.exec(select(Escalation.level)).all())


def test_the_desk_sweeps_by_itself_and_stops_with_it(
    engine: Engine, staffed: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKAPP_ESCALATE_EVERY_SECONDS", "0.2")
    from deskapp.config import load_settings

    load_settings.cache_clear()
    desk = Desk(engine)
    form = IntakeForm(phone="13800138000", name="王", subject="s", description="d", demand="x")
    desk.intake(desk.actor("agent"), form)
    ctx = DeskContext(lang="en", desk=desk)
    ctx.watch_ladder()
    ctx.watch_ladder()  # once per desk, however often asked
    clock.advance(timedelta(minutes=46))
    assert _wait_for(lambda: _levels(engine) == [1])
    ctx.close()
    clock.advance(timedelta(minutes=30))
    time.sleep(0.6)
    assert _levels(engine) == [1]  # closed: no more sweeps


def test_a_failed_sweep_is_kept_and_the_next_one_tries_again(
    engine: Engine, staffed: dict[str, int]
) -> None:
    desk = Desk(engine)
    failing = {"left": 2}
    real = desk.sweep

    def sweep() -> object:
        if failing["left"]:
            failing["left"] -= 1
            raise RuntimeError("database away")
        return real()

    desk.sweep = sweep  # type: ignore[method-assign,assignment]
    watch = LadderWatch(desk, every=0.05)
    watch.start()
    try:
        assert _wait_for(lambda: watch.sweeps >= 4)
        assert watch.error is None and failing["left"] == 0
    finally:
        watch.close()


def test_a_desk_with_its_sweep_turned_off_leaves_it_to_the_others(
    engine: Engine, staffed: dict[str, int]
) -> None:
    desk = Desk(engine)  # tests run with DESKAPP_ESCALATE_EVERY_SECONDS=0
    ctx = DeskContext(lang="en", desk=desk)
    ctx.watch_ladder()
    form = IntakeForm(phone="13800138000", name="王", subject="s", description="d", demand="x")
    desk.intake(desk.actor("agent"), form)
    clock.advance(timedelta(minutes=46))
    time.sleep(0.3)
    ctx.close()
    assert _levels(engine) == []
