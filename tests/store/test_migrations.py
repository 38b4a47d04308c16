"""The migrations build exactly the schema the models describe, on both backends, and the app
refuses a database that is behind."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import store.models  # noqa: F401
from store.engine import make_engine
from store.migrate import SchemaBehindError, check_current, current_revision, head_revision, upgrade


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_migrated_database_is_current(engine: Engine) -> None:
    assert current_revision(engine) == head_revision(engine)
    check_current(engine)


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
