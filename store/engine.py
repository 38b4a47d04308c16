"""Engine factory and transaction scopes.

SQLite is the embedded default: a file in the user data dir, WAL so readers never wait for the
writer, a busy timeout so writers queue instead of failing, foreign keys on. Write transactions
on SQLite start with `BEGIN IMMEDIATE`: a deferred transaction that reads first and writes later
fails at once with SQLITE_BUSY when another writer committed in between, and no busy timeout
helps it. PostgreSQL (psycopg 3) is chosen by URL.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

ENV_DB = "DESKAPP_DB"
_WRITE = "deskapp_write"
BUSY_TIMEOUT_MS = 15_000
#: A server database's connections per desk process: kept open, and opened while busy.
POOL_SIZE = 1
MAX_OVERFLOW = 4


def default_sqlite_path() -> Path:
    return platformdirs.user_data_path("deskapp", appauthor=False) / "desk.db"


def resolve_url(url: str | None = None) -> str:
    """`--db` wins, then DESKAPP_DB, then the SQLite file in the user data dir."""
    if url:
        return normalise_url(url)
    env = os.environ.get(ENV_DB)
    if env:
        return normalise_url(env)
    return f"sqlite:///{default_sqlite_path()}"


def normalise_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` as psycopg 3; SQLAlchemy would pick psycopg2."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(
    url: str | None = None,
    *,
    echo: bool = False,
    pool_size: int | None = None,
    max_overflow: int | None = None,
) -> Engine:
    """An engine for the URL. `pool_size` and `max_overflow` bound a server database's
    connections per process; SQLite ignores them. A desk keeps POOL_SIZE open and opens up to
    MAX_OVERFLOW more while busy (closed again when returned), so with its one LISTEN
    connection it holds 2 at rest and at most 6 (docs/load.md, "Connections")."""
    resolved = resolve_url(url)
    parsed: URL = make_url(resolved)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo=echo)
    pool: dict[str, int] = {
        "pool_size": POOL_SIZE if pool_size is None else pool_size,
        "max_overflow": MAX_OVERFLOW if max_overflow is None else max_overflow,
    }
    # hide_parameters: an error message must not carry the customer's text (or a password
    # hash) into the status bar and the log.
    return create_engine(resolved, echo=echo, pool_pre_ping=True, hide_parameters=True, **pool)


def _sqlite_engine(url: URL, *, echo: bool) -> Engine:
    memory = url.database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if memory:
        kwargs["poolclass"] = StaticPool
    else:
        Path(url.database or "").expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, hide_parameters=True, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so that BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


#: SQLite's "busy" and "locked" result codes: another connection held the lock past the busy
#: timeout (or a lock the busy handler cannot wait for). The transaction was rolled back; doing
#: it again is safe.
_SQLITE_TRANSIENT = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (extended codes keep the low byte)
#: PostgreSQL's serialization failure and deadlock: the server aborted the transaction and says
#: to retry it.
_PG_TRANSIENT = {"40001", "40P01"}


def is_transient(exc: BaseException) -> bool:
    """A write that failed only because of other writers and may be done again from the start:
    SQLite busy/locked ("database is locked"), PostgreSQL serialization failure or deadlock."""
    orig = getattr(exc, "orig", None) or exc
    if getattr(orig, "sqlstate", None) in _PG_TRANSIENT:
        return True
    if isinstance(orig, sqlite3.OperationalError):
        code = getattr(orig, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in _SQLITE_TRANSIENT
        message = str(orig).lower()
        return "database is locked" in message or "database is busy" in message
    return False


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One use case, one transaction: commit on success, roll back on any error."""
    bind = engine.execution_options(**{_WRITE: True})
    with Session(bind, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A read-only unit of work; objects stay usable after it ends."""
    with Session(engine, expire_on_commit=False) as session:
        with session.begin():
            yield session
        session.expunge_all()
