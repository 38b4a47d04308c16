"""The demo desk must look lived in and be indistinguishable from what the use cases write:
every state, a believable severity mix, milestones that agree with the status and the SLA policy,
numbers that later intakes continue, and an audit chain that verifies."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from deskapp import audit, demo, sla
from deskapp import milestones as ms
from deskapp.auth import verify_password
from deskapp.cases import Desk, IntakeForm
from deskapp.config import load_settings
from deskapp.demo import writer
from deskapp.domain import (
    TERMINAL_STATUSES,
    Channel,
    MilestoneKind,
    RiskFlag,
    Severity,
    Status,
    parse_flags,
)
from deskapp.validation import check_email, check_phone
from store.engine import make_engine, read_session
from store.models import (
    AuditHead,
    CaseEvent,
    Complaint,
    Customer,
    DaySequence,
    Department,
    Milestone,
    Staff,
)
from store.phones import normal_phone

CASES = 400
SHANGHAI = ZoneInfo("Asia/Shanghai")
NUMBER = re.compile(r"^TS-(\d{8})-(\d{4,})$")


@pytest.fixture
def desk(engine: Engine) -> demo.DemoStats:
    return demo.generate(engine, cases=CASES, seed=11)


def _complaints(engine: Engine) -> list[Complaint]:
    with read_session(engine) as s:
        return list(s.exec(select(Complaint).order_by(col(Complaint.id))).all())


def _milestones(engine: Engine) -> dict[int, list[Milestone]]:
    rows: dict[int, list[Milestone]] = defaultdict(list)
    with read_session(engine) as s:
        for m in s.exec(select(Milestone).order_by(col(Milestone.id))).all():
            rows[m.complaint_id].append(m)
    return rows


def test_every_state_channel_and_a_believable_mix(engine: Engine, desk: demo.DemoStats) -> None:
    complaints = _complaints(engine)
    assert desk.cases == len(complaints) == CASES
    assert {Status(c.status) for c in complaints} == set(Status)
    assert {Channel(c.channel) for c in complaints} == set(Channel)
    severity = Counter(c.severity for c in complaints)
    assert 0.05 <= severity[Severity.A] / CASES <= 0.16
    assert 0.22 <= severity[Severity.B] / CASES <= 0.38
    assert 0.50 <= severity[Severity.C] / CASES <= 0.70
    flags = Counter(flag for c in complaints for flag in parse_flags(c.flags))
    assert flags[RiskFlag.VIP] and flags[RiskFlag.REPEAT] and flags[RiskFlag.REGULATOR]
    per_customer = Counter(c.customer_id for c in complaints)
    assert max(per_customer.values()) >= 3, "some customers should be repeat complainants"
    texts = " ".join(c.subject + c.description for c in complaints)
    assert re.search(r"[\u4e00-\u9fff]", texts) and re.search(r"[A-Za-z]{5}", texts)

    with read_session(engine) as s:
        customers = s.exec(select(Customer)).all()
    assert len(customers) == desk.customers
    assert any(c.tier == "vip" for c in customers)
    for c in customers:
        assert check_phone(c.phone) is None, c.phone
        assert check_email(c.email) is None, c.email
    phones = [c.phone for c in customers]
    assert len(phones) == len(set(phones))
    assert any(p.startswith("+1") for p in phones) and any(p.startswith("13") for p in phones)
    assert all(p == normal_phone(p) for p in phones)  # stored as intake stores them


def test_the_chain_verifies_and_numbers_follow_the_shanghai_day(
    engine: Engine, desk: demo.DemoStats
) -> None:
    with read_session(engine) as s:
        result = audit.verify(s)
        intakes = s.exec(select(sa.func.count()).where(CaseEvent.kind == "intake")).one()
        head = s.get(AuditHead, 1)
    assert result.ok, result.reason
    assert result.count == desk.events > CASES
    assert intakes == CASES
    assert head is not None and head.last_event_id == desk.events

    complaints = _complaints(engine)
    by_day: dict[str, list[int]] = defaultdict(list)
    for c in complaints:
        match = NUMBER.match(c.number)
        assert match, c.number
        day, sequence = match.groups()
        assert day == c.created_at.astimezone(SHANGHAI).strftime("%Y%m%d")
        by_day[day].append(int(sequence))
    assert len({c.number for c in complaints}) == CASES
    with read_session(engine) as s:
        counters = {row.day: row.last for row in s.exec(select(DaySequence)).all()}
    for day, sequences in by_day.items():
        assert sorted(sequences) == list(range(1, len(sequences) + 1))
        assert counters[day] == len(sequences)
    # Numbers go up with registration time, as a live desk allocates them.
    ordered = sorted(complaints, key=lambda c: (c.created_at, c.id))
    assert [c.number for c in ordered] == sorted(c.number for c in complaints)


def test_milestones_agree_with_status_and_policy(
    engine: Engine, desk: demo.DemoStats, frozen_clock: datetime
) -> None:
    now = frozen_clock
    settings = load_settings()
    policy = sla.load_policy(settings.sla.policy_file)
    calendars = sla.CalendarSet(settings.sla.calendar_dirs)
    rows = _milestones(engine)
    breached = ahead = 0
    for c in _complaints(engine):
        assert c.id is not None
        mine = rows[c.id]
        kinds = {m.kind for m in mine}
        assert {k.value for k in sla.INTAKE_MILESTONES} <= kinds
        status = Status(c.status)
        if status in TERMINAL_STATUSES:
            assert not c.is_open and c.next_due_at is None
            assert all(not m.is_open and (m.met_at or m.cancelled) for m in mine)
        else:
            assert c.is_open
            assert c.next_due_at == ms.next_due(mine)
            h = ms.head_columns(mine, policy.warn_fraction, calendars)
            assert (c.next_kind, c.next_calendar, c.next_warn_at) == (h.kind, h.calendar, h.warn_at)
            if c.next_due_at is not None:
                assert c.next_warn_at is not None and c.next_warn_at <= c.next_due_at
        if status is Status.CLOSED:
            assert all(m.met_at is not None for m in mine)
            assert c.customer_confirmed_at is not None and c.satisfaction is not None
        if status is Status.PENDING_CUSTOMER:
            assert all(m.paused_at is not None for m in mine if m.is_open)
            assert c.resume_status in (Status.INVESTIGATING, Status.PLAN_PROPOSED)
        for m in mine:
            assert m.is_open == (m.met_at is None and not m.cancelled)
            assert m.started_at >= c.created_at and (m.met_at is None or m.met_at <= now)
            if m.paused_seconds == 0:
                planned = sla.plan(
                    MilestoneKind(m.kind),
                    Severity(c.severity),
                    RiskFlag.VIP in parse_flags(c.flags),
                    m.started_at,
                    policy,
                    calendars,
                )
                assert (m.due_at, m.budget_minutes, m.calendar) == (
                    planned.due_at,
                    planned.budget_minutes,
                    planned.calendar,
                )
            if m.is_open and m.paused_at is None:
                breached += m.due_at < now
                ahead += m.due_at > now
    assert breached and ahead, "open promises should range from broken to still running"


def test_demo_accounts_sign_in_with_demo(engine: Engine, desk: demo.DemoStats) -> None:
    with read_session(engine) as s:
        staff = {st.login: st for st in s.exec(select(Staff)).all()}
        depts = {d.code: d for d in s.exec(select(Department)).all()}
    roles = {
        "agent": "agent",
        "handler": "handler",
        "manager": "dept_manager",
        "supervisor": "supervisor",
        "legal": "legal",
        "executive": "executive",
        "admin": "admin",
    }
    for login, role in roles.items():
        assert staff[login].roles.split() == [role]
        assert verify_password(demo.DEMO_PASSWORD, staff[login].password_hash)
    assert staff["manager"].compensation_limit == 2000
    assert staff["executive"].compensation_limit == 100000
    assert staff["handler"].department_id == staff["manager"].department_id == depts["QA"].id
    assert {"QA", "LOG", "SALES", "PUR", "CS", "PROD"} <= set(depts)
    for dept in depts.values():
        assert dept.manager_id is not None and dept.liaison_id is not None
    assert desk.staff == len(staff)
    assert demo.has_staff(engine)


def test_later_intakes_and_demo_runs_continue_the_desk(
    engine: Engine, desk: demo.DemoStats
) -> None:
    today = "20261123"  # the frozen clock: 10:00 in Shanghai
    before = [c.number for c in _complaints(engine) if c.number.startswith(f"TS-{today}-")]
    app = Desk(engine)
    result = app.intake(
        app.actor("agent"),
        IntakeForm(phone="13912345678", name="测试", subject="复测", description="d", demand="d"),
    )
    assert result.number == f"TS-{today}-{len(before) + 1:04d}"

    more = demo.generate(engine, cases=50, seed=12)
    complaints = _complaints(engine)
    assert len(complaints) == CASES + 1 + 50
    assert len({c.number for c in complaints}) == len(complaints)
    with read_session(engine) as s:
        verified = audit.verify(s)
        logins = s.exec(select(Staff.login)).all()
    assert verified.ok and verified.count == desk.events + 1 + more.events
    assert len(logins) == len(set(logins)) == desk.staff
    again = app.intake(
        app.actor("agent"),
        IntakeForm(phone="13912345679", name="再测", subject="复测", description="d", demand="d"),
    )
    assert again.number not in {c.number for c in complaints}


def test_a_demo_desk_says_so_and_a_real_one_does_not(
    engine: Engine, desk: demo.DemoStats, sqlite_template: Path, tmp_path: Path
) -> None:
    from deskapp.overview import is_demo

    assert is_demo(engine)
    shutil.copy(sqlite_template, tmp_path / "real.db")
    assert not is_demo(make_engine(f"sqlite:///{tmp_path / 'real.db'}"))


def test_has_staff_is_false_on_an_empty_desk(sqlite_engine: Engine) -> None:
    assert not demo.has_staff(sqlite_engine)


def _fingerprint(engine: Engine) -> str:
    """Everything the demo wrote, as one digest."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in (
            "customer",
            "complaint",
            "milestone",
            "complaint_assist",
            "case_event",
            "day_sequence",
            "audit_head",
        ):
            t = sa.table(table)
            for row in conn.execute(sa.select(sa.text("*")).select_from(t).order_by(sa.text("1"))):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@pytest.fixture
def fresh_sqlite(sqlite_template: Path, tmp_path: Path) -> Iterator[list[Engine]]:
    engines = []
    for i in range(2):
        target = tmp_path / f"copy{i}.db"
        shutil.copy(sqlite_template, target)
        engines.append(make_engine(f"sqlite:///{target}"))
    yield engines
    for e in engines:
        e.dispose()


def test_the_same_seed_gives_the_same_desk(fresh_sqlite: list[Engine]) -> None:
    first, second = fresh_sqlite
    demo.generate(first, cases=120, seed=5)
    demo.generate(second, cases=120, seed=5)
    assert _fingerprint(first) == _fingerprint(second)


def test_worker_processes_build_the_same_desk(
    fresh_sqlite: list[Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    if writer._fork_context() is None:
        pytest.skip("building in worker processes needs fork on Linux without other threads")
    monkeypatch.setattr(writer, "BATCH", 40)
    here, there = fresh_sqlite
    stats = demo.generate(here, cases=200, seed=3, workers=0)
    demo.generate(there, cases=200, seed=3, workers=2)
    assert _fingerprint(here) == _fingerprint(there)
    with read_session(there) as s:
        assert audit.verify(s).count == stats.events
