"""The audit chain vouches for the rows (deskapp.seals): a complaint, customer, note, milestone,
staff member or department changed, added or deleted by anything but the desk is reported by
`deskapp audit verify`, naming the row and the column; the desk's own work never is. Both
backends."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, col, select

from deskapp import seals
from deskapp.cases import Desk, IntakeForm
from deskapp.cli import main
from deskapp.seal_check import RowReport, check_rows
from deskapp.staff_admin import StaffAdmin
from deskapp.staff_rules import Operator
from store.engine import read_session, write_session
from store.models import CaseEvent, Complaint, Milestone, Note, Staff


def _rows(engine: Engine) -> RowReport:
    with read_session(engine) as s:
        chain, rows = check_rows(s, batch=7)
    assert chain.ok, chain
    return rows


def _a_worked_case(engine: Engine) -> str:
    """A case taken in, accepted, dispatched, noted and given a plan with compensation: every
    sealed table written through the use cases."""
    desk = Desk(engine)
    agent = desk.actor("agent")
    taken = desk.intake(
        agent,
        IntakeForm(
            phone="13800138000",
            name="王芳",
            subject="冰箱漏水",
            description="买了三天就漏水",
            demand="换货",
        ),
    )
    desk.add_note(agent, taken.number, "客户很着急", customer_facing=False, expected_version=None)
    return taken.number


def _verify_cli(engine: Engine) -> tuple[int, str]:
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["audit", "verify", "--db", url])
    return result.exit_code, result.output


def test_the_desks_own_work_is_as_sealed(engine: Engine, staffed: dict[str, int]) -> None:
    number = _a_worked_case(engine)
    rows = _rows(engine)
    assert rows.ok, rows.problems
    with read_session(engine) as s:
        c = s.exec(select(Complaint).where(Complaint.number == number)).one()
        sealed = s.exec(select(CaseEvent).where(CaseEvent.kind == seals.SEAL_EVENT)).all()
        milestones = s.exec(select(Milestone).where(Milestone.complaint_id == c.id)).all()
    # Everything: staff and departments (seeded through the ORM), the customer (inserted
    # through SQL Core), the complaint, its milestones and the note.
    assert rows.rows == 11 + 2 + 1 + 1 + len(milestones) + 1
    assert all(e.complaint_id is None for e in sealed)  # not part of any case's timeline
    intake_seal = json.loads(sealed[1].payload)
    assert intake_seal["v"] == seals.VERSION
    assert set(intake_seal["rows"]) == {"customer", "complaint", "milestone"}
    code, output = _verify_cli(engine)
    assert code == 0, output
    assert f"rows as sealed: {rows.rows}" in output


@pytest.mark.parametrize(
    ("statement", "table", "column"),
    [
        ("UPDATE complaint SET compensation_amount = 9999", "complaint", "compensation_amount"),
        ("UPDATE complaint SET status = 'closed', is_open = false", "complaint", "status, is_open"),
        ("UPDATE customer SET phone = '13700000000'", "customer", "phone"),
        ("UPDATE note SET body = '客户不急'", "note", "body"),
        ("UPDATE milestone SET due_at = due_at + interval '3 days'", "milestone", "due_at"),
        ("UPDATE staff SET roles = 'agent admin' WHERE login = 'agent'", "staff", "roles"),
        (
            "UPDATE staff SET compensation_limit = 1000000 WHERE login = 'manager'",
            "staff",
            "compensation_limit",
        ),
        ("UPDATE department SET manager_id = NULL WHERE code = 'QA'", "department", "manager_id"),
    ],
)
def test_a_field_changed_outside_the_desk_is_named(
    engine: Engine, staffed: dict[str, int], statement: str, table: str, column: str
) -> None:
    _a_worked_case(engine)
    if engine.dialect.name == "sqlite" and "interval" in statement:
        statement = "UPDATE milestone SET due_at = datetime(due_at, '+3 days')"
    with engine.begin() as conn:
        conn.execute(text(statement))
    rows = _rows(engine)
    assert not rows.ok
    changed = [p for p in rows.problems if p.table == table]
    assert changed and all(p.what == "changed" for p in rows.problems)
    assert {", ".join(p.columns) for p in changed} == {column}
    code, output = _verify_cli(engine)
    assert code == 1
    assert f"{column} changed outside the desk" in output


def test_a_row_added_or_deleted_outside_the_desk_is_named(
    engine: Engine, staffed: dict[str, int]
) -> None:
    number = _a_worked_case(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM note"))
        conn.execute(
            text(
                "INSERT INTO department (code, name, name_en, active) "
                "VALUES ('FAKE', '假部门', 'Fake', true)"
            )
        )
    rows = _rows(engine)
    found = {(p.table, p.what, p.label) for p in rows.problems}
    assert found == {("note", "deleted", ""), ("department", "added", "FAKE")}
    code, output = _verify_cli(engine)
    assert code == 1
    assert "deleted outside the desk (sealed by event" in output
    assert "(FAKE): added outside the desk" in output
    assert number  # the case itself is untouched


def test_a_deleted_row_put_back_is_found(engine: Engine, staffed: dict[str, int]) -> None:
    """A row the desk deleted (a milestone cancelled and removed would be one; a note here)
    that reappears with its old content was put back outside the desk."""
    number = _a_worked_case(engine)
    with read_session(engine) as s:
        note = s.exec(select(Note)).one()
    with write_session(engine) as s:  # the desk deleting a row through the ORM
        gone = s.get(Note, note.id)
        s.delete(gone)
    assert _rows(engine).ok
    with engine.begin() as conn:
        conn.execute(
            SQLModel.metadata.tables["note"].insert(),
            [note.model_dump()],
        )
    rows = _rows(engine)
    assert [(p.table, p.what) for p in rows.problems] == [("note", "restored")]
    assert number


def test_a_changed_seal_breaks_the_chain(engine: Engine, staffed: dict[str, int]) -> None:
    """Recording the tampered row's new seal means editing a seal event: the chain breaks
    there (and recomputing the chain after it is what the anchor catches)."""
    _a_worked_case(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE complaint SET compensation_amount = 9999"))
    with read_session(engine) as s:
        c = s.exec(select(Complaint)).one()
        event = s.exec(
            select(CaseEvent)
            .where(CaseEvent.kind == seals.SEAL_EVENT)
            .order_by(col(CaseEvent.id).desc())
        ).first()
        assert event is not None
        values = [getattr(c, name) for name in seals.COLUMNS[seals.VERSION]["complaint"]]
    payload = json.loads(event.payload)
    payload["rows"]["complaint"] = {str(c.id): seals.seal("complaint", values)}
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE case_event SET payload = :p WHERE id = :id"),
            {"p": json.dumps(payload, ensure_ascii=False), "id": event.id},
        )
    with read_session(engine) as s:
        chain, _rows_report = check_rows(s)
    assert not chain.ok and chain.broken_id == event.id


def test_staff_changes_through_the_desk_are_sealed(engine: Engine, staffed: dict[str, int]) -> None:
    admin = StaffAdmin(engine)
    op = Operator("tester", staffed["admin"], "admin")
    admin.set_roles(op, "agent", "agent,supervisor")
    admin.set_authority(op, "manager", Decimal("5000"))
    assert _rows(engine).ok
    with engine.begin() as conn:
        conn.execute(text("UPDATE staff SET roles = 'agent' WHERE login = 'agent'"))
    problems = _rows(engine).problems
    assert [(p.table, p.label, p.columns) for p in problems] == [("staff", "agent", ("roles",))]


def test_the_baseline_seals_rows_from_before_and_happens_once(
    engine: Engine, staffed: dict[str, int]
) -> None:
    """Rows written before sealing began (here, straight into the tables) are reported until
    the baseline seals them; `deskapp db upgrade` writes it once, and never again."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO department (code, name, name_en, active) "
                "VALUES ('OLD', '老部门', 'Old', true)"
            )
        )
    assert [p.what for p in _rows(engine).problems] == ["added"]
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    upgraded = runner.invoke(main, ["db", "upgrade", "--db", url])
    assert upgraded.exit_code == 0, upgraded.output
    assert "sealed the 14 rows already there" in upgraded.output
    rows = _rows(engine)
    assert rows.ok and len(rows.baselines) == 1 and rows.baselines[0][2] == 14
    again = runner.invoke(main, ["db", "upgrade", "--db", url])
    assert "sealed the" not in again.output
    refused = runner.invoke(main, ["audit", "baseline", "--db", url])
    assert refused.exit_code == 2 and "began already" in refused.output
    code, output = _verify_cli(engine)
    assert code == 0 and "baseline: 14 rows sealed as found" in output


