"""Migration 0009 (complaint.source, complaint.external_id and their partial unique index)
goes up and down on both backends, keeping the cases that were there."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from deskapp.cases import Desk, IntakeForm
from store.migrate import alembic_config, current_revision, head_revision, upgrade


def _columns(engine: Engine) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns("complaint")}


def test_0009_down_and_up_keeps_cases_and_enforces_one_import_per_id(
    engine: Engine, staffed: dict[str, int]
) -> None:
    desk = Desk(engine)
    form = IntakeForm(phone="13800138000", name="王", subject="s", description="d", demand="x")
    number = desk.intake(desk.actor("agent"), form).number
    assert {"source", "external_id"} <= _columns(engine)

    command.downgrade(alembic_config(engine), "0008")
    assert current_revision(engine) == "0008"
    assert not {"source", "external_id"} & _columns(engine)

    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    with engine.begin() as conn:
        rows = conn.execute(sa.text("SELECT number, source, external_id FROM complaint")).all()
        assert [tuple(r) for r in rows] == [(number, "", "")]
        # Desk cases (external id '') are not held unique; imported ids are, per source.
        conn.execute(sa.text("UPDATE complaint SET source = 'cfpb', external_id = '1'"))
    second = desk.intake(desk.actor("agent"), form).number
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE complaint SET source = 'other', external_id = '1' WHERE number = :n"),
            {"n": second},
        )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE complaint SET source = 'cfpb' WHERE number = :n"), {"n": second}
        )
