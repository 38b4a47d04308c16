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
from enum import StrEnum
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
    engine = create_engine(resolved, echo=echo, pool_pre_ping=True, hide_parameters=True, **pool)
    event.listen(engine, "handle_error", _drop_connections_on_trouble)
    return engine


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

    if not memory:  # a memory database lives in its one connection
        event.listen(engine, "handle_error", _drop_connections_on_trouble)

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


class Trouble(StrEnum):
    """Why the database refused a piece of work, in the terms a person at the desk can act on."""

    BUSY = "busy"  # another program holds the write lock (past the waits and retries)
    FULL = "full"  # the disk holding the database is full
    READ_ONLY = "read_only"  # the database (file, disk or server) takes no writes
    UNREACHABLE = "unreachable"  # the file cannot be read or the server cannot be reached


_SQLITE_TROUBLE = {
    5: Trouble.BUSY,  # SQLITE_BUSY
    6: Trouble.BUSY,  # SQLITE_LOCKED
    8: Trouble.READ_ONLY,  # SQLITE_READONLY (also a file replaced under the desk)
    10: Trouble.UNREACHABLE,  # SQLITE_IOERR
    13: Trouble.FULL,  # SQLITE_FULL
    14: Trouble.UNREACHABLE,  # SQLITE_CANTOPEN
}
_PG_TROUBLE = {
    "53100": Trouble.FULL,  # disk_full
    "25006": Trouble.READ_ONLY,  # read_only_sql_transaction (a standby, a read-only default)
    "57P01": Trouble.UNREACHABLE,  # admin_shutdown
    "57P02": Trouble.UNREACHABLE,  # crash_shutdown
    "57P03": Trouble.UNREACHABLE,  # cannot_connect_now (starting up)
}


def trouble(exc: BaseException, engine: Engine | None = None) -> Trouble | None:
    """The storage fault behind a failed piece of work, or None for any other error. With the
    engine, a SQLite I/O error on a file system with no room left is called what it is (SQLite
    often reports a full disk under WAL as a plain I/O error)."""
    if is_transient(exc):
        return Trouble.BUSY
    orig = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None)
    if state in _PG_TROUBLE:
        return _PG_TROUBLE[state]
    if isinstance(state, str) and state.startswith("08"):  # connection_exception
        return Trouble.UNREACHABLE
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        found = None if code is None else _SQLITE_TROUBLE.get(code & 0xFF)
        if found is Trouble.UNREACHABLE and engine is not None:
            if _no_room(engine):
                return Trouble.FULL
            if _read_only_folder(engine):  # no -wal or -shm file can be made beside it
                return Trouble.READ_ONLY
        return found
    if getattr(exc, "connection_invalidated", False):
        return Trouble.UNREACHABLE
    if type(orig).__module__.startswith("psycopg") and type(orig).__name__ in (
        "OperationalError",
        "InterfaceError",
    ):
        return Trouble.UNREACHABLE  # no state: the connection itself failed
    return None


#: Free bytes below which a SQLite file's file system counts as full.
_ROOM = 256 * 1024


def _no_room(engine: Engine) -> bool:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return False
    try:
        stat = os.statvfs(Path(database).expanduser().resolve().parent)
    except OSError:
        return False
    return stat.f_bavail * stat.f_frsize < _ROOM


def _read_only_folder(engine: Engine) -> bool:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return False
    folder = Path(database).expanduser().resolve().parent
    return folder.is_dir() and not os.access(folder, os.W_OK)


def _drop_connections_on_trouble(context: Any) -> None:
    """A connection that met a storage fault is not used again: the pool is emptied (as for a
    lost server connection), so the desk's next piece of work opens fresh connections and
    finds the database as it is by then (writable again, the file put back, the server
    back). Without this a SQLite connection keeps a replaced file open for ever."""
    found = trouble(context.original_exception, context.engine)
    if found is not None and found is not Trouble.BUSY:
        context.is_disconnect = True
        context.invalidate_pool_on_disconnect = True


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
