"""A writer that meets another writer's lock past the busy timeout does not fail: the use case
runs its transaction again with backoff, and the person never sees "database is locked"."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

import pytest
from sqlalchemy.exc import OperationalError

from deskapp.cases import Desk, IntakeForm
from deskapp.cases import base as cases_base
from store import engine as store_engine
from store.engine import is_transient, make_engine
from tests.conftest import case_rows, seed_staff

HOLD_S = 2.0


def _form() -> IntakeForm:
    return IntakeForm(
        phone="13800138000",
        name="王小明",
        subject="洗衣机漏水",
        description="新买的洗衣机第一次使用就漏水。",
        demand="更换新机",
    )


class _Seen(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _hold_write_lock(path: str, locked: threading.Event, seconds: float) -> None:
    """Another desk's writer: BEGIN IMMEDIATE, then hold the lock for `seconds`."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    locked.set()
    time.sleep(seconds)
    conn.execute("ROLLBACK")
    conn.close()


def test_intake_retries_while_another_connection_holds_the_write_lock(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A short busy timeout, so the lock held for 2 s outlasts it several times over.
    monkeypatch.setattr(store_engine, "BUSY_TIMEOUT_MS", 100)
    engine = make_engine(sqlite_url)
    seed_staff(engine)
    desk = Desk(engine)
    agent = desk.actor("agent")
    locked = threading.Event()
    holder = threading.Thread(
        target=_hold_write_lock,
        args=(sqlite_url.removeprefix("sqlite:///"), locked, HOLD_S),
    )
    holder.start()
    assert locked.wait(5)
    # A handler on the use cases' own logger: `deskapp.logs` stops the "deskapp" loggers
    # propagating to the root, where caplog listens, once any test has imported it.
    seen = _Seen()
    logger = logging.getLogger("deskapp.cases")
    logger.addHandler(seen)
    try:
        started = time.perf_counter()
        result = desk.intake(agent, _form())
        waited = time.perf_counter() - started
    finally:
        logger.removeHandler(seen)
    holder.join()
    retries = [r for r in seen.records if "database is locked" in r.getMessage()]
    assert retries, "the intake did not retry"
    assert all(r.getMessage().startswith("intake: try ") for r in retries)
    assert waited >= HOLD_S * 0.8
    assert case_rows(desk, result.number)[0].status == "new"
    engine.dispose()


def test_a_lock_held_past_every_try_still_fails(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_engine, "BUSY_TIMEOUT_MS", 20)
    monkeypatch.setattr(cases_base, "RETRY_ATTEMPTS", 3)
    monkeypatch.setattr(cases_base, "RETRY_FIRST_DELAY", 0.01)
    engine = make_engine(sqlite_url)
    seed_staff(engine)
    desk = Desk(engine)
    agent = desk.actor("agent")
    locked = threading.Event()
    holder = threading.Thread(
        target=_hold_write_lock, args=(sqlite_url.removeprefix("sqlite:///"), locked, 1.0)
    )
    holder.start()
    assert locked.wait(5)
    with pytest.raises(OperationalError, match="database is locked"):
        desk.intake(agent, _form())
    holder.join()
    engine.dispose()


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def test_what_counts_as_transient() -> None:
    locked = sqlite3.OperationalError("database is locked")
    assert is_transient(OperationalError("INSERT", {}, locked))
    assert is_transient(OperationalError("COMMIT", {}, _PgError("40001")))  # serialization
    assert is_transient(OperationalError("UPDATE", {}, _PgError("40P01")))  # deadlock
    assert not is_transient(OperationalError("UPDATE", {}, _PgError("23505")))  # unique
    assert not is_transient(OperationalError("SELECT", {}, sqlite3.OperationalError("no table")))
