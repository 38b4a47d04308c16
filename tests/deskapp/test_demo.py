"""The demo desk must look like a working day and be indistinguishable from what the use cases
write: a believable mix, most cases closed and the open ones recent, cases that do not
contradict themselves (the cause fits the complaint, the words fit the customer), notes,
milestones that agree with the status and the SLA policy, numbers that later intakes continue,
and an audit chain that verifies."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from deskapp import audit, demo, sla
from deskapp import milestones as ms
from deskapp.auth import verify_password
from deskapp.cases import Desk, IntakeForm
from deskapp.cli import main
from deskapp.config import load_settings
from deskapp.demo import catalogue, writer
from deskapp.domain import (
    TERMINAL_STATUSES,
    Category,
    Channel,
    ClaimType,
    MilestoneKind,
    RemedyType,
    RiskFlag,
    RootCause,
    Severity,
    Status,
    parse_flags,
)
from deskapp.overview import my_counts
from deskapp.seals import SEAL_KINDS
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
    Note,
    Staff,
)
from store.phones import normal_phone

CASES = 400
SHANGHAI = ZoneInfo("Asia/Shanghai")
NUMBER = re.compile(r"^TS-(\d{8})-(\d{4,})$")
CJK = re.compile(r"[\u4e00-\u9fff]")
OPEN_STATES = {s for s in Status if s not in TERMINAL_STATUSES}


@pytest.fixture
def desk(engine: Engine) -> demo.DemoStats:
    return demo.generate(engine, cases=CASES, seed=11)


@pytest.fixture
def open_desk(engine: Engine) -> demo.DemoStats:
    return demo.generate(engine, cases=CASES, seed=11, all_open=True)


def _complaints(engine: Engine) -> list[Complaint]:
    with read_session(engine) as s:
        return list(s.exec(select(Complaint).order_by(col(Complaint.id))).all())


def _milestones(engine: Engine) -> dict[int, list[Milestone]]:
    rows: dict[int, list[Milestone]] = defaultdict(list)
    with read_session(engine) as s:
        for m in s.exec(select(Milestone).order_by(col(Milestone.id))).all():
            rows[m.complaint_id].append(m)
    return rows


def _notes(engine: Engine) -> list[Note]:
    with read_session(engine) as s:
        return list(s.exec(select(Note).order_by(col(Note.id))).all())


# -- a believable desk ------------------------------------------------------------------------


def test_a_believable_mix(engine: Engine, desk: demo.DemoStats) -> None:
    complaints = _complaints(engine)
    assert desk.cases == len(complaints) == CASES
    states = {Status(c.status) for c in complaints}
    assert {Status.CLOSED, Status.REJECTED, Status.INVESTIGATING} <= states
    assert len(states & OPEN_STATES) >= 5, states
    assert {Channel(c.channel) for c in complaints} == set(Channel)
    assert {Category(c.category) for c in complaints} == set(Category)
    severity = Counter(c.severity for c in complaints)
    assert 0.05 <= severity[Severity.A] / CASES <= 0.16
    assert 0.22 <= severity[Severity.B] / CASES <= 0.38
    assert 0.50 <= severity[Severity.C] / CASES <= 0.70
    flags = Counter(flag for c in complaints for flag in parse_flags(c.flags))
    assert flags[RiskFlag.VIP] and flags[RiskFlag.REPEAT] and flags[RiskFlag.REGULATOR]
    per_customer = Counter(c.customer_id for c in complaints)
    assert max(per_customer.values()) >= 3, "some customers should be repeat complainants"
    texts = " ".join(c.subject + c.description for c in complaints)
    assert CJK.search(texts) and re.search(r"[A-Za-z]{5}", texts)

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


def test_most_cases_are_closed_and_the_open_ones_are_recent(
    engine: Engine, desk: demo.DemoStats, frozen_clock: datetime
) -> None:
    complaints = _complaints(engine)
    opened = [c for c in complaints if c.is_open]
    assert 0.05 <= len(opened) / CASES <= 0.30, f"{len(opened)} of {CASES} open"
    assert Counter(c.status for c in complaints)[Status.CLOSED] >= CASES / 2
    week_ago = frozen_clock - timedelta(days=7)
    recent = [c for c in opened if c.created_at >= week_ago]
    assert len(recent) >= 0.8 * len(opened), "open cases belong to the last days"
    oldest = min(c.created_at for c in complaints)
    assert frozen_clock - oldest > timedelta(days=20), "closed cases go back weeks"
    with read_session(engine) as s:
        staff = {st.login: st.id for st in s.exec(select(Staff)).all()}
    agent = staff["agent"]
    assert agent is not None
    mine = my_counts(engine, agent, frozen_clock)
    assert len(opened) / 20 <= mine.open <= len(opened) / 2, "the agent's share of the desk"
    assert mine.at_risk + mine.breached <= max(3, mine.open // 3), mine
    late = sum(1 for c in opened if c.next_due_at is not None and c.next_due_at < frozen_clock)
    assert 0 < late <= len(opened) // 3, "a handful of promises broken, not most"


def test_all_open_keeps_every_case_open_in_every_open_state(
    engine: Engine, open_desk: demo.DemoStats
) -> None:
    complaints = _complaints(engine)
    assert len(complaints) == CASES
    assert all(c.is_open and Status(c.status) in OPEN_STATES for c in complaints)
    assert {Status(c.status) for c in complaints} == OPEN_STATES
    with read_session(engine) as s:
        assert audit.verify(s).ok


# -- cases that do not contradict themselves --------------------------------------------------


def test_every_root_cause_fits_its_complaint(engine: Engine, desk: demo.DemoStats) -> None:
    found = [c for c in _complaints(engine) if c.root_cause_category]
    assert len(found) >= CASES / 2
    kinds: dict[Category, set[RootCause]] = defaultdict(set)
    for c in found:
        category, cause = Category(c.category), RootCause(c.root_cause_category)
        assert cause in catalogue.FITTING_CAUSES[category], (c.number, c.subject, cause)
        assert 1 <= len(c.root_cause.splitlines()) <= 5
        kinds[category].add(cause)
    # Not one cause for everything: the quality cases alone have several.
    assert len(kinds[Category.QUALITY]) >= 3


def test_the_fitting_causes_are_a_real_constraint() -> None:
    """Every category allows some causes and rules out others (a noisy blender's cause is never
    a discount rule), and the catalogue's stories use more than one of each category's."""
    assert set(catalogue.FITTING_CAUSES) == set(Category)
    for category, causes in catalogue.FITTING_CAUSES.items():
        assert causes and causes != set(RootCause), category
    assert RootCause.BILLING not in catalogue.FITTING_CAUSES[Category.QUALITY]
    assert RootCause.DESIGN not in catalogue.FITTING_CAUSES[Category.ATTITUDE]


def test_a_story_whose_cause_does_not_fit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (catalogue.DATA_DIR / "stories.toml").read_text(encoding="utf-8")
    # The first quality story's first cause, moved to where a quality case cannot lie.
    wrong = text.replace('where = "supplier"', 'where = "billing"', 1)
    assert wrong != text
    (tmp_path / "stories.toml").write_text(wrong, encoding="utf-8")
    shutil.copy(catalogue.DATA_DIR / "people.toml", tmp_path / "people.toml")
    monkeypatch.setattr(catalogue, "DATA_DIR", tmp_path)
    with pytest.raises(catalogue.CatalogueError, match="billing cause does not fit a quality"):
        catalogue.stories.__wrapped__()


def test_remedies_match_the_plan(engine: Engine, desk: demo.DemoStats) -> None:
    planned = [c for c in _complaints(engine) if c.remedy]
    assert len(planned) >= CASES / 2
    for c in planned:
        kinds = [RemedyType(k) for k in c.remedy_types.split()]
        assert kinds == [k for k in RemedyType if k in kinds], "in the order Desk.act keeps"
        assert (RemedyType.COMPENSATION in kinds) == bool(c.compensation_amount), c.number
        assert c.root_cause, "a plan follows the investigation's findings"
    claims = [c for c in planned if c.claim_type == ClaimType.COMPENSATION]
    assert claims and all(c.compensation_amount for c in claims)


def test_one_product_and_one_language_per_case(engine: Engine, desk: demo.DemoStats) -> None:
    products = catalogue.stories().products
    by_sku = {p.sku: p for p in products}
    notes: dict[int, list[str]] = defaultdict(list)
    for n in _notes(engine):
        notes[n.complaint_id].append(n.body)
    with read_session(engine) as s:
        phones = {c.id: c.phone for c in s.exec(select(Customer)).all()}
    english = 0
    for c in _complaints(engine):
        assert c.id is not None
        product = by_sku[c.product_ref.rsplit("-", 1)[0]]
        chinese = not phones[c.customer_id].startswith("+")
        words = " ".join([c.subject, c.description, c.demand, c.root_cause, c.remedy])
        words += " ".join([c.reject_reason, c.satisfaction_comment, *notes[c.id]])
        named = {p.sku for p in products for name in p.names if name.lower() in words.lower()}
        assert named <= {product.sku}, (c.number, words)
        if chinese:
            assert CJK.search(c.subject), c.subject
        else:
            english += 1
            assert not CJK.search(words), (c.number, words)
    assert english


def test_cases_carry_notes_for_the_team_and_updates_for_the_customer(
    engine: Engine, desk: demo.DemoStats
) -> None:
    notes = _notes(engine)
    complaints = {c.id: c for c in _complaints(engine)}
    assert len({n.complaint_id for n in notes}) >= CASES / 2
    facing = [n for n in notes if n.customer_facing]
    internal = [n for n in notes if not n.customer_facing]
    assert len(facing) >= CASES / 4 and len(internal) >= CASES / 8
    opened = [c for c in complaints.values() if c.is_open]
    assert sum(1 for c in opened if any(n.complaint_id == c.id for n in notes)) >= len(opened) / 3
    with read_session(engine) as s:
        events = s.exec(select(CaseEvent).where(CaseEvent.kind == "note")).all()
    recorded = {}
    for e in events:
        payload = json.loads(e.payload)
        recorded[payload["note_id"]] = (e.complaint_id, e.actor_id, e.at, payload)
    assert len(recorded) == len(notes)
    for n in notes:
        case, actor, at, payload = recorded[n.id]
        assert (case, actor, at) == (n.complaint_id, n.author_id, n.at)
        assert payload["body"] == n.body and payload["customer_facing"] == n.customer_facing
        assert (
            complaints[n.complaint_id].created_at <= n.at <= complaints[n.complaint_id].updated_at
        )


# -- what the use cases would write -----------------------------------------------------------


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


def test_deskapp_audit_verify_passes_on_a_demo_desk(db_url: str, engine: Engine) -> None:
    runner = CliRunner()
    made = runner.invoke(main, ["demo", "--db", db_url, "--cases", "120", "--seed", "3"])
    assert made.exit_code == 0, made.output
    checked = runner.invoke(main, ["audit", "verify", "--db", db_url])
    assert checked.exit_code == 0, checked.output
    assert "audit chain intact" in checked.output
    with engine.begin() as conn:  # and it would notice a forged note
        conn.execute(sa.text("UPDATE case_event SET payload = '{}' WHERE kind = 'note'"))
    assert runner.invoke(main, ["audit", "verify", "--db", db_url]).exit_code == 1


@pytest.mark.parametrize("all_open", [False, True])
def test_milestones_agree_with_status_and_policy(
    engine: Engine, frozen_clock: datetime, all_open: bool
) -> None:
    demo.generate(engine, cases=CASES, seed=11, all_open=all_open)
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
        assert c.updated_at <= now
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
        note_ids = s.exec(select(Note.id)).all()
    # The intake wrote its event and the seal of the rows it wrote.
    assert verified.ok and verified.count == desk.events + 2 + more.events
    assert len(logins) == len(set(logins)) == desk.staff
    assert len(note_ids) == len(set(note_ids))
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


def test_progress_is_told_every_case_written(sqlite_engine: Engine) -> None:
    seen: list[int] = []
    demo.generate(sqlite_engine, cases=30, seed=1, progress=seen.append)
    assert seen and sum(seen) == 30


def test_the_command_takes_all_open_and_keeps_its_summary(sqlite_url: str) -> None:
    result = CliRunner().invoke(main, ["demo", "--db", sqlite_url, "--cases", "40", "--all-open"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        r"demo: 40 cases, \d+ customers, \d+ staff, \d+ events in [\d.]+ s \([\d,]+ cases/s\)\n",
        result.stdout,
    )
    engine = make_engine(sqlite_url)
    complaints = _complaints(engine)
    engine.dispose()
    assert len(complaints) == 40 and all(c.is_open for c in complaints)


# -- the same desk every time -----------------------------------------------------------------


def _fingerprint(engine: Engine) -> str:
    """Everything the demo wrote, as one digest; but the row seals that close its transaction
    (and so the chain's head after them): they cover the demo staff's password hashes, whose
    salts are random."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in (
            "customer",
            "complaint",
            "milestone",
            "complaint_assist",
            "note",
            "case_event",
            "day_sequence",
        ):
            t = sa.table(table)
            query = sa.select(sa.text("*")).select_from(t).order_by(sa.text("1"))
            if table == "case_event":
                query = query.where(sa.column("kind").not_in(SEAL_KINDS))
            for row in conn.execute(query):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@pytest.fixture
