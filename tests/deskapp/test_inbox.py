"""The in-app inbox: the dispatch notice to the receiving department's liaison, the first owner
told of every step until closure, each written in the step's own transaction (issue 6)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from deskapp.cases import CASE_STEP, DISPATCH_NOTICE, Desk, InboxItem, IntakeForm
from deskapp.errors import ConflictError, NotFound, PermissionDenied, TransitionError
from store.engine import read_session, write_session
from store.models import Department, Notification, Staff
from tests.conftest import case_rows


@pytest.fixture
def desk(engine: Engine, staffed: dict[str, int]) -> Desk:
    return Desk(engine)


def register(desk: Desk, login: str = "agent") -> str:
    form = IntakeForm(
        phone="13800138000",
        name="王小明",
        subject="洗衣机漏水",
        description="漏水",
        demand="换新",
    )
    return desk.intake(desk.actor(login), form).number


def act(desk: Desk, login: str, number: str, action: str, **params: Any) -> None:
    desk.act(desk.actor(login), number, action, expected_version=None, **params)


def dispatched(desk: Desk, staffed: dict[str, int], by: str = "agent") -> str:
    number = register(desk)
    act(desk, by, number, "accept")
    act(desk, by, number, "dispatch", department_id=staffed["dept:QA"], reason="请品质部跟进")
    return number


def notes(desk: Desk) -> list[tuple[str, str, str]]:
    """(recipient login, kind, step) of every notification, oldest first."""
    with read_session(desk.engine) as s:
        rows = s.exec(
            select(Staff.login, Notification.kind, Notification.event_id)
            .join(Staff, col(Staff.id) == col(Notification.recipient_id))
            .order_by(col(Notification.id))
        ).all()
        kinds: dict[int, str] = {
            int(ident): str(kind)
            for ident, kind in s.connection().execute(text("SELECT id, kind FROM case_event"))
        }
    return [(login, kind, kinds.get(ev or 0, "")) for login, kind, ev in rows]


def test_dispatch_sends_the_notice_to_the_liaison(desk: Desk, staffed: dict[str, int]) -> None:
    number = dispatched(desk, staffed)
    # The first owner dispatched it herself: she is not told of her own steps.
    assert notes(desk) == [("handler", DISPATCH_NOTICE, "dispatch")]
    [item] = desk.inbox(desk.actor("handler"))
    assert item == InboxItem(
        id=item.id,
        kind=DISPATCH_NOTICE,
        number=number,
        subject="洗衣机漏水",
        step="dispatch",
        by="Ada Agent",
        at=item.at,
        message="请品质部跟进",
        level=0,
        read_at=None,
    )
    assert item.at == case_rows(desk, number)[2][-1].at


def test_the_first_owner_hears_of_every_step_by_someone_else(
    desk: Desk, staffed: dict[str, int]
) -> None:
    number = dispatched(desk, staffed, by="supervisor")
    act(desk, "handler", number, "start_investigation")
    act(desk, "agent", number, "record_contact", mode="phone")  # her own step: no notice
    act(desk, "manager", number, "transfer", department_id=staffed["dept:LOG"], reason="运输破损")
    act(desk, "loghandler", number, "start_investigation")
    assert notes(desk) == [
        ("agent", CASE_STEP, "accept"),
        ("handler", DISPATCH_NOTICE, "dispatch"),
        ("agent", CASE_STEP, "dispatch"),
        ("agent", CASE_STEP, "start_investigation"),
        ("loghandler", DISPATCH_NOTICE, "transfer"),
        ("agent", CASE_STEP, "transfer"),
        ("agent", CASE_STEP, "start_investigation"),
    ]
    steps = [(i.step, i.by, i.message) for i in desk.inbox(desk.actor("agent"))]
    assert steps == [
        ("start_investigation", "Lou Logistics", ""),
        ("transfer", "Meg Manager", "运输破损"),
        ("start_investigation", "Hal Handler", ""),
        ("dispatch", "Sue Supervisor", "请品质部跟进"),
        ("accept", "Sue Supervisor", ""),
    ]


def test_without_a_liaison_the_manager_gets_the_notice(desk: Desk, staffed: dict[str, int]) -> None:
    with write_session(desk.engine) as s:
        qa = s.get(Department, staffed["dept:QA"])
        assert qa is not None
        qa.liaison_id = None
        s.add(qa)
        log = s.get(Department, staffed["dept:LOG"])
        loghandler = s.get(Staff, staffed["loghandler"])
        assert log is not None and loghandler is not None and log.liaison_id == loghandler.id
        loghandler.active = False  # the liaison left: the manager stands in
        s.add(loghandler)
    number = dispatched(desk, staffed)
    act(desk, "manager", number, "transfer", department_id=staffed["dept:LOG"], reason="运输")
    received = [(login, kind) for login, kind, _ in notes(desk) if kind == DISPATCH_NOTICE]
    assert received == [("manager", DISPATCH_NOTICE), ("logmanager", DISPATCH_NOTICE)]


def test_a_first_owner_who_is_the_liaison_is_told_once(desk: Desk, staffed: dict[str, int]) -> None:
    with write_session(desk.engine) as s:
        qa = s.get(Department, staffed["dept:QA"])
        assert qa is not None
        qa.liaison_id = staffed["agent"]
        s.add(qa)
    dispatched(desk, staffed, by="supervisor")
    assert [n for n in notes(desk) if n[2] == "dispatch"] == [
        ("agent", DISPATCH_NOTICE, "dispatch")
    ]


def test_refused_steps_notify_nobody(desk: Desk, staffed: dict[str, int]) -> None:
    number = dispatched(desk, staffed)
    before = notes(desk)
    with pytest.raises(PermissionDenied):
        act(desk, "loghandler", number, "start_investigation")
    with pytest.raises(TransitionError):
        act(desk, "manager", number, "transfer", department_id=staffed["dept:LOG"])  # no reason
    with pytest.raises(ConflictError):
        desk.act(desk.actor("handler"), number, "start_investigation", expected_version=1)
    assert notes(desk) == before


def test_notifications_live_and_die_with_the_step(
    desk: Desk, staffed: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """They are written in the step's transaction: a step that fails after writing them leaves
    neither the step nor its notifications behind."""
    number = register(desk)
    act(desk, "agent", number, "accept")
    real = Desk._notify

    def notify_then_fail(self: Desk, *args: Any) -> None:
        real(self, *args)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(Desk, "_notify", notify_then_fail)
    with pytest.raises(RuntimeError):
        act(desk, "supervisor", number, "dispatch", department_id=staffed["dept:QA"])
    assert notes(desk) == [] and case_rows(desk, number)[0].status == "accepted"
    monkeypatch.undo()
    act(desk, "supervisor", number, "dispatch", department_id=staffed["dept:QA"])
    assert len(notes(desk)) == 2


def test_inbox_unread_and_mark_read(desk: Desk, staffed: dict[str, int]) -> None:
    number = dispatched(desk, staffed, by="supervisor")
    act(desk, "handler", number, "start_investigation")
    agent, handler = desk.actor("agent"), desk.actor("handler")
    assert desk.unread_count(agent) == 3 and desk.unread_count(handler) == 1
    assert (
        desk.unread_count(desk.actor("loghandler")) == 0 and desk.inbox(desk.actor("legal")) == []
    )
    mine = desk.inbox(agent)
    assert [i.step for i in mine] == ["start_investigation", "dispatch", "accept"]
    assert [i.step for i in desk.inbox(agent, limit=2)] == ["start_investigation", "dispatch"]

    assert desk.mark_read(agent, [mine[0].id, mine[0].id]) == 1
    assert desk.mark_read(agent, [mine[0].id]) == 0  # already read
    assert desk.mark_read(agent, []) == 0
    assert desk.unread_count(agent) == 2
    assert [i.step for i in desk.inbox(agent, unread_only=True)] == ["dispatch", "accept"]
    assert desk.inbox(agent)[0].read_at is not None

    # Only the recipient: one of someone else's ids refuses the whole request.
    [theirs] = desk.inbox(handler)
    with pytest.raises(PermissionDenied):
        desk.mark_read(agent, [mine[1].id, theirs.id])
    with pytest.raises(NotFound):
        desk.mark_read(agent, [mine[1].id, 999_999])
    assert desk.unread_count(agent) == 2 and desk.unread_count(handler) == 1


def test_unread_count_is_one_read_of_the_unread_index(
    desk: Desk, staffed: dict[str, int], db_url: str
) -> None:
    dispatched(desk, staffed, by="supervisor")
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    event.listen(desk.engine, "before_cursor_execute", capture)
    try:
        assert desk.unread_count(desk.actor("agent")) == 2
    finally:
        event.remove(desk.engine, "before_cursor_execute", capture)
    reads = [(s, p) for s, p in seen if "notification" in s]
    assert len(reads) == 1
    if db_url.startswith("sqlite"):
        statement, params = reads[0]
        with desk.engine.connect() as conn:
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).all()
        assert "ix_notification_recipient_unread" in " ".join(str(row) for row in plan)
