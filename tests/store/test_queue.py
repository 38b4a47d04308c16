"""The live queue reads open cases page by page from an index, in one order on both backends:
soonest due first, ties by id, cases without a due time last, closed cases never."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from deskapp import clock
from deskapp.cases import Desk, IntakeForm
from deskapp.domain import Channel, RiskFlag, Severity
from store import board
from store.engine import read_session, write_session
from store.models import Complaint, Customer
from store.queue import (
    QueueFilter,
    QueueKey,
    QueueRow,
    count_before,
    count_open,
    key_of,
    page_after,
    page_at,
    page_before,
    rows_by_ids,
)
from tests.conftest import seed_staff

CHANNELS = (Channel.PHONE, Channel.CHAT, Channel.EMAIL)
SEVERITIES = (Severity.A, Severity.B, Severity.C)


@dataclass
class Desk10:
    """Ten registered cases, their ids in registration order, and the staff ids."""

    engine: Engine
    ids: list[int]
    staff: dict[str, int]


def register(engine: Engine, staff: dict[str, int], count: int) -> list[int]:
    """Cases that differ in every filtered attribute: channel, severity, flags, department,
    first owner. (They all leak: no batch issue may form and flag them, so its threshold is
    raised out of reach.)"""
    desk = Desk(engine)
    desk.settings.batch_min_cases = 10_000
    agents = [desk.actor("agent"), desk.actor("agent2")]
    ids = []
    for i in range(count):
        result = desk.intake(
            agents[i % 2],
            IntakeForm(
                phone=f"138{i:08d}",
                name=f"Customer {i}",
                subject=f"Subject {i}",
                description="A washing machine leaks.",
                demand="Replace it",
                channel=CHANNELS[i % 3],
                severity=SEVERITIES[i % 3],
                flags=frozenset({RiskFlag.LEGAL}) if i % 4 == 0 else frozenset(),
                primary_dept_id=staff["dept:QA"] if i % 2 == 0 else staff["dept:LOG"],
            ),
        )
        ids.append(result.complaint_id)
    return ids


def set_cases(
    engine: Engine,
    due: Mapping[int, datetime | None] | None = None,
    *,
    closed: Sequence[int] = (),
    assignee: Mapping[int, int | None] | None = None,
) -> None:
    with write_session(engine) as s:
        for case_id, when in (due or {}).items():
            s.exec(update(Complaint).where(col(Complaint.id) == case_id).values(next_due_at=when))
        for case_id, who in (assignee or {}).items():
            s.exec(update(Complaint).where(col(Complaint.id) == case_id).values(assignee_id=who))
        if closed:
            s.exec(update(Complaint).where(col(Complaint.id).in_(closed)).values(is_open=False))


def at(minutes: int) -> datetime:
    return clock.now() + timedelta(minutes=minutes)


def reference(engine: Engine, flt: QueueFilter) -> list[int]:
    """The queue computed the slow way: every complaint, filtered and sorted in Python."""
    with read_session(engine) as s:
        pairs = s.exec(select(Complaint, Customer).join(Customer)).all()
    kept = [c for c, _ in pairs if c.is_open and matches(c, flt)]
    kept.sort(key=lambda c: QueueKey(c.next_due_at, c.id or 0).rank())
    return [c.id or 0 for c in kept]


def matches(c: Complaint, flt: QueueFilter) -> bool:
    who = flt.owner_or_assignee_id
    return (
        (flt.department_id is None or c.primary_dept_id == flt.department_id)
        and (flt.assignee_id is None or c.assignee_id == flt.assignee_id)
        and (who is None or who in (c.first_owner_id, c.assignee_id))
        and (flt.first_owner_id is None or c.first_owner_id == flt.first_owner_id)
        and (not flt.severities or c.severity in flt.severities)
        and (not flt.statuses or c.status in flt.statuses)
        and (not flt.channels or c.channel in flt.channels)
        and (flt.flag is None or flt.flag in c.flags.split())
        and (not flt.kinds or c.next_kind in flt.kinds)
    )


def walk_forward(engine: Engine, flt: QueueFilter, size: int) -> list[int]:
    seen: list[QueueRow] = []
    while True:
        with read_session(engine) as s:
            page = page_after(s, flt, key_of(seen[-1]) if seen else None, size)
        assert len(page) <= size
        seen += page
        if len(page) < size:
            return [r.id for r in seen]


def walk_backward(engine: Engine, flt: QueueFilter, size: int) -> list[int]:
    seen: list[QueueRow] = []
    while True:
        with read_session(engine) as s:
            page = page_before(s, flt, key_of(seen[0]) if seen else None, size)
        assert len(page) <= size
        seen = page + seen
        if len(page) < size:
            return [r.id for r in seen]


@pytest.fixture
def desk10(engine: Engine, staffed: dict[str, int]) -> Desk10:
    return Desk10(engine, register(engine, staffed, 10), staffed)


def scramble(d: Desk10) -> dict[int, datetime | None]:
    """Overdue, ties and missing due times, deliberately out of id order."""
    i = d.ids
    due: dict[int, datetime | None] = {
        i[0]: at(30),
        i[1]: None,
        i[2]: at(-90),  # breached: first
        i[3]: at(30),  # ties with i[0]: id order decides
        i[4]: None,
        i[5]: at(5),
        i[6]: at(30),
        i[7]: at(-5),
        i[8]: None,
        i[9]: at(600),
    }
    set_cases(d.engine, due)
    return due


def test_forward_pages_equal_one_ordered_read(desk10: Desk10) -> None:
    scramble(desk10)
    i = desk10.ids
    expected = [i[2], i[7], i[5], i[0], i[3], i[6], i[9], i[1], i[4], i[8]]
    everything = QueueFilter()
    with read_session(desk10.engine) as s:
        assert [r.id for r in page_after(s, everything, None, 100)] == expected
    assert walk_forward(desk10.engine, everything, 3) == expected
    assert reference(desk10.engine, everything) == expected


def test_backward_pages_mirror_forward(desk10: Desk10) -> None:
    scramble(desk10)
    everything = QueueFilter()
    forward = walk_forward(desk10.engine, everything, 3)
    assert walk_backward(desk10.engine, everything, 3) == forward
    with read_session(desk10.engine) as s:
        rows = page_after(s, everything, None, 100)
        for n, row in enumerate(rows):
            # Scrolling up from any row shows exactly the rows above it, in queue order.
            assert [r.id for r in page_before(s, everything, key_of(row), 3)] == forward[
                max(0, n - 3) : n
            ]
            assert [r.id for r in page_after(s, everything, key_of(row), 3)] == forward[
                n + 1 : n + 4
            ]


def test_ties_go_by_id_and_cases_without_due_time_go_last(desk10: Desk10) -> None:
    i = desk10.ids
    set_cases(desk10.engine, {c: at(10) for c in i[:6]} | {c: None for c in i[6:]})
    with read_session(desk10.engine) as s:
        rows = page_after(s, QueueFilter(), None, 100)
        assert [r.id for r in rows] == sorted(i[:6]) + sorted(i[6:])
        assert [r.next_due_at for r in rows][-4:] == [None] * 4
        # Resuming inside the tie, and inside the undated tail.
        assert [r.id for r in page_after(s, QueueFilter(), QueueKey(at(10), i[2]), 4)] == [
            i[3],
            i[4],
            i[5],
            i[6],
        ]
        assert [r.id for r in page_after(s, QueueFilter(), QueueKey(None, i[7]), 4)] == i[8:]
        assert [r.id for r in page_before(s, QueueFilter(), QueueKey(None, i[7]), 2)] == [
            i[5],
            i[6],
        ]


def test_row_carries_what_the_queue_shows(desk10: Desk10) -> None:
    scramble(desk10)
    set_cases(desk10.engine, assignee={desk10.ids[2]: desk10.staff["handler"]})
    with read_session(desk10.engine) as s:
        row = page_after(s, QueueFilter(), None, 1)[0]
        case = s.get(Complaint, desk10.ids[2])
    assert case is not None
    assert row == QueueRow(
        id=desk10.ids[2],
        number=case.number,
        next_due_at=at(-90),
        severity="C",
        status="new",
        channel="email",
        flags="",
        subject="Subject 2",
        customer_name="Customer 2",
        customer_phone="13800000002",
        primary_dept_id=desk10.staff["dept:QA"],
        assignee_id=desk10.staff["handler"],
        escalation_level=0,
        first_owner_id=desk10.staff["agent"],
        next_kind=case.next_kind,
        next_calendar=case.next_calendar,
        next_warn_at=case.next_warn_at,
    )
    assert (row.next_kind, row.next_calendar) == ("acknowledge", "24x7")


def filters(staff: dict[str, int]) -> Iterator[tuple[QueueFilter, int]]:
    """Each filter and how many of the ten cases (two closed) it keeps."""
    yield QueueFilter(department_id=staff["dept:QA"]), 3
    yield QueueFilter(department_id=staff["dept:LOG"]), 5
    yield QueueFilter(assignee_id=staff["handler"]), 2
    yield QueueFilter(owner_or_assignee_id=staff["agent2"]), 6
    yield QueueFilter(owner_or_assignee_id=staff["handler"]), 2
    yield QueueFilter(first_owner_id=staff["agent2"]), 5  # the one assigned is not "owned"
    yield QueueFilter(severities=frozenset({"A", "B"})), 5
    yield QueueFilter(statuses=frozenset({"new"})), 8
    yield QueueFilter(statuses=frozenset({"closed"})), 0
    yield QueueFilter(channels=frozenset({"chat"})), 2
    yield QueueFilter(flag="legal"), 2
    yield QueueFilter(flag="leg"), 0
    yield QueueFilter(department_id=staff["dept:QA"], severities=frozenset({"C"}), flag="legal"), 1
    yield QueueFilter(department_id=staff["dept:LOG"], assignee_id=staff["handler"]), 1


def test_every_filter_pages_like_the_reference(desk10: Desk10) -> None:
    i = desk10.ids
    scramble(desk10)
    # Handler on a QA case and a LOG case; agent2 assigned a case agent registered.
    set_cases(
        desk10.engine,
        closed=[i[4], i[6]],
        assignee={i[2]: desk10.staff["handler"], i[3]: desk10.staff["handler"]},
    )
    set_cases(desk10.engine, assignee={i[0]: desk10.staff["agent2"]})
    for flt, size in filters(desk10.staff):
        expected = reference(desk10.engine, flt)
        assert len(expected) == size, flt
        assert walk_forward(desk10.engine, flt, 3) == expected, flt
        assert walk_backward(desk10.engine, flt, 2) == expected, flt
        with read_session(desk10.engine) as s:
            assert count_open(s, flt) == size, flt
            assert [r.id for r in rows_by_ids(s, i, flt)] == expected, flt


def test_closed_cases_never_appear(desk10: Desk10) -> None:
    i = desk10.ids
    scramble(desk10)
    set_cases(desk10.engine, closed=[i[2], i[1], i[9]])
    with read_session(desk10.engine) as s:
        assert count_open(s, QueueFilter()) == 7
        shown = [r.id for r in page_after(s, QueueFilter(), None, 100)]
        assert not {i[2], i[1], i[9]} & set(shown)
        # A closed case the change feed names is dropped from the view, not shown.
        assert [r.id for r in rows_by_ids(s, [i[2], i[5], i[0], i[5]])] == [i[5], i[0]]
        assert rows_by_ids(s, []) == []
        assert page_after(s, QueueFilter(), None, 0) == []


@pytest.fixture
def hypothesis_desk(sqlite_engine: Engine) -> Desk10:
    """One SQLite desk shared by every example (hence the suppressed health check): each example
    rewrites every due time and open flag it depends on."""
    staff = seed_staff(sqlite_engine)
    return Desk10(sqlite_engine, register(sqlite_engine, staff, 12), staff)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    data=st.data(),
    size=st.integers(min_value=1, max_value=5),
)
def test_paging_matches_python_sort(
    hypothesis_desk: Desk10, data: st.DataObject, size: int
) -> None:
    d = hypothesis_desk
    # Few distinct minutes, so ties are common; None is a missing due time.
    dues = data.draw(
        st.lists(
            st.none() | st.integers(min_value=-3, max_value=3),
            min_size=len(d.ids),
            max_size=len(d.ids),
        )
    )
    open_ = data.draw(st.lists(st.booleans(), min_size=len(d.ids), max_size=len(d.ids)))
    with write_session(d.engine) as s:
        s.exec(update(Complaint).values(is_open=True))
    set_cases(
        d.engine,
        {c: None if m is None else at(m) for c, m in zip(d.ids, dues, strict=True)},
        closed=[c for c, o in zip(d.ids, open_, strict=True) if not o],
    )
    key = {c: (m is None, m or 0, c) for c, m, o in zip(d.ids, dues, open_, strict=True) if o}
    expected = sorted(key, key=key.__getitem__)
    assert walk_forward(d.engine, QueueFilter(), size) == expected
    assert walk_backward(d.engine, QueueFilter(), size) == expected


def test_sqlite_pages_are_read_from_the_queue_indexes(sqlite_engine: Engine) -> None:
    staff = seed_staff(sqlite_engine)
    ids = register(sqlite_engine, staff, 3)
    set_cases(sqlite_engine, {ids[1]: None}, assignee={ids[0]: staff["handler"]})
    statements: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "complaint" in statement:
            statements.append((statement, params))

    views = {
        "ix_complaint_open_next_due": QueueFilter(),
        "ix_complaint_dept_open": QueueFilter(department_id=staff["dept:QA"]),
        "ix_complaint_assignee_open": QueueFilter(assignee_id=staff["handler"]),
    }
    plans: dict[str, list[str]] = {}
    for index, flt in views.items():
        statements.clear()
        event.listen(sqlite_engine, "before_cursor_execute", capture)
        try:
            with read_session(sqlite_engine) as s:
                page_after(s, flt, QueueKey(at(0), ids[0]), 10)  # dated, then undated segment
        finally:
            event.remove(sqlite_engine, "before_cursor_execute", capture)
        assert len(statements) == 2
        with sqlite_engine.connect() as conn:
            for statement, params in statements:
                plan = [
                    str(row[-1])
                    for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
                ]
                plans.setdefault(index, []).extend(plan)
                complaint_steps = [p for p in plan if " complaint " in f"{p} "]
                assert complaint_steps, plan
                assert all(index in p for p in complaint_steps), plan
                assert not any(p.startswith("SCAN complaint") and "INDEX" not in p for p in plan)
                assert not any("TEMP B-TREE" in p for p in plan), plan  # no sort step
    print(plans)  # the report quotes these lines (pytest -s)


def state_of(c: Complaint, now: datetime) -> str:
    """The reference for the state filter, written the obvious way."""
    if c.status == "pending_customer":
        return "paused"
    if c.next_due_at is not None and c.next_due_at <= now:
        return "breached"
    if c.next_warn_at is not None and c.next_warn_at <= now:
        return "at_risk"
    return "on_track"


def test_state_kind_and_position_reads_agree_with_the_reference(desk10: Desk10) -> None:
    i = desk10.ids
    due = scramble(desk10)
    now = clock.now()
    with write_session(desk10.engine) as s:
        for n, case_id in enumerate(i):
            when = due[case_id]
            warn = None if when is None else when - timedelta(minutes=10)
            values: dict[str, Any] = {
                "next_warn_at": warn,
                "next_kind": ("contact", "resolve")[n % 2],
            }
            if n == 6:
                values["status"] = "pending_customer"
            s.exec(update(Complaint).where(col(Complaint.id) == case_id).values(**values))
    with read_session(desk10.engine) as s:
        cases = {c.id: c for c in s.exec(select(Complaint)).all()}
    everything = reference(desk10.engine, QueueFilter())
    for states in ({"breached"}, {"at_risk"}, {"on_track"}, {"paused"}, {"breached", "at_risk"}):
        flt = QueueFilter(states=frozenset(states))
        expected = [c for c in everything if state_of(cases[c], now) in states]
        assert expected, states
        with read_session(desk10.engine) as s:
            assert [r.id for r in page_after(s, flt, None, 100, now=now)] == expected, states
            assert count_open(s, flt, now=now) == len(expected)
    # at(5) is due in 5 minutes and warned 5 minutes ago: at risk, not breached.
    assert state_of(cases[i[5]], now) == "at_risk"
    with read_session(desk10.engine) as s, pytest.raises(ValueError, match="now"):
        page_after(s, QueueFilter(states=frozenset({"breached"})), None, 5)
    # The breach board's tiles: (at risk, breached) per department × severity, from the
    # covering indexes (store.board.risk), as the queue's own states judge them.
    tiles: dict[tuple[int, str], list[int]] = {}
    for case_id in everything:
        c = cases[case_id]
        state = state_of(c, now)
        if state in ("at_risk", "breached"):
            tiles.setdefault((c.primary_dept_id or 0, c.severity), [0, 0])[state == "breached"] += 1
    assert tiles
    with read_session(desk10.engine) as s:
        got = {k: v for k, v in board.risk(s, now).items() if any(v)}
    assert got == {k: tuple(v) for k, v in tiles.items()}
    kinds = QueueFilter(kinds=frozenset({"resolve"}))
    assert walk_forward(desk10.engine, kinds, 2) == reference(desk10.engine, kinds)
    assert len(reference(desk10.engine, kinds)) == 5
    # Position reads: the index of every row, and a jump straight to any index.
    for flt in (QueueFilter(), kinds, QueueFilter(department_id=desk10.staff["dept:QA"])):
        expected = reference(desk10.engine, flt)
        with read_session(desk10.engine) as s:
            rows = page_after(s, flt, None, 100)
            for n, row in enumerate(rows):
                assert count_before(s, flt, key_of(row)) == n
            for start in range(len(expected) + 1):
                assert [r.id for r in page_at(s, flt, start, 3)] == expected[start : start + 3]


def test_search_finds_number_phone_name_and_subject_literally(desk10: Desk10) -> None:
    i = desk10.ids
    scramble(desk10)
    with read_session(desk10.engine) as s:
        number = s.get(Complaint, i[3]).number  # type: ignore[union-attr]

    def found(text: str) -> list[int]:
        flt = QueueFilter(search=text)
        with read_session(desk10.engine) as s:
            rows = [r.id for r in page_after(s, flt, None, 100)]
            assert count_open(s, flt) == len(rows)
        return rows

    assert found(number) == [i[3]]
    assert found("13800000007") == [i[7]]
    assert found("Customer 9") == [i[9]]
    assert found("ubject 5") == [i[5]]
    assert set(found("Subject")) == set(i)
    assert found("%") == [] and found("_") == []  # wildcards are matched as themselves
    assert found("  ") == reference(desk10.engine, QueueFilter())
