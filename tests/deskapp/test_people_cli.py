"""`deskapp user`, `deskapp dept` and `deskapp init` on both backends: what each command
changes, what it refuses and why, and the audit events it leaves (the chain still verifies)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from deskapp.auth import sign_in
from deskapp.cli import main
from deskapp.seals import SEAL_KINDS
from deskapp.staff_admin import os_user
from store.engine import read_session
from store.models import CaseEvent, Department, Staff
from tests.conftest import seed_staff


def run(url: str, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, [*args, "--db", url], input=input)


def ok(url: str, *args: str, input: str | None = None) -> str:
    result = run(url, *args, input=input)
    assert result.exit_code == 0, result.output
    return result.output


def refused(url: str, *args: str, input: str | None = None) -> str:
    result = run(url, *args, input=input)
    assert result.exit_code == 2, result.output
    return result.output


def events(engine: Engine, after: int = 0) -> list[tuple[int | None, str, dict[str, Any]]]:
    with read_session(engine) as s:
        rows = s.exec(
            select(CaseEvent)
            .where(col(CaseEvent.id) > after, col(CaseEvent.kind).not_in(SEAL_KINDS))
            .order_by(col(CaseEvent.id))
        ).all()
        for row in rows:
            assert row.complaint_id is None
        return [(r.actor_id, r.kind, json.loads(r.payload)) for r in rows]


def last_event_id(engine: Engine) -> int:
    with read_session(engine) as s:
        return max((e.id or 0 for e in s.exec(select(CaseEvent)).all()), default=0)


def staff(engine: Engine, login: str) -> Staff:
    with read_session(engine) as s:
        person = s.exec(select(Staff).where(Staff.login == login)).one()
        s.expunge(person)
        return person


def test_init_on_an_empty_database_then_refused(db_url: str, engine: Engine) -> None:
    args = ("init", "--login", "boss", "--name", "Bo Ss", "--dept", "cs")
    out = ok(
        db_url,
        *args,
        "--dept-name",
        "客服部",
        "--dept-name-en",
        "Service",
        "--password-stdin",
        input="a long password\n",
    )
    assert "admin boss in CS" in out
    boss = staff(engine, "boss")
    assert boss.roles == "admin" and boss.active
    assert sign_in(engine, "boss", "a long password").id == boss.id
    with read_session(engine) as s:
        assert [d.code for d in s.exec(select(Department)).all()] == ["CS"]
        assert len(s.exec(select(Staff)).all()) == 1  # no demo data
    kinds = [kind for _, kind, _ in events(engine)]
    assert kinds[:3] == ["desk_initialised", "dept_added", "staff_added"]
    assert all(
        "hash" not in json.dumps(p) and "password" not in json.dumps(p)
        for _, _, p in events(engine)
    )
    # Prompted when flags are missing; refused on a desk that has staff.
    again = refused(db_url, "init", input="x\nX\nQ\nq\n\npw12345678\npw12345678\n")
    assert "already has staff" in again
    assert ok(db_url, "audit", "verify").startswith("audit chain intact")


def test_init_prompts_for_everything(sqlite_url: str, sqlite_engine: Engine) -> None:
    answers = "root1\nRoot One\nqa\n品质部\nQuality\nsecret-pass\nsecret-pass\n"
    assert "admin root1 in QA" in ok(sqlite_url, "init", input=answers)
    mismatch = run(sqlite_url, "user", "passwd", "root1", input="abcdefgh1\nabcdefgh2\n")
    assert "do not match" in mismatch.output


def test_user_commands_change_and_audit(db_url: str, engine: Engine) -> None:
    seed_staff(engine)
    before = last_event_id(engine)
    ok(
        db_url,
        "user",
        "add",
        "zoe",
        "--name",
        "Zoe Zhang",
        "--role",
        "handler,dept_manager",
        "--dept",
        "qa",
        "--authority",
        "1500",
        "--password-stdin",
        input="zoe-password\n",
    )
    zoe = staff(engine, "zoe")
    assert (zoe.roles, zoe.compensation_limit) == ("dept_manager handler", Decimal("1500"))
    assert sign_in(engine, "zoe", "zoe-password").id == zoe.id
    listed = ok(db_url, "user", "list")
    assert "zoe" in listed and "dept_manager,handler" in listed and "Zoe Zhang" in listed
    shown = ok(db_url, "user", "show", "zoe")
    assert "department:      QA" in shown and "zoe-password" not in shown

    ok(db_url, "user", "roles", "zoe", "handler")
    ok(db_url, "user", "set", "zoe", "--dept", "log", "--authority", "10")
    ok(db_url, "user", "disable", "zoe")
    assert not staff(engine, "zoe").active
    assert "disabled" in ok(db_url, "user", "list")
    assert "zoe" not in ok(db_url, "user", "list", "--active")
    ok(db_url, "user", "enable", "zoe")
    ok(db_url, "user", "passwd", "zoe", input="new-secret-1\nnew-secret-1\n")
    assert sign_in(engine, "zoe", "new-secret-1").id == zoe.id
    for _ in range(5):
        with pytest.raises(Exception):  # noqa: B017 - wrong passwords, then locked
            sign_in(engine, "zoe", "wrong")
    assert "locked" in ok(db_url, "user", "list")
    ok(db_url, "user", "unlock", "zoe")
    assert staff(engine, "zoe").locked_until is None

    mine = [(a, k, p) for a, k, p in events(engine, before) if k.startswith("staff_")]
    assert [k for _, k, _ in mine] == [
        "staff_added",
        "staff_roles_changed",
        "staff_department_changed",
        "staff_authority_changed",
        "staff_disabled",
        "staff_enabled",
        "staff_password_set",
        "staff_unlocked",
    ]
    for actor_id, _, payload in mine:
        assert actor_id is None and payload["by"] == {"os_user": os_user()}
        assert payload["login"] == "zoe"
        assert "password" not in json.dumps(payload) and "scrypt" not in json.dumps(payload)
    roles_event = mine[1][2]
    assert roles_event["changes"] == {"roles": ["dept_manager handler", "handler"]}
    assert mine[2][2]["changes"]["department"] == ["QA", "LOG"]
    assert mine[4][2]["changes"] == {"active": [True, False]}
    assert ok(db_url, "audit", "verify").startswith("audit chain intact")


def test_user_refusals_say_why(db_url: str, engine: Engine) -> None:
    seed_staff(engine)
    before = last_event_id(engine)
    out = refused(db_url, "user", "add", "x1", "--name", "X", "--role", "agent,wizard")
    assert "unknown role wizard" in out and "dept_manager" in out and "admin" in out
    assert "no department 'nope'" in refused(
        db_url, "user", "add", "x1", "--name", "X", "--role", "agent", "--dept", "nope"
    )
    assert "already exists" in refused(
        db_url, "user", "add", "agent", "--name", "A", "--role", "agent"
    )
    assert "needs a department" in refused(
        db_url, "user", "add", "x1", "--name", "X", "--role", "handler"
    )
    assert "not an amount" in refused(
        db_url, "user", "add", "x1", "--name", "X", "--role", "agent", "--authority", "lots"
    )
    # The last active admin can be neither disabled nor stripped of admin.
    assert "last active admin" in refused(db_url, "user", "disable", "admin")
    assert "last active admin" in refused(db_url, "user", "roles", "admin", "supervisor")
    ok(db_url, "user", "roles", "supervisor", "supervisor,admin")
    ok(db_url, "user", "roles", "admin", "agent")  # another admin exists now
    assert "no staff account 'ghost'" in refused(db_url, "user", "show", "ghost")
    assert "at least 8" in refused(
        db_url, "user", "passwd", "agent", "--password-stdin", input="short\n"
    )
    # A password is never an argument.
    assert run(db_url, "user", "passwd", "agent", "secret-pass").exit_code != 0
    kinds = [k for _, k, _ in events(engine, before)]
    assert kinds == ["staff_roles_changed", "staff_roles_changed"]


def test_as_admin_is_checked_and_named(db_url: str, engine: Engine) -> None:
    ids = seed_staff(engine)
    before = last_event_id(engine)
    ok(db_url, "user", "disable", "agent2", "--as", "admin", input="demo\n")
    actor_id, kind, payload = events(engine, before)[-1]
    assert (actor_id, kind) == (ids["admin"], "staff_disabled")
    assert payload["by"] == {"os_user": os_user(), "admin": "admin"}
    # A non-admin, a wrong password, an unknown account: refused, nothing changed.
    assert "not an admin" in refused(
        db_url, "user", "enable", "agent2", "--as", "supervisor", input="demo\n"
    )
    assert "wrong user name or password" in refused(
        db_url, "user", "enable", "agent2", "--as", "admin", input="nope\n"
    )
    assert "wrong user name or password" in refused(
        db_url, "dept", "add", "NEW", "--name", "新", "--as", "ghost", input="demo\n"
    )
    assert not staff(engine, "agent2").active
    kinds = [k for _, k, _ in events(engine, before)]
    assert "staff_enabled" not in kinds and "dept_added" not in kinds
    assert kinds.count("sign_in_failed") == 1  # the wrong password counts towards a lock-out


def test_dept_commands(db_url: str, engine: Engine) -> None:
    seed_staff(engine)
    before = last_event_id(engine)
    ok(db_url, "dept", "add", "sal", "--name", "销售部", "--name-en", "Sales")
    assert "department SAL already exists" in refused(db_url, "dept", "add", "SAL", "--name", "x")
    ok(db_url, "user", "add", "sam", "--name", "Sam", "--role", "dept_manager", "--dept", "SAL")
    ok(db_url, "user", "add", "sid", "--name", "Sid", "--role", "handler", "--dept", "SAL")
    assert "does not hold the dept_manager role" in refused(
        db_url, "dept", "set-manager", "SAL", "sid"
    )
    assert "not in SAL" in refused(db_url, "dept", "set-manager", "SAL", "manager")
    ok(db_url, "dept", "set-manager", "SAL", "sam")
    ok(db_url, "dept", "set-liaison", "SAL", "sid")
    listed = ok(db_url, "dept", "list")
    assert any(line.split()[:3] == ["SAL", "sam", "sid"] for line in listed.splitlines())
    # Refused as a whole: the new name is not saved either.
    out = refused(db_url, "user", "set", "sid", "--name", "Sidney", "--dept", "QA")
    assert "manager or liaison of SAL" in out and staff(engine, "sid").display_name == "Sid"
    assert "sam manages SAL" in refused(db_url, "user", "roles", "sam", "handler")
    ok(db_url, "user", "disable", "sid")
    assert "is disabled" in refused(db_url, "dept", "set-liaison", "SAL", "sid")
    ok(db_url, "dept", "set-liaison", "SAL", "--none")
    assert "still has active staff: sam" in refused(db_url, "dept", "disable", "SAL")
    ok(db_url, "user", "disable", "sam")
    ok(db_url, "dept", "disable", "SAL")
    assert "department SAL is disabled" in refused(
        db_url, "user", "add", "sue2", "--name", "S", "--role", "agent", "--dept", "sal"
    )
    with read_session(engine) as s:
        sal = s.exec(select(Department).where(Department.code == "SAL")).one()
        assert (sal.active, sal.manager_id, sal.liaison_id) == (
            False,
            staff(engine, "sam").id,
            None,
        )
    dept_events = [(k, p) for _, k, p in events(engine, before) if k.startswith("dept_")]
    assert [k for k, _ in dept_events] == [
        "dept_added",
        "dept_manager_set",
        "dept_liaison_set",
        "dept_liaison_set",
        "dept_disabled",
    ]
    assert dept_events[1][1]["changes"] == {"manager": [None, "sam"]}
    assert dept_events[3][1]["changes"] == {"liaison": ["sid", None]}
    assert ok(db_url, "audit", "verify").startswith("audit chain intact")


def test_init_migrates_a_brand_new_file(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/new.db"
    args = ("--login", "root1", "--name", "R", "--dept", "QA", "--dept-name", "品质部")
    out = ok(url, "init", *args, "--dept-name-en", "", "--password-stdin", input="pass-word-1\n")
    assert "admin root1 in QA" in out
    assert "root1" in ok(url, "user", "list")


def test_commands_refuse_a_database_behind(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/empty.db"
    assert "deskapp db upgrade" in refused(url, "user", "list")


def test_a_persons_language(db_url: str, engine: Engine) -> None:
    seed_staff(engine)
    ok(db_url, "user", "add", "lin", "--name", "Lin", "--role", "agent", "--lang", "en")
    assert staff(engine, "lin").language == "en"
    assert "language:        en" in ok(db_url, "user", "show", "lin")
    before = last_event_id(engine)
    ok(db_url, "user", "set", "lin", "--lang", "zh")
    ok(db_url, "user", "set", "lin", "--lang", "-")
    assert staff(engine, "lin").language == ""
    assert "language:        the terminal's" in ok(db_url, "user", "show", "lin")
    changes = [(kind, p["changes"]) for _, kind, p in events(engine, before)]
    assert changes == [
        ("staff_language_changed", {"language": ["en", "zh"]}),
        ("staff_language_changed", {"language": ["zh", ""]}),
    ]
    assert "use one of zh, en" in refused(db_url, "user", "set", "lin", "--lang", "fr")
    assert "use one of zh, en" in refused(
        db_url, "user", "add", "max", "--name", "Max", "--role", "agent", "--lang", "de"
    )
    assert "audit chain intact" in ok(db_url, "audit", "verify")
