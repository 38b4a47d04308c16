"""The change feed: what other desks changed since we last looked (DESIGN.md §4).

A queue must show another desk's change within 1.5 s. On SQLite the only cross-process signal
is the database itself, so the screen polls about once a second. Every writer updates the one
`audit_head` row in the same transaction as its event (see `deskapp.audit`), so an unchanged
head is proven by one primary-key read and the common idle poll touches nothing else. Because
the head lock orders events by commit, a reader that has seen event N has seen every event
below N: a cursor (the last id read) never skips a commit that lands later with a lower id.

On PostgreSQL every event write also sends a NOTIFY (`deskapp.audit.NOTIFY_CHANNEL`), and a
`Listener` wakes the poller at once; polling stays as the fallback when the listening
connection drops, so a lost notification delays a change by at most one poll.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from deskapp import audit
from deskapp.logs import log
from deskapp.seals import SEAL_KINDS
from store.engine import read_session
from store.models import CaseEvent

#: At most this many events per poll; a desk that fell far behind catches up over a few polls
#: instead of reading an unbounded burst (e.g. after an import) in one go.
BATCH = 1000


@dataclass(frozen=True)
class Change:
    event_id: int
    complaint_id: int | None
    kind: str


class ChangeFeed:
    """One desk's view of the event log; not thread-safe (call `poll` from one worker)."""

    def __init__(self, engine: Engine, start_after: int | None = None) -> None:
        self._engine = engine
        if start_after is None:
            # A new screen reads its rows fresh, so only what happens from now on matters.
            with read_session(engine) as s:
                start_after = audit.latest_event_id(s)
        self._cursor = start_after

    @property
    def cursor(self) -> int:
        return self._cursor

    def poll(self, batch: int = BATCH) -> list[Change]:
        """The events committed since the last poll, in commit order, each exactly once."""
        with read_session(self._engine) as s:
            head = audit.latest_event_id(s)
            if head <= self._cursor:
                return []
            stmt = (
                select(CaseEvent.id, CaseEvent.complaint_id, CaseEvent.kind)
                .where(col(CaseEvent.id) > self._cursor, col(CaseEvent.id) <= head)
                .order_by(col(CaseEvent.id))
                .limit(batch)
            )
            rows = s.exec(stmt).all()
        # A row seal (deskapp.seals) closes a transaction whose own events say what changed.
        changes = [
            Change(ident or 0, case_id, kind)
            for ident, case_id, kind in rows
            if kind not in SEAL_KINDS
        ]
        if rows:
            self._cursor = rows[-1][0] or self._cursor
        return changes

    @staticmethod
    def affected(changes: Iterable[Change]) -> set[int]:
        """The cases to re-read; desk-wide events (no case) affect no row."""
        return {c.complaint_id for c in changes if c.complaint_id is not None}


class Listener:
    """LISTEN on its own connection in its own thread; calls `wake` for every NOTIFY. Reconnects
    after a failure (a restarted server), leaving the poll to cover the gap."""

    def __init__(self, engine: Engine, wake: Callable[[], None]) -> None:
        url = engine.url.set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._wake = wake
        self._stop = threading.Event()
        self.connected = threading.Event()
        self._thread = threading.Thread(target=self._run, name="deskapp-listen", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=3) as conn:
                    conn.execute(f"LISTEN {audit.NOTIFY_CHANNEL}")
                    self.connected.set()
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self._wake()
            except Exception:  # the poll carries on; try to listen again shortly
                self.connected.clear()
                self._stop.wait(1.0)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


def listen(engine: Engine, wake: Callable[[], None]) -> Listener | None:
    """A listener where the database can push (PostgreSQL), else None: poll only."""
    if engine.dialect.name != "postgresql":
        return None
    return Listener(engine, wake)


#: Seconds between reads of the event log when nothing wakes the hub sooner.
POLL_EVERY = 1.0

Subscriber = Callable[[list[Change]], None]


class ChangeHub:
    """The one change feed of a desk process: one thread reads the event log (and, on
    PostgreSQL, one LISTEN connection wakes it) and hands every batch to each subscriber.

    Screens subscribe to what they show (the queue, an open case, my alerts) instead of
    running feeds of their own: 50 desks on one server then hold 50 listening connections,
    not three each. A subscriber's callback runs on the hub's thread and must be quick (queue
    the news for its own thread). Subscribe *before* reading fresh rows: a change committed
    in between is then both in the rows and in the news, never in neither.
    """

    def __init__(self, engine: Engine, every: float = POLL_EVERY) -> None:
        self._engine = engine
        self._every = every
        self._subscribers: dict[int, Subscriber] = {}
        self._next_id = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        #: The last failure to read the log, for whoever wants to say the news is late.
        self.error: Exception | None = None

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Hand every batch of changes from now on to `callback`; returns the unsubscribe."""
        with self._lock:
            ident = self._next_id
            self._next_id += 1
            self._subscribers[ident] = callback
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="deskapp-changes", daemon=True
                )
                self._thread.start()
        self._started.wait(timeout=10)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers.pop(ident, None)

        return unsubscribe

    def wake(self) -> None:
        """Read the log now (after a save here: its own screens need not wait a poll)."""
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=3)

    def _run(self) -> None:
        feed: ChangeFeed | None = None
        listener: Listener | None = None
        try:
            while not self._stop.is_set():
                try:
                    if feed is None:
                        feed = ChangeFeed(self._engine)
                        self._started.set()
                        listener = listen(self._engine, self._wake.set)
                    changes = feed.poll()
                    self.error = None
                except Exception as exc:  # locked or away: the subscribers' rows stay as they are
                    self.error = exc
                    changes = []
                finally:
                    self._started.set()  # a hub that cannot start must not hang its subscriber
                if changes:
                    with self._lock:
                        callbacks = list(self._subscribers.values())
                    for callback in callbacks:
                        try:
                            callback(changes)
                        except Exception:  # one subscriber's bug must not stop the others' news
                            log.exception("a change-feed subscriber failed")
                    if len(changes) >= BATCH:
                        continue  # far behind: catch up before waiting
                self._wake.wait(self._every)
                self._wake.clear()
        finally:
            if listener is not None:
                listener.close()


class NewsBox:
    """Collects the cases a hub names until they are taken: for a reader on its own schedule
    (the alert poll), subscribed with `hub.subscribe(box)`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._named: set[int] = set()

    def __call__(self, changes: list[Change]) -> None:
        with self._lock:
            self._named |= ChangeFeed.affected(changes)

    def take(self) -> set[int]:
        with self._lock:
            named, self._named = self._named, set()
        return named
