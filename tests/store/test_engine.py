"""The embedded SQLite default is set up for a shared desk: WAL, busy timeout, foreign keys,
and writers that queue instead of failing."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from store.engine import (
    BUSY_TIMEOUT_MS,
    default_sqlite_path,
    make_engine,
    normalise_url,
    read_session,
    resolve_url,
    write_session,
)
from store.models import DaySequence, Milestone


def test_sqlite_pragmas(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS


def test_foreign_keys_are_enforced(sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    from deskapp import clock

    now = clock.now()
    with pytest.raises(IntegrityError), write_session(sqlite_engine) as s:
        s.add(
            Milestone(
                complaint_id=999,
                kind="contact",
                budget_minutes=60,
                calendar="24x7",
                started_at=now,
                due_at=now,
            )
        )


def test_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_url() == f"sqlite:///{default_sqlite_path()}"
    monkeypatch.setenv("DESKAPP_DB", "sqlite:///from-env.db")
    assert resolve_url() == "sqlite:///from-env.db"
    assert resolve_url("sqlite:///from-option.db") == "sqlite:///from-option.db"
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_default_database_lives_in_the_user_data_dir() -> None:
    assert default_sqlite_path() == Path(os.environ["XDG_DATA_HOME"]) / "deskapp" / "desk.db"


def test_concurrent_writers_queue_instead_of_failing(sqlite_url: str) -> None:
    """Read-then-write transactions from many threads: BEGIN IMMEDIATE serialises them."""
    engine = make_engine(sqlite_url)
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(20):
                with write_session(engine) as s:
                    row = s.get(DaySequence, "20260101") or DaySequence(day="20260101", last=0)
                    row.last += 1
                    s.add(row)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with read_session(engine) as s:
        assert s.exec(select(DaySequence)).one().last == 120


def test_write_session_rolls_back_on_error(sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), write_session(sqlite_engine) as s:
        s.add(DaySequence(day="20260102", last=5))
        s.flush()
        raise RuntimeError("boom")
    with read_session(sqlite_engine) as s:
        assert s.get(DaySequence, "20260102") is None
