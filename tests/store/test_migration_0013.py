"""Migration 0013 (the escalation ladder's tables) goes down and up on both backends, and
`deskapp db upgrade` then adopts the milestones already open: rungs they passed count as
reached without a notice, later ones come due as usual."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from deskapp import clock
from deskapp.cases import Desk, IntakeForm
from deskapp.upkeep import after_upgrade
from store.engine import read_session
from store.migrate import alembic_config, current_revision, head_revision, upgrade
from store.models import EscalationDue, Milestone, Notification


def test_0013_down_and_up_then_the_open_milestones_are_adopted(
    engine: Engine, db_url: str, staffed: dict[str, int]
) -> None:
    desk = Desk(engine)
    form = IntakeForm(phone="13800138000", name="王", subject="s", description="d", demand="x")
    number = desk.intake(desk.actor("agent"), form).number  # C: acknowledge within 1 h

    command.downgrade(alembic_config(engine), "0012")
    assert current_revision(engine) == "0012"
    assert not {"escalation", "escalation_due"} & set(sa.inspect(engine).get_table_names())
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)

    clock.advance(timedelta(minutes=61))  # acknowledge breached, dispatch not yet at risk
    done = after_upgrade(engine, desk.policy, desk.calendars)
    assert done.ladder_adopted == 4
    with read_session(engine) as s:
        kinds = dict(s.exec(select(Milestone.id, Milestone.kind)).all())
        dues = {kinds[d.milestone_id]: d for d in s.exec(select(EscalationDue)).all()}
    assert {k: d.reached for k, d in dues.items()} == {
        "acknowledge": 2,  # at risk and breached before the ladder watched: no notices
        "dispatch": 0,
        "contact": 0,
        "resolve": 0,
    }
    assert after_upgrade(engine, desk.policy, desk.calendars).ladder_adopted == 0
    # The next rung of the adopted milestone comes due as any other: the executive at 90 min
    # (when the dispatch, adopted on track, turns at risk).
    assert desk.sweep().reached == []
    clock.advance(timedelta(minutes=29))
    assert sorted((r.number, r.milestone, r.level) for r in desk.sweep().reached) == [
        (number, "acknowledge", 3),
        (number, "dispatch", 1),
    ]
    with read_session(engine) as s:
        assert sorted(s.exec(select(col(Notification.level))).all()) == [1, 3]


def test_db_upgrade_says_how_many_it_adopted(sqlite_engine: Engine, sqlite_url: str) -> None:
    from deskapp.cli import main
    from tests.conftest import seed_staff

    seed_staff(sqlite_engine)
    desk = Desk(sqlite_engine)
    form = IntakeForm(phone="13800138000", name="王", subject="s", description="d", demand="x")
    desk.intake(desk.actor("agent"), form)
    command.downgrade(alembic_config(sqlite_engine), "0012")
    result = CliRunner().invoke(main, ["db", "upgrade", "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    assert "the escalation ladder now watches 4 open milestones" in result.output
