"""The change feed shows each committed change of any desk once, in commit order, and another
process's change within 1.5 s."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from deskapp import audit
from deskapp.cases import Desk, IntakeForm
from deskapp.changes import Change, ChangeFeed
from store.engine import make_engine, write_session

ROOT = Path(__file__).resolve().parents[2]


def form(phone: str) -> IntakeForm:
    return IntakeForm(
        phone=phone,
        name="王小明",
        subject="洗衣机漏水",
        description="新买的洗衣机第一次使用就漏水。",
        demand="更换新机",
    )


@pytest.fixture
def other_desk(db_url: str, engine: Engine, staffed: dict[str, int]) -> Iterator[Desk]:
    """A second desk on the same database through its own engine (its own connections)."""
    other = make_engine(db_url)
    yield Desk(other)
    other.dispose()


def test_nothing_changed_polls_empty(engine: Engine, staffed: dict[str, int]) -> None:
    Desk(engine).intake(Desk(engine).actor("agent"), form("13800000001"))
    feed = ChangeFeed(engine)  # starts at the head: the earlier intake is not news
    assert feed.cursor > 0
    assert feed.poll() == []
    assert feed.poll() == []


def test_another_desks_intake_arrives_with_its_case(engine: Engine, other_desk: Desk) -> None:
    feed = ChangeFeed(engine)
    result = other_desk.intake(other_desk.actor("agent"), form("13800000001"))
    changes = feed.poll()
    assert [(c.complaint_id, c.kind) for c in changes] == [(result.complaint_id, "intake")]
    # Past the row seal that closed the intake's transaction, which is no news (deskapp.seals).
    assert feed.cursor == changes[0].event_id + 1
    assert ChangeFeed.affected(changes) == {result.complaint_id}
    assert feed.poll() == []


def test_several_changes_arrive_in_order_once(engine: Engine, other_desk: Desk) -> None:
    feed = ChangeFeed(engine)
    agent = other_desk.actor("agent")
    cases = [other_desk.intake(agent, form(f"1380000000{n}")).complaint_id for n in range(3)]
    with write_session(other_desk.engine) as s:
        audit.append(s, kind="settings_changed", actor_id=agent.staff_id)
    first = feed.poll(batch=2)  # a desk far behind catches up over several polls
    rest = feed.poll()
    changes = first + rest
    # A batch counts events, the row seals among them (polled, never handed on).
    assert [len(first), len(rest)] == [1, 3]
    assert [c.complaint_id for c in changes] == [*cases, None]
    assert [c.event_id for c in changes] == sorted({c.event_id for c in changes})
    assert ChangeFeed.affected(changes) == set(cases)
    assert feed.poll() == []
    # Replaying from an older cursor (a screen that reconnects) gives the same list.
    assert ChangeFeed(engine, start_after=changes[0].event_id - 1).poll() == changes


def test_a_rolled_back_change_is_never_seen(engine: Engine, other_desk: Desk) -> None:
    feed = ChangeFeed(engine)
    with pytest.raises(RuntimeError), write_session(other_desk.engine) as s:
        audit.append(s, kind="intake", actor_id=None)
        raise RuntimeError("the use case failed after writing its event")
    assert feed.poll() == []
    kept = other_desk.intake(other_desk.actor("agent"), form("13800000001"))
    assert [c.complaint_id for c in feed.poll()] == [kept.complaint_id]


CHILD = textwrap.dedent(
    """
    import sys, time
    from datetime import datetime
    from deskapp import clock
    from deskapp.cases import Desk, IntakeForm
    from store.engine import make_engine

    clock.freeze(datetime.fromisoformat(sys.argv[2]))
    desk = Desk(make_engine(sys.argv[1]))
    agent = desk.actor("agent")
    time.sleep(0.5)  # let the parent settle into its polling rhythm
    result = desk.intake(agent, IntakeForm(
        phone="13900000009", name="B", subject="from process B", description="d", demand="d"))
    print(result.complaint_id, time.monotonic(), flush=True)
    """
)


@pytest.mark.slow
def test_a_change_in_another_process_is_seen_within_1_5_s(
    db_url: str, engine: Engine, staffed: dict[str, int]
) -> None:
    from tests.conftest import DESK_NOW

    feed = ChangeFeed(engine)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, db_url, DESK_NOW.isoformat()],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[Change] = []
    seen_at = 0.0
    deadline = time.monotonic() + 60
    try:
        while not seen and time.monotonic() < deadline and child.poll() in (None, 0):
            time.sleep(0.2)
            seen = feed.poll()
            seen_at = time.monotonic()
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err
    case_id, committed_at = out.split()
    assert [c.complaint_id for c in seen] == [int(case_id)]
    latency = seen_at - float(committed_at)
    print(f"change seen {latency:.3f} s after the other process committed")
    assert latency < 1.5
