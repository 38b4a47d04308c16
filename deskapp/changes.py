"""The change feed: what other desks changed since we last looked (DESIGN.md §4).

A queue must show another desk's change within 1.5 s. On SQLite the only cross-process signal
is the database itself, so the screen polls about once a second. Every writer updates the one
`audit_head` row in the same transaction as its event (see `deskapp.audit`), so an unchanged
head is proven by one primary-key read and the common idle poll touches nothing else. Because
the head lock orders events by commit, a reader that has seen event N has seen every event
below N: a cursor (the last id read) never skips a commit that lands later with a lower id.

PostgreSQL could wake the poller with LISTEN/NOTIFY; polling works there too and is what is
built now (the notification would only shorten the wait, the read stays the same).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from deskapp import audit
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
        changes = [Change(ident or 0, case_id, kind) for ident, case_id, kind in rows]
        if changes:
            self._cursor = changes[-1].event_id
        return changes

    @staticmethod
    def affected(changes: Iterable[Change]) -> set[int]:
        """The cases to re-read; desk-wide events (no case) affect no row."""
        return {c.complaint_id for c in changes if c.complaint_id is not None}