def fresh_sqlite(sqlite_template: Path, tmp_path: Path) -> Iterator[list[Engine]]:
    engines = []
    for i in range(3):
        target = tmp_path / f"copy{i}.db"
        shutil.copy(sqlite_template, target)
        engines.append(make_engine(f"sqlite:///{target}"))
    yield engines
    for e in engines:
        e.dispose()


def test_the_same_seed_gives_the_same_desk(fresh_sqlite: list[Engine]) -> None:
    first, second, other = fresh_sqlite
    demo.generate(first, cases=120, seed=5)
    demo.generate(second, cases=120, seed=5)
    demo.generate(other, cases=120, seed=6)
    assert _fingerprint(first) == _fingerprint(second)
    assert _fingerprint(first) != _fingerprint(other)


def test_worker_processes_build_the_same_desk(
    fresh_sqlite: list[Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    if writer._fork_context() is None:
        pytest.skip("building in worker processes needs fork on Linux without other threads")
    monkeypatch.setattr(writer, "BATCH", 40)
    here, there, _ = fresh_sqlite
    stats = demo.generate(here, cases=200, seed=3, workers=0)
    demo.generate(there, cases=200, seed=3, workers=2)
    assert _fingerprint(here) == _fingerprint(there)
    with read_session(there) as s:
        assert audit.verify(s).count == stats.events
