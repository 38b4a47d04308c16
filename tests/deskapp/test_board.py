"""The breach board's numbers (issue 11): tiles per department × severity with open, paused, at
risk and breached cases; today's on-time rate per milestone; the escalations waiting for a
decision; the oldest case without its apology. The open and paused counts are kept by the use
cases, and a random mix of steps on each backend never lets them drift from a recount."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from deskapp import clock, workflow
from deskapp.board import read_board
from deskapp.cases import Desk, IntakeForm, case_facts
from deskapp.domain import Severity
from deskapp.errors import DeskError
from store import board
from store.board import Counts
from store.engine import read_session, write_session
from tests.conftest import case_rows


@pytest.fixture
def desk(engine: Engine, staffed: dict[str, int]) -> Desk:
    return Desk(engine)


def register(desk: Desk, n: int, severity: Severity = Severity.C, **more: Any) -> str:
    form = IntakeForm(
        phone=f"1380000{n:04d}",
        name=f"客户{n}",
        subject=f"第{n}件",
        description="漏水",
        demand="换新",
        severity=severity,
        override_reason="测试",
        **more,
    )
    return desk.intake(desk.actor("agent"), form).number


def act(desk: Desk, login: str, number: str, action: str, **params: Any) -> None:
    desk.act(desk.actor(login), number, action, expected_version=None, **params)


def test_tiles_count_open_paused_at_risk_and_breached(desk: Desk, staffed: dict[str, int]) -> None:
    qa = staffed["dept:QA"]
    a = register(desk, 1, Severity.B)  # acknowledge within 1 h: at risk at 45 min
    b = register(desk, 2, Severity.B, acknowledged=True)
    act(desk, "agent", b, "accept")
    act(desk, "agent", b, "dispatch", department_id=qa, reason="品质")
    act(desk, "handler", b, "start_investigation")
    act(desk, "handler", b, "pend_customer", reason="等照片")
    c = register(desk, 3, Severity.A, acknowledged=True)  # dispatch within 30 min (24x7)
    d = register(desk, 4, acknowledged=True)
    act(desk, "agent", d, "reject", reason="非本公司产品")
    view = read_board(desk, clock.now())
    assert view.tiles == {
        (0, "A"): Counts(open=1),
        (0, "B"): Counts(open=1),
        (qa, "B"): Counts(open=1, paused=1),
    }
    # 25 minutes: case c's dispatch (30 min) is at risk; 46: a's acknowledgement too, and c
    # has breached; the paused case counts as paused, never as late.
    view = read_board(desk, clock.now() + timedelta(minutes=25))
    assert view.tiles[(0, "A")] == Counts(open=1, at_risk=1)
    view = read_board(desk, clock.now() + timedelta(minutes=46))
    assert view.tiles[(0, "A")] == Counts(open=1, breached=1)
    assert view.tiles[(0, "B")] == Counts(open=1, at_risk=1)
    assert view.tiles[(qa, "B")] == Counts(open=1, paused=1)
    assert view.totals() == Counts(open=3, paused=1, at_risk=1, breached=1)
    assert view.oldest_unacknowledged is not None
    assert view.oldest_unacknowledged[0] == a
    assert c and d


def test_todays_promises_kept_and_broken(desk: Desk, staffed: dict[str, int]) -> None:
    on_time = register(desk, 1)
    act(desk, "agent", on_time, "accept")  # acknowledgement met at once
    late = register(desk, 2)
    clock.advance(timedelta(minutes=70))
    act(desk, "agent", late, "accept")  # an hour's acknowledgement met at 70 minutes
    register(desk, 3)  # its acknowledgement comes due at 11:10 and is missed
    clock.advance(timedelta(minutes=61))
    view = read_board(desk, clock.now())
    assert view.outcomes["acknowledge"] == (1, 2)
    assert view.on_time_rate("acknowledge") == pytest.approx(1 / 3)
    assert view.on_time_rate("revisit") is None


def test_escalations_wait_until_someone_acts(desk: Desk, staffed: dict[str, int]) -> None:
    number = register(desk, 1, acknowledged=True)
    act(desk, "agent", number, "accept")
    act(desk, "agent", number, "escalate", reason="客户要求经理回电")
    view = read_board(desk, clock.now())
    assert [(w.number, w.level) for w in view.waiting] == [(number, 2)]
    clock.advance(timedelta(minutes=5))
    act(desk, "agent", number, "dispatch", department_id=staffed["dept:QA"], reason="品质")
    assert read_board(desk, clock.now()).waiting == []


def _params(action: str, staffed: dict[str, int], rng: random.Random) -> dict[str, Any]:
    dept = rng.choice([staffed["dept:QA"], staffed["dept:LOG"]])
    return {
        "reason": "随机",
        "department_id": dept,
        "assignee_id": staffed["handler"] if dept == staffed["dept:QA"] else staffed["loghandler"],
        "severity": rng.choice("ABC"),
        "remedy": "换新",
        "root_cause": "密封圈",
        "satisfaction": rng.randint(1, 5),
        "override_reason": "随机",
    }


@pytest.mark.slow
def test_a_random_mix_of_steps_never_lets_the_tally_drift(
    desk: Desk, staffed: dict[str, int]
) -> None:
    rng = random.Random(11)
    people = [desk.actor(login) for login in sorted(k for k in staffed if ":" not in k)]
    numbers: list[str] = []
    done = 0
    for step in range(400):
        clock.advance(timedelta(minutes=rng.randint(1, 40)))
        if not numbers or rng.random() < 0.15:
            numbers.append(register(desk, step, rng.choice(list(Severity))))
            continue
        number = rng.choice(numbers)
        actor = rng.choice(people)
        facts = case_facts(case_rows(desk, number)[0])
        offered = [t.action for t in workflow.available(facts, actor.facts(), desk.rules)]
        if not offered:
            continue
        action = rng.choice(offered)
        try:
            desk.act(actor, number, action, expected_version=None, **_params(action, staffed, rng))
            done += 1
        except DeskError:
            pass  # a guard that needs what this random step did not give: nothing written
        if step % 50 == 0:
            with read_session(desk.engine) as s:
                assert board.tally(s) == board.recount(s), step
    with read_session(desk.engine) as s:
        assert board.tally(s) == board.recount(s)
        assert sum(o for o, _p in board.tally(s).values()) > 0
    assert done > 100


def test_a_rebuild_after_writes_round_the_desk_matches_a_recount(desk: Desk) -> None:
    for n in range(5):
        register(desk, n)
    with write_session(desk.engine) as s:
        s.connection().exec_driver_sql("UPDATE complaint SET severity = 'A'")
        assert board.tally(s) != board.recount(s)
        board.rebuild(s)
        assert board.tally(s) == board.recount(s) == {(0, "A"): (5, 0)}
