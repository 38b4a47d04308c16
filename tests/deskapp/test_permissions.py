"""The permission matrix, enforced by the use cases themselves (issue 6).

For every account of `staffed` (one per role, with first owner / other agent, same / other
department variants) × every action of the matrix × every relevant state, the case is put into
that state with SQL and the use case is called: it must refuse with `PermissionDenied` exactly
when the matrix says no. Where the matrix says yes, anything but `PermissionDenied` is fine (a
guard or the wrong state refuses with `TransitionError`), and a state the action does not start
from must be refused for that reason.

The expected answer is worked out here from the matrix's data and from how each account stands
to the case (fixed below), not by asking `deskapp.permissions`, so a wrong scope rule fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from deskapp import permissions, permissions_doc, workflow
from deskapp.cases import Actor, Desk, IntakeForm, case_facts
from deskapp.cli import main
from deskapp.domain import Role, Status
from deskapp.errors import DeskError, InvalidInput, PermissionDenied, TransitionError
from deskapp.permissions import DESK_WIDE, PERMISSIONS, Scope
from store.engine import read_session, write_session
from store.models import Complaint, Staff
from tests.conftest import case_rows

REPO = Path(__file__).parents[2]

#: How each account stands to the test case (first owner `agent`, primary department QA,
#: assignee `agent3`): the facts the scope rules judge, stated independently of them.
RELATION: dict[str, frozenset[str]] = {
    "agent": frozenset({"owner"}),
    "agent2": frozenset(),
    "agent3": frozenset({"assignee"}),
    "handler": frozenset({"department"}),
    "handler2": frozenset({"department"}),
    "loghandler": frozenset(),
    "manager": frozenset({"department"}),
    "logmanager": frozenset(),
    "supervisor": frozenset(),
    "legal": frozenset(),
    "executive": frozenset(),
    "admin": frozenset(),
}
CASE_ACTIONS = ("reveal_contact", "add_note", "attach_evidence", "send_letter")


def expected_allowed(action: str, roles: frozenset[Role], relation: frozenset[str]) -> bool:
    p = PERMISSIONS[action]
    for role in roles & p.roles:
        if role in DESK_WIDE or p.scope is Scope.DESK or not p.on_case:
            return True
        if p.scope is Scope.DEPARTMENT and "department" in relation:
            return True
        if p.scope is Scope.INVOLVED and relation:
            return True
    return False


def states_for(action: str) -> list[Status]:
    """The states the action starts from, and one it does not (the permission is checked
    before the state, so a refusal must not depend on where the case stands)."""
    if action in CASE_ACTIONS:
        return list(Status)
    sources = workflow.TRANSITIONS[action].sources
    return [s for s in Status if s in sources] + [next(s for s in Status if s not in sources)]


def test_every_transition_has_exactly_one_row() -> None:
    assert set(PERMISSIONS) == {*workflow.TRANSITIONS, "intake", "import", *CASE_ACTIONS}
    for action, t in workflow.TRANSITIONS.items():
        assert t.roles is PERMISSIONS[action].roles and t.scope is PERMISSIONS[action].scope
    assert {r for p in PERMISSIONS.values() for r in p.roles} == set(Role)


# -- the desk and the case ----------------------------------------------------------------------


class Bench:
    """One registered case that each call puts back into a chosen state."""

    def __init__(self, engine: Engine, staffed: dict[str, int]) -> None:
        self.engine, self.ids = engine, dict(staffed)
        with write_session(engine) as s:
            s.add(Staff(login="agent3", display_name="Al Agent", roles="agent"))
        self.desk = Desk(engine)
        self.ids["agent3"] = self.desk.actor("agent3").staff_id
        result = self.desk.intake(
            self.desk.actor("agent"),
            IntakeForm(
                phone="13800138000",
                name="王小明",
                subject="洗衣机漏水",
                description="漏水",
                demand="换新",
                primary_dept_id=staffed["dept:QA"],
            ),
        )
        self.number, self.case_id = result.number, result.complaint_id
        #: The milestones intake started; those a test step starts are removed again.
        self.last_milestone = max(m.id or 0 for m in case_rows(self.desk, self.number)[1])

    def put(self, status: Status) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE complaint SET status = :status, is_open = :open,"
                    " resume_status = :resume, primary_dept_id = :qa, assignee_id = :assignee,"
                    " first_owner_id = :owner,"
                    " departments_left = '', plan_proposed_by_id = NULL,"
                    " compensation_amount = NULL, legal_cleared = :no,"
                    " compensation_approved_by_id = NULL, customer_confirmed_at = NULL,"
                    " root_cause_category = 'manufacturing', root_cause = '密封圈老化'"
                    " WHERE id = :id"
                ),
                {
                    "status": status.value,
                    "open": status not in (Status.CLOSED, Status.REJECTED),
                    "resume": "investigating" if status is Status.PENDING_CUSTOMER else "",
                    "qa": self.ids["dept:QA"],
                    "assignee": self.ids["agent3"],
                    "owner": self.ids["agent"],
                    "no": False,
                    "id": self.case_id,
                },
            )
            for table, key in (("escalation_due", "milestone_id"), ("milestone", "id")):
                conn.execute(
                    text(f"DELETE FROM {table} WHERE complaint_id = :id AND {key} > :last"),
                    {"id": self.case_id, "last": self.last_milestone},
                )
            conn.execute(
                text(
                    "UPDATE milestone SET paused_at = NULL, paused_seconds = 0, met_at = NULL,"
                    " cancelled = :no, is_open = :yes WHERE complaint_id = :id"
                ),
                {"id": self.case_id, "no": False, "yes": True},
            )

    def params(self, action: str) -> dict[str, Any]:
        specific: dict[str, dict[str, Any]] = {
            "classify": {"severity": "B"},
            "dispatch": {"department_id": self.ids["dept:QA"]},
            "transfer": {"department_id": self.ids["dept:LOG"]},
            "assign": {"assignee_id": self.ids["agent3"]},
            "propose_plan": {"remedy": "上门更换"},
            "revisit": {"satisfaction": 4},
            "decline": {"told_by": "phone"},
        }
        return {"reason": "测试", **specific.get(action, {})}

    def call(self, actor: Actor, action: str) -> Callable[[], object]:
        if action == "reveal_contact":
            return lambda: self.desk.reveal_contact(actor, self.number)
        if action == "add_note":
            return lambda: self.desk.add_note(
                actor, self.number, "备注", customer_facing=False, expected_version=None
            )
        if action == "attach_evidence":
            return lambda: self.desk.attach_bytes(actor, self.number, "照片.jpg", b"photo")
        if action == "send_letter":  # the permission is checked before the case's state
            return lambda: self.desk.letter_draft(actor, self.number, None, "en")
        if action == "intake":
            form = IntakeForm(
                phone="13900000000", name="李", subject="s", description="d", demand="x"
            )
            return lambda: self.desk.intake(actor, form)
        if action == "import":
            from deskapp.importing import ImportOptions, import_as

            path = Path(__file__).parent / "data" / "cfpb" / "v2-public.csv"
            return lambda: import_as(self.desk, actor, path, ImportOptions(dry_run=True))
        return lambda: self.desk.act(
            actor, self.number, action, expected_version=None, **self.params(action)
        )


@pytest.fixture
def bench(engine: Engine, staffed: dict[str, int]) -> Bench:
    return Bench(engine, staffed)


def outcome(call: Callable[[], object]) -> DeskError | None:
    try:
        call()
    except (PermissionDenied, TransitionError, InvalidInput) as exc:
        return exc
    return None


@pytest.mark.parametrize("login", sorted(RELATION))
def test_every_action_in_every_state_as_the_matrix_says(bench: Bench, login: str) -> None:
    actor = bench.desk.actor(login)
    relation = RELATION[login]
    for action in PERMISSIONS:
        allowed = expected_allowed(action, actor.roles, relation)
        states = [Status.NEW] if action in ("intake", "import") else states_for(action)
        for status in states:
            bench.put(status)
            got = outcome(bench.call(actor, action))
            where = f"{login} ({', '.join(sorted(actor.roles))}) {action} on a {status} case"
            if not allowed:
                assert isinstance(got, PermissionDenied), (
                    f"{where}: expected a refusal, got {got!r}"
                )
                continue
            assert not isinstance(got, PermissionDenied), f"{where}: refused: {got}"
            if (
                action in workflow.TRANSITIONS
                and status not in workflow.TRANSITIONS[action].sources
            ):
                assert isinstance(got, TransitionError), f"{where}: not refused for the state"
                assert f"cannot {action} a case that is {status.value}" in str(got), where


# -- the conditions, one at a time ------------------------------------------------------------


def test_scope_follows_the_first_owner_and_the_department(bench: Bench) -> None:
    bench.put(Status.INVESTIGATING)
    desk, number = bench.desk, bench.number
    for login in ("agent", "agent3", "handler"):  # owner, assignee, primary department
        desk.act(desk.actor(login), number, "record_contact", expected_version=None)
        desk.reveal_contact(desk.actor(login), number)
    for login in ("agent2", "loghandler", "logmanager"):
        with pytest.raises(PermissionDenied, match="involved scope"):
            desk.act(desk.actor(login), number, "record_contact", expected_version=None)
        with pytest.raises(PermissionDenied):
            desk.reveal_contact(desk.actor(login), number)
    with pytest.raises(PermissionDenied, match="needs one of the roles: dept_manager, handler"):
        desk.act(desk.actor("agent"), number, "propose_plan", expected_version=None, remedy="x")
    with pytest.raises(PermissionDenied, match="department scope"):
        desk.act(desk.actor("loghandler"), number, "propose_plan", expected_version=None)
    desk.act(desk.actor("handler2"), number, "propose_plan", expected_version=None, remedy="x")


def test_the_case_follows_its_department_after_a_transfer(bench: Bench) -> None:
    bench.put(Status.DISPATCHED)
    desk, number = bench.desk, bench.number
    desk.act(
        desk.actor("manager"),
        number,
        "transfer",
        expected_version=None,
        department_id=bench.ids["dept:LOG"],
        reason="运输破损",
    )
    with pytest.raises(PermissionDenied):
        desk.act(desk.actor("handler"), number, "start_investigation", expected_version=None)
    desk.act(desk.actor("loghandler"), number, "start_investigation", expected_version=None)
    # The first owner stays involved wherever the case goes.
    desk.add_note(
        desk.actor("agent"), number, "客户来电催促", customer_facing=False, expected_version=None
    )


def test_administrators_see_no_contact_details_but_may_leave_notes(bench: Bench) -> None:
    bench.put(Status.INVESTIGATING)
    admin = bench.desk.actor("admin")
    with pytest.raises(PermissionDenied, match="reveal_contact needs one of the roles"):
        bench.desk.reveal_contact(admin, bench.number)
    bench.desk.add_note(
        admin, bench.number, "数据已更正", customer_facing=False, expected_version=None
    )
    for login in ("supervisor", "legal", "executive"):
        assert bench.desk.reveal_contact(bench.desk.actor(login), bench.number) == (
            "王小明",
            "13800138000",
        )


def test_a_desk_wide_role_does_not_widen_another_role(bench: Bench) -> None:
    """A QA handler who is also legal counsel investigates QA's cases only; their legal role
    still reviews any case."""
    with write_session(bench.engine) as s:
        s.add(
            Staff(
                login="both",
                display_name="Bo Both",
                roles="handler legal",
                department_id=bench.ids["dept:LOG"],
            )
        )
    both = bench.desk.actor("both")
    bench.put(Status.DISPATCHED)
    with pytest.raises(PermissionDenied, match="department scope"):
        bench.desk.act(both, bench.number, "start_investigation", expected_version=None)
    bench.put(Status.LEGAL_REVIEW)
    bench.desk.act(both, bench.number, "legal_approve", expected_version=None)


def test_refusals_write_nothing(bench: Bench) -> None:
    bench.put(Status.INVESTIGATING)
    with read_session(bench.engine) as s:
        before = s.exec(select(Complaint).where(Complaint.id == bench.case_id)).one().version
        events = len(case_rows(bench.desk, bench.number)[2])
    for login, call in (
        ("agent2", lambda a: bench.desk.reveal_contact(a, bench.number)),
        (
            "loghandler",
            lambda a: bench.desk.add_note(
                a, bench.number, "x", customer_facing=True, expected_version=None
            ),
        ),
        ("legal", lambda a: bench.desk.act(a, bench.number, "escalate", expected_version=None)),
    ):
        with pytest.raises(PermissionDenied):
            call(bench.desk.actor(login))
    c, _, after = case_rows(bench.desk, bench.number)
    assert c.version == before and len(after) == events


# -- what the screens are offered ---------------------------------------------------------------


def test_available_offers_exactly_what_the_use_cases_allow(bench: Bench) -> None:
    """`workflow.available` (what a screen lists) agrees with the matrix for every account in
    every state: nothing offered is refused for permission, nothing allowed is hidden."""
    with read_session(bench.engine) as s:
        c = s.exec(select(Complaint).where(Complaint.id == bench.case_id)).one()
    base = replace(case_facts(c), primary_dept_id=bench.ids["dept:QA"])
    base = replace(base, first_owner_id=bench.ids["agent"], assignee_id=bench.ids["agent3"])
    # A promised rectification running: its step is offered only then (tested beside it).
    base = replace(base, open_milestones=frozenset({"rectify"}))
    for login, relation in RELATION.items():
        actor = bench.desk.actor(login)
        for status in Status:
            facts = replace(base, status=status)
            offered = {t.action for t in workflow.available(facts, actor.facts())}
            expected = {
                a
                for a, t in workflow.TRANSITIONS.items()
                if status in t.sources and expected_allowed(a, actor.roles, relation)
            }
            assert offered == expected, (login, status)
            for action in CASE_ACTIONS:
                assert permissions.allows(action, actor.facts(), facts) == expected_allowed(
                    action, actor.roles, relation
                )


def test_intake_is_refused_without_a_frontline_role(bench: Bench) -> None:
    for login in ("handler", "manager", "legal", "executive", "admin"):
        with pytest.raises(PermissionDenied, match="intake needs one of the roles"):
            bench.call(bench.desk.actor(login), "intake")()


def test_the_accounts_cover_every_role_and_unknown_actions_are_refused(bench: Bench) -> None:
    held = {role for login in RELATION for role in bench.desk.actor(login).roles}
    assert held == set(Role)
    assert all(len(bench.desk.actor(login).roles) == 1 for login in RELATION)
    with pytest.raises(ValueError, match="no permission"):
        permissions.permission("teleport")
    agent = bench.desk.actor("agent").facts()
    assert permissions.allows("intake", agent, None)
    with pytest.raises(ValueError, match="its facts are needed"):
        permissions.check("add_note", agent, None)


# -- docs/permissions.md ------------------------------------------------------------------------


def test_permissions_doc_is_generated_from_the_matrix(tmp_path: Path) -> None:
    runner = CliRunner()
    committed = REPO / "docs" / "permissions.md"
    result = runner.invoke(main, ["permissions", "--check", "--output", str(committed)])
    assert result.exit_code == 0, "run `deskapp permissions` and commit docs/permissions.md"
    assert committed.read_text(encoding="utf-8") == permissions_doc.render()

    stale = tmp_path / "permissions.md"
    stale.write_text("# Permissions\n\nold\n", encoding="utf-8")
    result = runner.invoke(main, ["permissions", "--check", "--output", str(stale)])
    assert result.exit_code == 2 and "out of date" in result.output
    result = runner.invoke(main, ["permissions", "--output", str(stale)])
    assert result.exit_code == 0
    assert stale.read_text(encoding="utf-8") == permissions_doc.render()


def test_doc_shows_each_cell() -> None:
    doc = permissions_doc.render()
    row = next(line for line in doc.splitlines() if line.startswith("| `transfer` |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    roles = [r.value for r in Role]
    by_role = dict(zip(roles, cells[1 : 1 + len(roles)], strict=True))
    assert by_role == {
        "agent": "—",
        "handler": "—",
        "dept_manager": "own dept",
        "supervisor": "any case",
        "legal": "—",
        "executive": "—",
        "admin": "—",
    }
    assert "supervisor only" in row and "dispatched, investigating" in row
