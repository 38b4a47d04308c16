"""Alerts for my cases: once per change, from time passing or from another desk's write."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col

from deskapp import clock
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
    with write_session(engine) as s:
        s.exec(
            update(Complaint)
            .where(col(Complaint.id) == other.complaint_id)
            .values(assignee_id=staffed["agent"])
        )
    got = watch.poll(at + timedelta(minutes=62))
    assert [(a.kind, a.number, a.subject) for a in got] == [
        ("assigned", other.number, "延迟"),
        ("breached", other.number, "延迟"),
    ]
