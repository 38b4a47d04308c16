"""The live queue's window: paging by key, jumps, and folding in other desks' changes without
losing its place (deskapp.live_queue)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col

from deskapp import clock
from deskapp.cases import Desk
from deskapp.live_queue import (
    EMPTY,
    QueueReader,
    View,
    Window,
    base_filter,
    views_for,
)
from deskapp.masking import mask_name, mask_phone, sees_contact
from store.engine import write_session
from store.models import Complaint
from store.queue import QueueFilter
from tests.store.test_queue import reference, register

N = 60


@pytest.fixture
def cases(engine: Engine, staffed: dict[str, int]) -> list[int]:
    ids = register(engine, staffed, N)
    # Spread the due times: case k is due k minutes from now (distinct keys, known order).
    with write_session(engine) as s:
        for k, case_id in enumerate(ids):
            due = clock.now() + timedelta(minutes=k)
            s.exec(update(Complaint).where(col(Complaint.id) == case_id).values(next_due_at=due))
    return ids


def reader(engine: Engine, flt: QueueFilter | None = None) -> QueueReader:
    return QueueReader(engine, flt or QueueFilter(), page=8, keep=30)


def check(window: Window, engine: Engine, flt: QueueFilter | None = None) -> None:
    expected = reference(engine, flt or QueueFilter())
    assert window.total == len(expected)
    assert [r.id for r in window.rows] == expected[window.start : window.end]


def test_moving_down_up_and_jumping_keeps_rows_in_queue_order(
    engine: Engine, cases: list[int]
) -> None:
    r = reader(engine)
    now = clock.now()
    w = r.top(now)
    check(w, engine)
    assert w.start == 0 and len(w.rows) == 8 and w.total == N
    for top in range(0, N, 5):  # scrolling down a screen of 6 rows at a time
        w = r.around(w, top, top + 6, now)
        assert w.covers(top, top + 6) and len(w.rows) <= 30
        check(w, engine)
    for top in range(N - 6, -1, -7):  # and back up
        w = r.around(w, top, top + 6, now)
        assert w.covers(top, top + 6)
        check(w, engine)
    w = r.around(r.top(now), 33, 39, now)  # far from what is loaded: one jump
    assert w.covers(33, 39)
    check(w, engine)
    b = r.bottom(now)
    assert b.end == N
    check(b, engine)
    assert r.around(b, 0, 6, now).start == 0


def test_a_change_above_the_window_moves_it_down_and_keeps_its_rows(
    engine: Engine, cases: list[int]
) -> None:
    r = reader(engine)
    now = clock.now()
    w = r.around(r.top(now), 30, 36, now)
    first = w.rows[0].id
    # Another desk makes the last case the most urgent: it moves to the top, above the window.
    last = cases[-1]
    with write_session(engine) as s:
        s.exec(
            update(Complaint)
            .where(col(Complaint.id) == last)
            .values(next_due_at=now - timedelta(hours=1))
        )
    moved = r.changed(w, [last], now)
    check(moved, engine)
    assert moved.index_of(first) == w.index_of(first) + 1  # type: ignore[operator]
    assert moved.index_of(last) is None  # above the window: not loaded, but counted
    # It closes: it leaves the queue and the window moves back up.
    with write_session(engine) as s:
        s.exec(update(Complaint).where(col(Complaint.id) == last).values(is_open=False))
    back = r.changed(moved, [last], now)
    check(back, engine)
    assert back.index_of(first) == w.index_of(first) and back.total == N - 1


def test_a_change_inside_the_window_is_folded_in_place(engine: Engine, cases: list[int]) -> None:
    r = reader(engine)
    now = clock.now()
    w = r.top(now)
    mover = cases[3]
    with write_session(engine) as s:
        s.exec(
            update(Complaint)
            .where(col(Complaint.id) == mover)
            .values(next_due_at=now + timedelta(minutes=5, seconds=30))
        )
    w2 = r.changed(w, [mover], now)
    check(w2, engine)
    assert w2.index_of(mover) == 5
    # A case moving below a window that ends mid-queue leaves it; one moving in from below joins.
    with write_session(engine) as s:
        s.exec(
            update(Complaint)
            .where(col(Complaint.id) == mover)
            .values(next_due_at=now + timedelta(days=1))
        )
        s.exec(
            update(Complaint)
            .where(col(Complaint.id) == cases[50])
            .values(next_due_at=now - timedelta(minutes=1))
        )
    w3 = r.changed(w2, [mover, cases[50]], now)
    check(w3, engine)
    assert w3.index_of(mover) is None and w3.index_of(cases[50]) == 0


def test_changes_on_an_empty_view_and_an_unrelated_case(
    engine: Engine, cases: list[int], staffed: dict[str, int]
) -> None:
    flt = QueueFilter(assignee_id=staffed["handler"])
    r = reader(engine, flt)
    now = clock.now()
    w = r.top(now)
    assert w == Window(0, (), 0)
    with write_session(engine) as s:
        s.exec(
            update(Complaint)
            .where(col(Complaint.id) == cases[7])
            .values(assignee_id=staffed["handler"])
        )
    w = r.changed(w, [cases[7], cases[8]], now)
    assert [row.id for row in w.rows] == [cases[7]] and w.total == 1
    assert r.changed(w, [], now) is w
    assert EMPTY.covers(0, 10)


def test_state_filtered_view_reloads_as_time_passes(engine: Engine, cases: list[int]) -> None:
    r = reader(engine, QueueFilter(states=frozenset({"breached"})))
    now = clock.now()
    assert r.timed and r.top(now).total == 1  # due this very instant counts as breached
    later = now + timedelta(minutes=10, seconds=1)
    w = r.reload(r.top(now), later)
    assert w.total == 11 and [row.id for row in w.rows] == cases[:8]


def test_views_and_masking_follow_the_role(
    engine: Engine, staffed: dict[str, int], cases: list[int]
) -> None:
    desk = Desk(engine)
    agent, handler, supervisor = (desk.actor(x) for x in ("agent", "handler", "supervisor"))
    assert views_for(agent)[0] is View.MINE and View.DESK not in views_for(agent)
    assert views_for(handler)[0] is View.DEPARTMENT
    assert views_for(supervisor)[0] is View.DESK
    assert base_filter(View.MINE, agent) == QueueFilter(owner_or_assignee_id=agent.staff_id)
    assert views_for(agent) == [View.MINE, View.OWNED]
    assert View.OWNED not in views_for(handler) and View.OWNED in views_for(supervisor)
    assert base_filter(View.OWNED, agent) == QueueFilter(first_owner_id=agent.staff_id)
    w = reader(engine).top(clock.now(), 60)
    mine = [row for row in w.rows if row.first_owner_id == agent.staff_id]
    others = [row for row in w.rows if row.first_owner_id != agent.staff_id]
    assert all(sees_contact(agent, row) for row in mine)
    assert not any(sees_contact(agent, row) for row in others if row.assignee_id != agent.staff_id)
    assert not any(sees_contact(supervisor, row) for row in w.rows)
    assert all(
        sees_contact(handler, row) == (row.primary_dept_id == handler.department_id)
        for row in w.rows
    )
    assert mask_phone("13800138000") == "138****8000" and mask_phone("123") == "***"
    assert mask_name("王小明") == "王**" and mask_name("Lily Chen") == "L*** C***"


def test_the_first_page_is_shown_before_the_queue_is_counted(
    engine: Engine, cases: list[int]
) -> None:
    """Counting a million open cases takes longer than painting a page: `first` reads the page
    alone and says the total is not known yet; `count` fills it in without moving the rows."""
    r = reader(engine)
    now = clock.now()
    first = r.first(now)
    assert not first.counted and first.total == 8 and len(first.rows) == 8
    counted = r.count(first, now)
    assert counted.counted and counted.rows == first.rows
    check(counted, engine)
    assert r.count(counted, now) is counted
    few = reader(engine, QueueFilter(search="nothing matches this")).first(now)
    assert few.counted and few.total == 0  # a short first page is the whole queue


def test_one_masking_rule_for_screens_and_what_leaves_the_desk() -> None:
    from dataclasses import dataclass

    from deskapp.masking import contact_for

    @dataclass
    class Case:
        first_owner_id: int = 1
        assignee_id: int | None = 2
        primary_dept_id: int | None = 7

    @dataclass
    class Person:
        staff_id: int
        department_id: int | None = None

    case = Case()
    for viewer, sees in (
        (Person(1), True),  # first owner
        (Person(2), True),  # assignee
        (Person(9, 7), True),  # primary department
        (Person(9, 8), False),  # another department
        (Person(9), False),  # a desk-wide role
        (None, False),  # an export: nobody in particular
    ):
        shown = contact_for(viewer, case, "王小明", "13800138000")
        assert shown.masked is not sees
        assert (shown.name, shown.phone) == (
            ("王小明", "13800138000") if sees else ("王**", "138****8000")
        )
    assert not contact_for(None, case, "王小明", "13800138000", revealed=True).masked
