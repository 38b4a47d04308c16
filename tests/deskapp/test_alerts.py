"""Alerts for my cases: once per change, from time passing or from another desk's write."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col

from deskapp import audit, clock
from deskapp.alerts import MyCasesWatch
from deskapp.cases import Desk, IntakeForm
from store.engine import write_session
from store.models import Complaint


def test_at_risk_breached_and_assigned_each_alert_once(
    engine: Engine, staffed: dict[str, int]
) -> None:
    desk = Desk(engine)
    mine = desk.intake(
        desk.actor("agent"),
        IntakeForm(phone="13800138000", name="王", subject="漏水", description="d", demand="x"),
    )
    other = desk.intake(
        desk.actor("agent2"),
        IntakeForm(phone="13900139000", name="李", subject="延迟", description="d", demand="x"),
    )
    watch = MyCasesWatch(engine, staffed["agent"])
    assert watch.poll(clock.now()) == []  # taking stock
    # Unacknowledged: the 1-hour acknowledge promise warns at 45 minutes, breaks at 60.
    at = clock.now()
    assert watch.poll(at + timedelta(minutes=44)) == []
    risk = watch.poll(at + timedelta(minutes=46))
    assert [(a.kind, a.number) for a in risk] == [("at_risk", mine.number)]
    assert watch.poll(at + timedelta(minutes=50)) == []
    assert [a.kind for a in watch.poll(at + timedelta(minutes=61))] == ["breached"]
    assert watch.poll(at + timedelta(minutes=62)) == []
    with write_session(engine) as s:  # another desk assigns agent2's case to this agent
        s.exec(
            update(Complaint)
            .where(col(Complaint.id) == other.complaint_id)
            .values(assignee_id=staffed["agent"])
        )
        audit.append(
            s, kind="assigned", actor_id=staffed["agent2"], complaint_id=other.complaint_id
        )
    got = watch.poll(at + timedelta(minutes=62))
    assert [(a.kind, a.number, a.subject) for a in got] == [
        ("assigned", other.number, "延迟"),
        ("breached", other.number, "延迟"),
    ]


def test_an_event_on_a_case_breached_before_sign_in_does_not_alert_again(
    engine: Engine, staffed: dict[str, int]
) -> None:
    """After the stock a poll reads only crossings and changed cases: a case that was already
    breached at sign-in and is then noted by another desk does not alert again."""
    desk = Desk(engine)
    case = desk.intake(
        desk.actor("agent"),
        IntakeForm(phone="13800138000", name="王", subject="漏水", description="d", demand="x"),
    )
    at = clock.now() + timedelta(hours=2)  # already breached when the watch starts
    watch = MyCasesWatch(engine, staffed["agent"])
    assert watch.poll(at) == []
    with write_session(engine) as s:
        audit.append(s, kind="note", actor_id=staffed["agent2"], complaint_id=case.complaint_id)
    assert watch.poll(at + timedelta(seconds=2)) == []


def test_a_case_leaving_me_and_coming_back_alerts_again(
    engine: Engine, staffed: dict[str, int]
) -> None:
    desk = Desk(engine)
    case = desk.intake(
        desk.actor("agent2"),
        IntakeForm(phone="13900139000", name="李", subject="延迟", description="d", demand="x"),
    )
    watch = MyCasesWatch(engine, staffed["agent"])
    at = clock.now()
    assert watch.poll(at) == []

    def assign(to: int | None) -> None:
        with write_session(engine) as s:
            s.exec(
                update(Complaint)
                .where(col(Complaint.id) == case.complaint_id)
                .values(assignee_id=to)
            )
            audit.append(
                s, kind="assigned", actor_id=staffed["agent2"], complaint_id=case.complaint_id
            )

    assign(staffed["agent"])
    assert [a.kind for a in watch.poll(at)] == ["assigned"]
    assign(None)
    assert watch.poll(at) == []
    assign(staffed["agent"])
    assert [(a.kind, a.subject) for a in watch.poll(at)] == [("assigned", "延迟")]
