"""A migration killed half-way (after revision 0005 of ten, inside the upgrade) leaves the
database as it was: the next `deskapp db upgrade` runs from the start to head, and the schema
then matches the models exactly. On both backends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import store.models  # noqa: F401
from deskapp.cli import main
from store.engine import make_engine, normalise_url
from store.migrate import current_revision, described_by_models, head_revision

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/fresh.db"
        return
    server = str(request.getfixturevalue("pg_server_url"))
    name = f"deskapp_fault_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(normalise_url(server)).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.engine.dispose()


def test_a_killed_upgrade_is_undone_and_the_next_one_finishes(empty_url: str) -> None:
    db_url = empty_url
    engine = make_engine(db_url)
    assert current_revision(engine) is None

    env = os.environ | {"DESKAPP_FAULT": "kill-after-migration:0005"}
    deskapp = [sys.executable, "-m", "deskapp.cli"]
    killed = subprocess.run(
        [*deskapp, "db", "upgrade", "--db", db_url], env=env, capture_output=True, text=True
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    engine.dispose()
    assert current_revision(engine) is None  # nothing of 0001..0005 was kept

    done = CliRunner().invoke(main, ["db", "upgrade", "--db", db_url])
    assert done.exit_code == 0, done.output
    assert current_revision(engine) == head_revision(engine)
    with engine.connect() as conn:
        opts = {"compare_type": True, "include_name": described_by_models}
        context = MigrationContext.configure(conn, opts=opts)
        assert compare_metadata(context, SQLModel.metadata) == []
    engine.dispose()
