"""Exactly once, however many desks sweep (issue 11): five processes sweep the same desk at
the same instant, at several moments past the cases' due times, on each backend; then every
rung the rules call for is there once, as one row, one event and one notice per person."""

from __future__ import annotations

import json
import multiprocessing
from collections import Counter
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from deskapp import clock, ladder
from deskapp.cases import Desk, IntakeForm
from deskapp.domain import RiskFlag, Severity, parse_flags
from store.engine import read_session
from store.models import CaseEvent, Complaint, Escalation, Milestone, Notification

PROCESSES = 5
#: Minutes after registration at which the desks sweep: past the acknowledgements' warnings,
#: their breaches, the executive's grace, and the next morning.
MOMENTS = (23, 46, 61, 95, 16 * 60)


def _sweeper(args: tuple[str, str, object]) -> list[tuple[str, str, int]]:
    url, moment, barrier = args
    from deskapp import clock
    from deskapp.cases import Desk
    from store.engine import make_engine

    clock.freeze(datetime.fromisoformat(moment))
    desk = Desk(make_engine(url))
    barrier.wait(timeout=60)  # type: ignore[attr-defined]
    return [(r.number, r.milestone, r.level) for r in desk.sweep().reached]


def _register(desk: Desk, n: int) -> None:
    severity = (Severity.A, Severity.B, Severity.C)[n % 3]
    flags = frozenset({RiskFlag.MEDIA}) if n % 5 == 4 else frozenset()
    desk.intake(
        desk.actor("agent"),
        IntakeForm(
            phone=f"1390000{n:04d}",
            name=f"客户{n}",
            subject=f"第{n}件",
            description="漏水",
            demand="换新",
            severity=severity,
            flags=flags,
            override_reason="测试",
            acknowledged=n % 4 == 0,
        ),
    )


def _expected(engine: Engine, desk: Desk, now: datetime) -> Counter[str]:
    """Every key the rules call for at `now`, worked out from the rows and the rules alone."""
    keys: Counter[str] = Counter()
    with read_session(engine) as s:
        for c in s.exec(select(Complaint)).all():
            assert c.id is not None
            severity, flags = Severity(c.severity), parse_flags(c.flags)
            for alert in ladder.case_alerts(severity, flags, c.primary_dept_id, desk.policy):
                keys[ladder.case_key(c.id, alert.suffix)] += 1
            urgent = ladder.immediate(severity, flags, desk.policy)
            for m in s.exec(select(Milestone).where(Milestone.complaint_id == c.id)).all():
                assert m.id is not None
                for rung in ladder.due_rungs(
                    m, 0, now, urgent=urgent, policy=desk.policy, calendars=desk.calendars
                ):
                    keys[ladder.milestone_key(m.id, rung.level)] += 1
    return keys


def _written(engine: Engine) -> tuple[Counter[str], int, Counter[tuple[int, int]], int]:
    with read_session(engine) as s:
        keys = Counter(s.exec(select(Escalation.key)).all())
        events = s.exec(select(CaseEvent).where(CaseEvent.kind == "escalation")).all()
        notices = Counter(
            (int(r), int(e or 0))
            for r, e in s.exec(select(Notification.recipient_id, Notification.event_id)).all()
        )
        linked = {e for e in s.exec(select(Escalation.event_id)).all()}
    told = sum(len(json.loads(e.payload)["notified"]) for e in events)
    assert linked == {e.id for e in events}
    return keys, len(events), notices, told


@pytest.mark.slow
def test_five_desks_sweeping_at_once_reach_each_rung_once(
    db_url: str, engine: Engine, staffed: dict[str, int]
) -> None:
    desk = Desk(engine)
    desk.settings.batch_min_cases = 10_000  # twenty alike would make a batch, paged apart
    for n in range(20):
        _register(desk, n)
    start = clock.now()
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(PROCESSES) as pool:
        for minutes in MOMENTS:
            moment = start + timedelta(minutes=minutes)
            barrier = manager.Barrier(PROCESSES)
            args = [(db_url, moment.isoformat(), barrier)] * PROCESSES
            reached = [r for batch in pool.map(_sweeper, args) for r in batch]
            # Between them the five reached each rung once; which desk reached it is chance.
            assert len(reached) == len(set(reached))
            keys, events, notices, told = _written(engine)
            expected = _expected(engine, desk, moment)
            assert keys == expected, minutes
            assert all(n == 1 for n in keys.values())
            assert events == len(keys)
            assert all(n == 1 for n in notices.values())  # nobody told twice of one event
            assert sum(notices.values()) == told
    assert set(expected.values()) == {1} and len(expected) > 60


def test_deskapp_escalate_once_reports_what_it_reached(
    sqlite_engine: Engine, sqlite_url: str
) -> None:
    from deskapp.cli import main
    from tests.conftest import seed_staff

    seed_staff(sqlite_engine)
    desk = Desk(sqlite_engine)
    _register(desk, 2)  # C, not acknowledged: at risk after 45 minutes
    clock.advance(timedelta(minutes=46))
    runner = CliRunner()
    first = runner.invoke(main, ["escalate", "--once", "--db", sqlite_url])
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        "TS-20261123-0001 acknowledge: level 1 (at_risk), 1 notified",
        "1 rung(s) reached",
    ]
    again = runner.invoke(main, ["escalate", "--db", sqlite_url])
    assert again.exit_code == 0 and again.output.splitlines() == ["0 rung(s) reached"]
    with read_session(sqlite_engine) as s:
        assert s.exec(select(col(Escalation.level))).all() == [1]
