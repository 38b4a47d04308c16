"""Notes and revealing a customer's contact: both recorded, notes version the case like any
other change (issue 6). Who may do them is in test_permissions.py."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from deskapp import audit
from deskapp.cases import Contact, Desk, IntakeForm
from deskapp.errors import ConflictError, InvalidInput
from store.engine import read_session
from store.models import Note, Notification
from tests.conftest import case_rows


@pytest.fixture
def desk(engine: Engine, staffed: dict[str, int]) -> Desk:
    return Desk(engine)


@pytest.fixture
def number(desk: Desk, staffed: dict[str, int]) -> str:
    form = IntakeForm(
        phone="13800138000", name="王小明", subject="洗衣机漏水", description="漏水", demand="换新"
    )
    number = desk.intake(desk.actor("agent"), form).number
    desk.act(desk.actor("agent"), number, "accept", expected_version=1)
    desk.act(
        desk.actor("agent"),
        number,
        "dispatch",
        expected_version=2,
        department_id=staffed["dept:QA"],
    )
    return number


def test_a_note_is_a_row_an_event_and_a_new_version(desk: Desk, number: str) -> None:
    handler = desk.actor("handler")
    saved = desk.add_note(
        handler, number, "  客户同意周三上门  ", customer_facing=True, expected_version=3
    )
    internal = desk.add_note(
        handler, number, "密封圈批次可疑", customer_facing=False, expected_version=saved.version
    )
    assert (saved.version, internal.version) == (4, 5)
    c, _, events = case_rows(desk, number)
    assert c.version == 5 and c.updated_by_id == handler.staff_id
    with read_session(desk.engine) as s:
        rows = s.exec(select(Note).order_by(col(Note.id))).all()
    assert [(n.id, n.body, n.customer_facing, n.author_id) for n in rows] == [
        (saved.note_id, "客户同意周三上门", True, handler.staff_id),
        (internal.note_id, "密封圈批次可疑", False, handler.staff_id),
    ]
    assert rows[0].at == saved.at
    note_events = [json.loads(e.payload) for e in events if e.kind == "note"]
    assert note_events == [
        {
            "version": 4,
            "note_id": saved.note_id,
            "customer_facing": True,
            "body": "客户同意周三上门",
        },
        {
            "version": 5,
            "note_id": internal.note_id,
            "customer_facing": False,
            "body": "密封圈批次可疑",
        },
    ]
    with read_session(desk.engine) as s:
        assert audit.verify(s).ok


def test_a_note_on_a_stale_case_is_refused_and_names_the_change(desk: Desk, number: str) -> None:
    desk.add_note(
        desk.actor("handler"), number, "已联系客户", customer_facing=False, expected_version=3
    )
    with pytest.raises(ConflictError) as info:
        desk.act(desk.actor("handler"), number, "start_investigation", expected_version=3)
    assert "Hal Handler (note)" in str(info.value)
    with pytest.raises(ConflictError):
        desk.add_note(
            desk.actor("agent"), number, "客户来电", customer_facing=False, expected_version=3
        )
    with read_session(desk.engine) as s:
        assert len(s.exec(select(Note)).all()) == 1


def test_a_note_must_say_something_within_the_limit(desk: Desk, number: str) -> None:
    agent = desk.actor("agent")
    with pytest.raises(InvalidInput) as info:
        desk.add_note(agent, number, "   ", customer_facing=False, expected_version=None)
    assert info.value.problems == {"note": "required"}
    with pytest.raises(InvalidInput, match="at most 5000"):
        desk.add_note(agent, number, "长" * 5001, customer_facing=False, expected_version=None)
    assert case_rows(desk, number)[0].version == 3


def test_notes_tell_nobody(desk: Desk, number: str) -> None:
    """Notes are read on the case; the inbox is for the workflow's steps."""
    with read_session(desk.engine) as s:
        before = len(s.exec(select(Notification)).all())
    desk.add_note(
        desk.actor("handler"), number, "备注", customer_facing=False, expected_version=None
    )
    with read_session(desk.engine) as s:
        assert len(s.exec(select(Notification)).all()) == before


def test_reveal_hands_out_the_contact_and_records_who_saw_it(desk: Desk, number: str) -> None:
    supervisor = desk.actor("supervisor")
    contact = desk.reveal_contact(supervisor, number)
    assert contact == Contact("王小明", "13800138000")
    name, phone = contact
    assert (name, phone) == ("王小明", "13800138000")
    c, _, events = case_rows(desk, number)
    assert c.version == 3  # seeing is not changing: nobody's open edit is refused for it
    reveal = events[-1]
    assert (reveal.kind, reveal.actor_id, reveal.complaint_id) == (
        "reveal_contact",
        supervisor.staff_id,
        c.id,
    )
    assert json.loads(reveal.payload) == {"fields": ["name", "phone"]}
    assert "13800138000" not in reveal.payload and "王小明" not in reveal.payload
    desk.act(desk.actor("handler"), number, "start_investigation", expected_version=3)
