"""Shared fixtures.

Databases are real: SQLite files migrated with Alembic (once per run into a template that each
test copies), and PostgreSQL when `DESKAPP_TEST_PG` names a server (a fresh database per run,
dropped at the end). The clock is frozen unless a test moves it, and no test reads the
developer's own configuration or data directory.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import col, select

from deskapp import clock

if TYPE_CHECKING:
    from deskapp.cases import Desk
    from deskapp.config import Settings
    from store.models import CaseEvent, Complaint, Milestone

#: Monday 23 November 2026, 10:00 in Shanghai: inside office hours on a working day.
DESK_NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep tests away from the developer's config, data dir and DESKAPP_* settings."""
    home = tmp_path_factory.mktemp("home")
    for key in list(os.environ):
        if key.startswith("DESKAPP_") and key not in ("DESKAPP_TEST_PG", "DESKAPP_REQUIRE_PG"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    # A desk's own escalation sweep writes events on a timer: the tests that want it turn it
    # on (tests/deskapp/test_ladder_watch.py); the rest see only the steps they take.
    monkeypatch.setenv("DESKAPP_ESCALATE_EVERY_SECONDS", "0")
    # Likewise the desk's own look at the outbox (tests/deskapp/test_mail_smtp.py sends by hand).
    monkeypatch.setenv("DESKAPP_SMTP__SEND_EVERY_SECONDS", "0")
    from deskapp.config import load_settings

    load_settings.cache_clear()


#: Argon2id at a test's cost: the same scheme and code as the desk's, in microseconds rather
#: than tens of milliseconds (tests/deskapp/test_sign_in.py checks the desk's own cost).
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=32, salt_len=16)


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    import deskapp.auth

    monkeypatch.setattr(deskapp.auth, "HASHER", CHEAP_HASHER)


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[datetime]:
    clock.freeze(DESK_NOW)
    yield DESK_NOW
    clock.unfreeze()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from store.engine import make_engine
    from store.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "desk.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    from store.engine import make_engine

    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


def _pg_admin_url() -> str | None:
    return os.environ.get("DESKAPP_TEST_PG") or None


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    url = _pg_admin_url()
    if not url:
        if os.environ.get("DESKAPP_REQUIRE_PG"):
            pytest.fail("DESKAPP_REQUIRE_PG is set but DESKAPP_TEST_PG names no server")
        pytest.skip("DESKAPP_TEST_PG is not set (PostgreSQL tests run in .ci/run)")
    return url


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A brand-new database for one test, migrated to head, dropped afterwards."""
    from store.engine import make_engine, normalise_url
    from store.migrate import upgrade

    name = f"deskapp_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(pg_server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = (
        make_url(normalise_url(pg_server_url))
        .set(database=name)
        .render_as_string(hide_password=False)
    )
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Run a store test on both backends."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    from store.engine import make_engine

    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def staffed(engine: Engine) -> dict[str, int]:
    """Two departments and one account per role; returns login → staff id."""
    return seed_staff(engine)


def case_rows(desk: Desk, number: str) -> tuple[Complaint, list[Milestone], list[CaseEvent]]:
    """A case with its milestones and events, as stored: what tests check a use case wrote."""
    from deskapp import milestones as ms
    from store.engine import read_session
    from store.models import CaseEvent, Complaint

    with read_session(desk.engine) as s:
        c = s.exec(select(Complaint).where(Complaint.number == number)).first()
        assert c is not None and c.id is not None, f"no complaint {number}"
        events = s.exec(
            select(CaseEvent).where(CaseEvent.complaint_id == c.id).order_by(col(CaseEvent.id))
        ).all()
        return c, ms.load(s, c.id), list(events)


def seed_staff(engine: Engine) -> dict[str, int]:
    from deskapp.auth import hash_password
    from store.engine import write_session
    from store.models import Department, Staff

    ids: dict[str, int] = {}
    with write_session(engine) as s:
        quality = Department(code="QA", name="品质部", name_en="Quality")
        logistics = Department(code="LOG", name="物流部", name_en="Logistics")
        s.add_all([quality, logistics])
        s.flush()
        people = [
            ("agent", "Ada Agent", "agent", None, "0"),
            ("agent2", "Abe Agent", "agent", None, "0"),
            ("handler", "Hal Handler", "handler", quality.id, "0"),
            ("handler2", "Hana Handler", "handler", quality.id, "0"),
            ("loghandler", "Lou Logistics", "handler", logistics.id, "0"),
            ("manager", "Meg Manager", "dept_manager", quality.id, "2000"),
            ("logmanager", "Len Manager", "dept_manager", logistics.id, "2000"),
            ("supervisor", "Sue Supervisor", "supervisor", None, "0"),
            ("legal", "Lee Legal", "legal", None, "0"),
            ("executive", "Eve Executive", "executive", None, "100000"),
            ("admin", "Abby Admin", "admin", None, "0"),
        ]
        hashed = hash_password("demo")
        for login, name, roles, dept, limit in people:
            staff = Staff(
                login=login,
                display_name=name,
                roles=roles,
                department_id=dept,
                password_hash=hashed,
                compensation_limit=Decimal(limit),
            )
            s.add(staff)
            s.flush()
            ids[login] = staff.id or 0
        quality.manager_id, quality.liaison_id = ids["manager"], ids["handler"]
        logistics.manager_id, logistics.liaison_id = ids["logmanager"], ids["loghandler"]
        ids["dept:QA"], ids["dept:LOG"] = quality.id or 0, logistics.id or 0
    return ids


def six_promise_settings(folder: Path) -> Settings:
    """Settings whose SLA policy carries only DESIGN.md §1's six promises, without the
    milestones some cases add by category or claim type (issue 15): for tests whose ladders and
    figures were worked out by hand for those six."""
    from deskapp.config import Settings, SlaSettings
    from deskapp.sla import DEFAULT_POLICY_PATH

    shipped = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    start, end = shipped.index("[milestones.report]"), shipped.index("# VIP customers")
    path = folder / "six_promises.toml"
    path.write_text(shipped[:start] + shipped[end:], encoding="utf-8")
    return Settings(sla=SlaSettings(policy_file=path))
