"""Storage faults are told apart from other errors (`store.engine.trouble`) from the errors the
real drivers raise, and said to the person at the desk in their language
(`DeskContext.explain`); a connection that met one is not used again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from deskapp.context import DeskContext
from store.engine import Trouble, make_engine, trouble


def _sqlite_error(path: Path, statement: str, **connect: object) -> sqlite3.Error:
    """The error real sqlite3 raises opening the database or running the statement."""
    try:
        conn = sqlite3.connect(**connect) if "database" in connect else sqlite3.connect(path)  # type: ignore[call-overload]
    except sqlite3.Error as exc:
        return exc
    try:
        conn.execute(statement)
    except sqlite3.Error as exc:
        return exc
    finally:
        conn.close()
    raise AssertionError("no error")


def test_sqlite_busy_and_read_only(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("CREATE TABLE t (x)")
    setup.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    busy = sqlite3.connect(path, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError) as locked:
        busy.execute("BEGIN IMMEDIATE")
    busy.close()
    setup.execute("COMMIT")
    setup.close()
    assert trouble(locked.value) is Trouble.BUSY
    read_only = _sqlite_error(
        path, "INSERT INTO t VALUES (1)", database=f"file:{path}?mode=ro", uri=True
    )
    assert trouble(read_only) is Trouble.READ_ONLY
    missing = _sqlite_error(
        path, "SELECT 1", database=f"file:{tmp_path}/none/x.db?mode=rw", uri=True
    )
    assert trouble(missing) is Trouble.UNREACHABLE
    assert trouble(_sqlite_error(path, "SELECT * FROM nowhere")) is None  # a plain mistake


def test_an_integrity_error_is_no_storage_trouble(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/i.db")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE u (x INTEGER PRIMARY KEY)"))
        conn.execute(text("INSERT INTO u VALUES (1)"))
    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(text("INSERT INTO u VALUES (1)"))
    assert trouble(caught.value) is None
    engine.dispose()


@pytest.mark.pg
def test_postgresql_read_only_and_unreachable(pg_url: str) -> None:
    engine = make_engine(pg_url)
    with pytest.raises(DBAPIError) as refused, engine.begin() as conn:
        conn.execute(text("SET TRANSACTION READ ONLY"))
        conn.execute(text("CREATE TABLE nope (x int)"))
    assert trouble(refused.value) is Trouble.READ_ONLY
    # The connection that met it was dropped with the rest of the pool: the next one writes.
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE yes (x int)"))
    engine.dispose()
    away = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/postgres")
    with pytest.raises(DBAPIError) as unreachable, away.connect():
        pass
    assert trouble(unreachable.value) is Trouble.UNREACHABLE
    away.dispose()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_desk_says_it_in_the_persons_language(lang: str, tmp_path: Path) -> None:
    import store.engine  # noqa: F401 - what a running desk has loaded

    ctx = DeskContext(lang=lang)
    path = tmp_path / "t.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    said = ctx.explain(
        _sqlite_error(path, "INSERT INTO t VALUES (1)", database=f"file:{path}?mode=ro", uri=True)
    )
    assert said == ctx.t("trouble.read_only")
    assert ("只读" if lang == "zh" else "read-only") in said
    assert ctx.explain(ValueError("plain")) == "plain"
