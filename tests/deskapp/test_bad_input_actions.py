"""Bad input through every step of a case that takes text, on both backends: contact outcome,
plan (remedy, root cause), approval, resolution, revisit comment, notes. Each text is stored
exactly (or as given, stripped) or refused with `InvalidInput` naming the parameter, and the
case then goes on with plain text; the audit chain and the row seals verify at the end."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from deskapp.cases import Desk
from deskapp.errors import InvalidInput
from deskapp.seal_check import check_rows
from store.engine import read_session
from tests.conftest import case_rows
from tests.deskapp.test_bad_input import LONG, TEXT
from tests.deskapp.test_cases import NO_CLAIM, Flow, form, who


def _try(flow: Flow, login: str, action: str, text: str, **params: Any) -> bool:
    """The step with `text` in each parameter named with "TEXT"; refused: by name, then plain."""

    def put(value: Any, into: str) -> Any:
        return into if value == "TEXT" else [into] if value == ["TEXT"] else value

    given_ = {k: put(v, text) for k, v in params.items()}
    try:
        flow.do(login, action, **given_)
        return True
    except InvalidInput as refused:
        texts = {k for k, v in params.items() if v in ("TEXT", ["TEXT"])}
        assert set(refused.problems) <= texts | {"reason"}, refused.problems
        assert set(refused.problems) & texts, refused.problems
    except Exception as other:  # a blank text where one is needed: the workflow says so
        assert not text.strip(), other
    flow.do(login, action, **{k: put(v, "纯文本") for k, v in params.items()})
    return False


def _same(stored: str, text: str) -> bool:
    return stored in (text, text.strip())


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.one_of(TEXT, LONG))
def test_every_text_of_a_case_is_stored_exactly_or_refused_by_name(
    engine: Engine, staffed: dict[str, int], text: str
) -> None:
    desk = Desk(engine)
    number = desk.intake(who(desk, "agent"), form(demand=NO_CLAIM)).number
    flow = Flow(desk, number)
    flow.do("agent", "accept")
    flow.do("agent", "dispatch", department_id=staffed["dept:QA"])
    flow.do("handler", "start_investigation")
    _try(flow, "handler", "record_contact", text, mode="phone", outcome="TEXT")
    why = _try(flow, "handler", "record_root_cause", text, root_cause_category="design",
               whys=["TEXT"])  # fmt: skip
    planned = _try(flow, "handler", "propose_plan", text, remedy="TEXT")
    c = case_rows(desk, number)[0]
    if why:
        assert _same(c.root_cause, text)
    if planned:
        assert _same(c.remedy, text)
    try:
        desk.add_note(who(desk, "handler"), number, text, customer_facing=False,
                      expected_version=None)  # fmt: skip
    except InvalidInput as refused:
        assert set(refused.problems) <= {"text", "body", "note"}, refused.problems
    except Exception as other:
        assert not text.strip(), other
    flow.version = case_rows(desk, number)[0].version
    flow.do("handler", "resolve")
    flow.do("agent", "confirm")
    flow.do("agent", "give_feedback", told_by="phone")
    commented = _try(flow, "agent2", "revisit", text, satisfaction=4, comment="TEXT")
    c = case_rows(desk, number)[0]
    if commented:
        assert _same(c.satisfaction_comment, text)
    with read_session(engine) as s:
        chain, rows = check_rows(s)
    assert chain.ok and rows.ok, (chain, rows.problems)