def test_a_second_baseline_is_not_proof(engine: Engine, staffed: dict[str, int]) -> None:
    """Someone clears the mark and baselines again to launder a change: verify says so."""
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    assert runner.invoke(main, ["audit", "baseline", "--db", url]).exit_code == 0
    with engine.begin() as conn:
        conn.execute(text("UPDATE staff SET roles = 'admin' WHERE login = 'agent'"))
        conn.execute(text("UPDATE desk_info SET seals_began_event = NULL"))
    assert runner.invoke(main, ["audit", "baseline", "--db", url]).exit_code == 0
    rows = _rows(engine)
    assert not rows.ok and not rows.problems and len(rows.baselines) == 2
    code, output = _verify_cli(engine)
    assert code == 1 and "sealing began more than once" in output


def test_the_newest_seal_version_covers_every_column() -> None:
    """A column added to a sealed table needs a new seal version (older seals keep theirs)."""
    for table, columns in seals.COLUMNS[seals.VERSION].items():
        assert columns == tuple(SQLModel.metadata.tables[table].columns.keys()), table
    assert set(seals.KEYS) == set(seals.COLUMNS[seals.VERSION])


def test_a_failed_sign_in_is_sealed_too(engine: Engine, staffed: dict[str, int]) -> None:
    from deskapp.auth import sign_in

    with pytest.raises(Exception):  # noqa: B017 - the refusal is tested in test_auth
        sign_in(engine, "agent", "wrong password")
    with read_session(engine) as s:
        assert s.exec(select(Staff.failed_logins).where(Staff.login == "agent")).one() == 1
    assert _rows(engine).ok
