"""The migrations build exactly the schema the models describe, on both backends, and the app
refuses a database that is behind."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, select

import store.models  # noqa: F401
from store.engine import make_engine
from store.migrate import (
    HEAD,
    SchemaBehindError,
    check_current,
    current_revision,
    described_by_models,
    head_revision,
    stored_revision,
    upgrade,
)


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        opts = {"compare_type": True, "include_name": described_by_models}
        context = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_migrated_database_is_current(engine: Engine) -> None:
    assert current_revision(engine) == head_revision(engine)
    check_current(engine)


def test_the_head_start_up_checks_is_alembics(engine: Engine) -> None:
    """Start-up compares with `HEAD` instead of importing Alembic: a new migration must move
    it, or every desk would refuse its own database."""
    assert head_revision(engine) == HEAD
    assert stored_revision(engine) == current_revision(engine) == HEAD


def test_empty_database_is_refused_with_the_command_to_run(
    tmp_path: pytest.TempPathFactory,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/empty.db")
    with pytest.raises(SchemaBehindError, match="deskapp db upgrade"):
        check_current(engine)
    upgrade(engine)
    check_current(engine)


def test_database_behind_head_is_refused(tmp_path: pytest.TempPathFactory) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'older'")
    with pytest.raises(SchemaBehindError, match="revision older"):
        check_current(engine)


def test_upgrade_from_0001_fills_the_queue_head_of_open_cases(
    engine: Engine, db_url: str, staffed: dict[str, int]
) -> None:
    """0002 adds the head-promise columns; `deskapp db upgrade` fills them for existing cases,
    including the at-risk time that needs the business calendars."""
    from alembic import command
    from click.testing import CliRunner

    from deskapp.cases import Desk, IntakeForm
    from deskapp.cli import main
    from store.engine import read_session
    from store.migrate import alembic_config
    from store.models import Complaint

    desk = Desk(engine)
    number = desk.intake(
        desk.actor("agent"),
        IntakeForm(phone="13800138000", name="王", subject="s", description="d", demand="x"),
    ).number
    with read_session(engine) as s:
        fresh = s.exec(select(Complaint).where(Complaint.number == number)).one()
    command.downgrade(alembic_config(engine), "0001")
    assert current_revision(engine) == "0001"
    result = CliRunner().invoke(main, ["db", "upgrade", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "filled the at-risk time of 1 open cases" in result.output
    with read_session(engine) as s:
        again = s.exec(select(Complaint).where(Complaint.number == number)).one()
    assert (again.next_kind, again.next_calendar, again.next_warn_at) == (
        fresh.next_kind,
        fresh.next_calendar,
        fresh.next_warn_at,
    )
    assert again.next_kind == "acknowledge" and again.next_warn_at is not None  # not given yet
