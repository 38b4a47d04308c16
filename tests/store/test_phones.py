"""One stored form per phone number: the rule, and the migration that applied it to the rows
a desk already had (merging the customers it revealed to be one)."""

from __future__ import annotations

import json

import pytest
from alembic import command
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from store.engine import read_session
from store.migrate import alembic_config, current_revision, head_revision
from store.models import CaseEvent, Complaint, Customer, CustomerMerge
from store.phones import normal_phone


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13800138000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("(138) 0013.8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),  # full-width digits from a CJK input method
        ("021-1234-5678", "02112345678"),
        ("+86 21 1234 5678", "02112345678"),  # a landline gets its trunk 0 back
        ("+1 (415) 555-0100", "+14155550100"),
        ("0044 20 7946 0958", "+442079460958"),
        ("", ""),
        (" - ", ""),
    ],
)
def test_one_form_per_number(typed: str, stored: str) -> None:
    assert normal_phone(typed) == stored


@given(st.text(alphabet="0123456789 -()+.", max_size=30))
def test_normal_form_is_stable_and_keeps_only_digits_and_a_leading_plus(raw: str) -> None:
    once = normal_phone(raw)
    assert normal_phone(once) == once
    assert once.lstrip("+").isdigit() or once == ""
    assert "+" not in once[1:]


def test_upgrade_merges_customers_whose_numbers_were_one(
    engine: Engine, db_url: str, staffed: dict[str, int]
) -> None:
    """A desk from before 0006 with one caller stored twice ("138-0013-8000" and
    "13800138000") and a VIP written with +86: after `deskapp db upgrade` there is one
    customer per number, the complaints follow, and each merge is an audit event."""
    from deskapp.cases import Desk, IntakeForm
    from deskapp.cli import main

    desk = Desk(engine)
    form = IntakeForm(phone="13800138000", name="王小明", subject="a", description="d", demand="x")
    first = desk.intake(desk.actor("agent"), form).number
    command.downgrade(alembic_config(engine), "0005")
    with engine.begin() as conn:  # what older versions stored: the number as typed
        conn.execute(text("UPDATE customer SET phone = '138-0013-8000', tier = 'vip'"))
        conn.execute(
            text(
                "INSERT INTO customer (name, phone, other_phones, email, tier, created_at)"
                " SELECT '', '13800138000', '', 'w@example.com', 'standard', created_at"
                " FROM customer"
            )
        )
        second_id = conn.execute(text("SELECT max(id) FROM customer")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO complaint (number, channel, customer_id, subject, description,"
                " demand, place, order_ref, product_ref, evidence, category, claim_type,"
                " severity, flags, status, first_owner_id, created_at, updated_at, version,"
                " escalation_level, reject_reason, root_cause, remedy, legal_cleared,"
                " satisfaction_comment, departments_left, reopen_count, is_open, resume_status,"
                " next_kind, next_calendar, remedy_types, root_cause_category)"
                " SELECT 'TS-20261123-0099', channel, :c, 'b', description, demand, place,"
                " order_ref, product_ref, evidence, category, claim_type, severity, flags,"
                " status, first_owner_id, created_at, updated_at, version, escalation_level,"
                " reject_reason, root_cause, remedy, legal_cleared, satisfaction_comment,"
                " departments_left, reopen_count, is_open, resume_status, next_kind,"
                " next_calendar, remedy_types, root_cause_category FROM complaint"
            ),
            {"c": second_id},
        )
    result = CliRunner().invoke(main, ["db", "upgrade", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "merged 1 duplicate customers" in result.output
    assert current_revision(engine) == head_revision(engine)
    with read_session(engine) as s:
        customers = s.exec(select(Customer)).all()
        assert [(c.phone, c.name, c.email, c.tier) for c in customers] == [
            ("13800138000", "王小明", "w@example.com", "vip")
        ]
        owners = {c.number: c.customer_id for c in s.exec(select(Complaint)).all()}
        assert owners == {first: customers[0].id, "TS-20261123-0099": customers[0].id}
        merge = s.exec(select(CustomerMerge)).one()
        assert (merge.merged_id, merge.complaints_moved, merge.merged_phone) == (
            second_id,
            1,
            "13800138000",
        )
        event = s.exec(select(CaseEvent).where(CaseEvent.kind == "customer_merged")).one()
        assert merge.event_id == event.id
        assert json.loads(event.payload)["merged_id"] == second_id
    again = CliRunner().invoke(main, ["db", "upgrade", "--db", db_url])
    assert "merged" not in again.output  # recorded once
    verified = CliRunner().invoke(main, ["audit", "verify", "--db", db_url])
    assert verified.exit_code == 0, verified.output


def test_one_customer_per_number_even_when_two_desks_register_at_once(
    engine: Engine, staffed: dict[str, int]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from deskapp.cases import Desk, IntakeForm

    desk = Desk(engine)
    agent = desk.actor("agent")
    ways = ["13912345678", "139-1234-5678", "+86 139 1234 5678", "139 1234 5678"] * 2

    def register(phone: str) -> str:
        form = IntakeForm(phone=phone, name="Lily", subject="s", description="d", demand="x")
        return desk.intake(agent, form).number

    with ThreadPoolExecutor(4) as pool:
        numbers = list(pool.map(register, ways))
    assert len(set(numbers)) == len(ways)
    with read_session(engine) as s:
        assert [c.phone for c in s.exec(select(Customer)).all()] == ["13912345678"]
