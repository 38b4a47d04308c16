"""One registration, one case, however often it is tried: the intake form names it with a key
(kept in its draft), and the same key again returns the case the first try made. Both
backends."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from deskapp.cases import Desk
from deskapp.errors import InvalidInput
from store.engine import read_session
from store.models import CaseEvent, Complaint, IntakeKey
from tests.deskapp.test_cases import form


def _count(engine: Engine, table: type) -> int:
    with read_session(engine) as s:
        return int(s.exec(select(func.count()).select_from(table)).one())


def test_the_same_key_twice_makes_one_case(engine: Engine, staffed: dict[str, int]) -> None:
    desk = Desk(engine)
    agent = desk.actor("agent")
    first = desk.intake(agent, form(request_key="k-1"))
    events = _count(engine, CaseEvent)
    again = desk.intake(agent, form(request_key="k-1", subject="改过的主题"))
    assert again == first  # number, registered time, promised reply, repeat: as told the first time
    assert _count(engine, Complaint) == 1 and _count(engine, IntakeKey) == 1
    assert _count(engine, CaseEvent) == events  # nothing written the second time
    other = desk.intake(agent, form(request_key="k-2"))
    assert other.number != first.number and other.repeat  # a second call by the same customer
    unnamed = [desk.intake(agent, form()) for _ in range(2)]  # no key: no such check
    assert unnamed[0].number != unnamed[1].number
    assert _count(engine, Complaint) == 4


def test_a_key_too_long_is_refused_by_name(engine: Engine, staffed: dict[str, int]) -> None:
    desk = Desk(engine)
    with pytest.raises(InvalidInput) as refused:
        desk.intake(desk.actor("agent"), form(request_key="k" * 65))
    assert refused.value.problems == {"request_key": "at most 64 characters"}
