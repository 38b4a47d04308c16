"""Bad input through the intake and a case action, on both backends: arbitrary text (every
Unicode plane, CJK and emoji, RTL and zero-width marks, NUL, lone surrogates, markup, ANSI/OSC
sequences, SQL fragments, very long text) is either stored exactly as given or refused with
`InvalidInput` naming the field; nothing else escapes, and the chain still verifies."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from deskapp import audit
from deskapp.cases import Desk, IntakeForm
from deskapp.errors import InvalidInput
from deskapp.validation import LIMITS
from store.engine import read_session
from tests.conftest import case_rows

NASTY = st.sampled_from(
    [
        "\x00",
        "\ud800",
        "\u202e",  # right-to-left override
        "\u200b\u200d\ufeff",  # zero-width
        "\x1b[2J\x1b]0;pwned\x07",
        "\x1b]52;c;aGk=\x07",
        "[bold red]x[/]",
        "'; DROP TABLE complaint; --",
        "${jndi:ldap://x}",
        "{number}",
        "😀👨‍👩‍👧",
        "𠜎𠜱𡃁",  # beyond the BMP
        "冰箱不制冷",
        "مرحبا",
    ]
)
TEXT = st.lists(st.one_of(NASTY, st.text(max_size=40)), max_size=6).map("".join)
LONG = st.integers(min_value=0, max_value=3).map(lambda k: "字" * (LIMITS["subject"] - 1 + k))
FIELDS = ("name", "subject", "description", "demand", "place", "evidence")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(field=st.sampled_from(FIELDS), text=st.one_of(TEXT, LONG))
def test_intake_stores_exactly_or_names_the_field(
    engine: Engine, staffed: dict[str, int], field: str, text: str
) -> None:
    desk = Desk(engine)
    values = {
        "phone": "13800138000",
        "name": "王小明",
        "subject": "洗衣机漏水",
        "description": "漏水",
        "demand": "换新",
    }
    values[field] = text
    try:
        result = desk.intake(desk.actor("agent"), IntakeForm(**values))  # type: ignore[arg-type]
    except InvalidInput as refused:
        assert field in refused.problems, refused.problems
        return
    c = case_rows(desk, result.number)[0]
    if field == "name":
        customer = desk.lookup_customer(desk.actor("agent"), "13800138000")
        assert customer is not None and customer.name == text.strip()
    else:
        assert getattr(c, field) == text


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(reason=TEXT)
def test_a_case_action_stores_its_reason_exactly_or_refuses_it(
    engine: Engine, staffed: dict[str, int], reason: str
) -> None:
    desk = Desk(engine)
    number = desk.intake(
        desk.actor("agent"),
        IntakeForm(phone="13800138000", name="王", subject="s", description="d", demand="x"),
    ).number
    try:
        desk.act(desk.actor("agent"), number, "reject", expected_version=1, reason=reason)
    except InvalidInput as refused:
        assert "reason" in refused.problems, refused.problems
        return
    except Exception as other:  # a blank reason is a workflow refusal, said as such
        assert not reason.strip(), other
        return
    c = case_rows(desk, number)[0]
    assert c.reject_reason == reason.strip() or c.reject_reason == reason


@pytest.fixture(autouse=True)
def _chain_intact(engine: Engine) -> object:
    yield None
    with read_session(engine) as s:
        assert audit.verify(s).ok
