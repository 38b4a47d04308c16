"""A role change or a disabled account counts from the person's next action: every use case
re-reads its actor inside its own transaction (`DeskBase._acting`), whatever the desk was
handed at sign-in."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from deskapp.cases import Actor, Desk, IntakeForm
from deskapp.cases.base import AccountDisabled, current_actor
from deskapp.errors import PermissionDenied
from deskapp.letters import LetterKind
from deskapp.staff_admin import Operator, StaffAdmin
from store.engine import read_session


def form() -> IntakeForm:
    return IntakeForm(
        phone="13800138000",
        name="王小明",
        subject="洗衣机漏水",
        description="新买的洗衣机第一次使用就漏水。",
        demand="更换新机",
    )


OP = Operator("tester")


def _photo() -> Path:
    """A file to attach, in the test's own (isolated) data folder."""
    path = Path(os.environ["XDG_DATA_HOME"]) / "photo.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"jpeg")
    return path


@pytest.fixture
def desk(engine: Engine, staffed: dict[str, int]) -> Desk:
    return Desk(engine)


def test_a_role_removed_refuses_the_next_action(desk: Desk) -> None:
    agent = desk.actor("agent")  # what a desk holds from sign-in
    number = desk.intake(agent, form()).number
    StaffAdmin(desk.engine).set_roles(OP, "agent", "legal")
    with pytest.raises(PermissionDenied):
        desk.intake(agent, form())
    with pytest.raises(PermissionDenied):
        desk.act(agent, number, "reject", expected_version=1, reason="重复投诉")
    StaffAdmin(desk.engine).set_roles(OP, "agent", "supervisor")
    # Roles given count at once too: the stale actor (an agent) now acts as a supervisor.
    desk.act(agent, number, "reject", expected_version=1, reason="重复投诉")


def test_a_changed_authority_counts_from_the_next_action(desk: Desk) -> None:
    StaffAdmin(desk.engine).set_authority(OP, "manager", "0")
    manager = desk.actor("manager")
    StaffAdmin(desk.engine).set_authority(OP, "manager", "5000")
    # Read inside a transaction: the actor the use case sees has the new limit.
    with read_session(desk.engine) as s:
        assert current_actor(s, manager).compensation_limit == 5000


#: One call per use case that acts for a person; a new one must be added here (the test below
#: fails until it is), so none can forget to read its actor afresh.
CALLS: dict[str, Callable[[Desk, Actor, str], Any]] = {
    "intake": lambda d, a, n: d.intake(a, form()),
    "lookup_customer": lambda d, a, n: d.lookup_customer(a, "13800138000"),
    "act": lambda d, a, n: d.act(a, n, "accept", expected_version=None),
    "reveal_contact": lambda d, a, n: d.reveal_contact(a, n),
    "add_note": lambda d, a, n: d.add_note(
        a, n, "note", customer_facing=False, expected_version=None
    ),
    "attach_file": lambda d, a, n: d.attach_file(a, n, _photo()),
    "attach_bytes": lambda d, a, n: d.attach_bytes(a, n, "photo.jpg", b"jpeg"),
    "letter_draft": lambda d, a, n: d.letter_draft(a, n, None, "en"),
    "queue_letter": lambda d, a, n: d.queue_letter(
        a, n, kind=LetterKind.PLAN, lang="en", recipient="a@b.com", subject="s", body="b"
    ),
    "inbox": lambda d, a, n: d.inbox(a),
    "unread_count": lambda d, a, n: d.unread_count(a),
    "mark_read": lambda d, a, n: d.mark_read(a, [1]),
}


def test_every_use_case_refuses_a_disabled_account(desk: Desk) -> None:
    taking_actor = {
        name
        for name, fn in inspect.getmembers(Desk, inspect.isfunction)
        if not name.startswith("_") and "actor" in inspect.signature(fn).parameters
    }
    assert taking_actor == set(CALLS), "a use case taking an actor is missing from CALLS"
    supervisor = desk.actor("supervisor")
    number = desk.intake(desk.actor("agent"), form()).number
    StaffAdmin(desk.engine).disable(OP, "supervisor")
    for name, call in CALLS.items():
        with pytest.raises(AccountDisabled):
            call(desk, supervisor, number)
            pytest.fail(f"{name} acted for a disabled account")
    assert desk.account(supervisor.staff_id) is None
    StaffAdmin(desk.engine).enable(OP, "supervisor")
    fresh = desk.account(supervisor.staff_id)
    assert fresh is not None and fresh == supervisor


def test_an_admin_demoted_cannot_act_from_an_open_screen(
    desk: Desk, staffed: dict[str, int]
) -> None:
    admin = StaffAdmin(desk.engine)
    at_desk = Operator("tester", staffed["admin"], "admin")
    admin.set_roles(OP, "supervisor", "supervisor,admin")
    admin.set_roles(OP, "admin", "supervisor")
    with pytest.raises(PermissionDenied, match="no longer an active admin"):
        admin.unlock(at_desk, "agent")
