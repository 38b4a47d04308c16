"""The append-only, hash-chained event log.

Each event's hash covers the previous event's hash and the canonical JSON of the event, so a
changed, removed or reordered row breaks the chain at that row. Writers lock the single
`audit_head` row, which gives one chain order equal to commit order on every backend; the change
feed relies on that order (a reader that saw event N has seen every event below N).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from deskapp import clock
from store.models import AuditHead, CaseEvent

GENESIS = "0" * 64


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"cannot record {type(value).__name__} in an event")


def dumps(payload: dict[str, Any]) -> str:
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


def event_hash(event: CaseEvent) -> str:
    body = dumps(
        {
            "id": event.id,
            "complaint_id": event.complaint_id,
            "actor_id": event.actor_id,
            "at": event.at.isoformat(timespec="microseconds"),
            "kind": event.kind,
            "payload": json.loads(event.payload),
        }
    )
    return hashlib.sha256((event.prev_hash + body).encode("utf-8")).hexdigest()


def _lock_head(session: Session) -> AuditHead:
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is None:  # a database created without migrations (never in production)
        head = AuditHead(id=1, last_event_id=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    return head


#: The PostgreSQL channel every event write notifies.
NOTIFY_CHANNEL = "deskapp_events"


def append(
    session: Session,
    *,
    kind: str,
    actor_id: int | None,
    complaint_id: int | None = None,
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """Record one event inside the caller's transaction."""
    head = _lock_head(session)
    moment = at or clock.now()
    event = CaseEvent(
        complaint_id=complaint_id,
        actor_id=actor_id,
        at=moment.replace(microsecond=moment.microsecond),
        kind=kind,
        payload=dumps(payload or {}),
        prev_hash=head.last_hash or GENESIS,
        hash="",
    )
    session.add(event)
    session.flush()
    event.hash = event_hash(event)
    head.last_event_id = event.id or 0
    head.last_hash = event.hash
    session.add(head)
    if session.get_bind().dialect.name == "postgresql":
        # Delivered at commit (never for a rolled-back write), once per transaction however
        # many events it holds: it wakes the other desks' change feeds (deskapp.changes).
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    return event


@dataclass(frozen=True)
class Verification:
    count: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_events(events: Iterable[CaseEvent], head: AuditHead | None) -> Verification:
    prev = GENESIS
    count = 0
    last_id = 0
    for event in events:
        if event.prev_hash != prev:
            return Verification(count, event.id, "its prev_hash does not match the event before it")
        if event_hash(event) != event.hash:
            return Verification(count, event.id, "its contents do not match its hash")
        prev, last_id = event.hash, event.id or 0
        count += 1
    if head is not None and count and (head.last_event_id != last_id or head.last_hash != prev):
        return Verification(
            count, head.last_event_id, "events after the last stored one are missing"
        )
    return Verification(count)


def verify(session: Session, batch: int = 5000) -> Verification:
    """Walk the whole chain in id order, a batch at a time (memory stays flat on big desks)."""

    def stream() -> Iterable[CaseEvent]:
        after = 0
        while True:
            rows = session.exec(
                select(CaseEvent)
                .where(col(CaseEvent.id) > after)
                .order_by(col(CaseEvent.id))
                .limit(batch)
            ).all()
            if not rows:
                return
            yield from rows
            after = rows[-1].id or 0
            session.expunge_all()

    head = session.get(AuditHead, 1)
    head_copy = (
        None
        if head is None
        else AuditHead(id=1, last_event_id=head.last_event_id, last_hash=head.last_hash)
    )
    return verify_events(stream(), head_copy)


def latest_event_id(session: Session) -> int:
    """The change feed's cursor: one primary-key read."""
    head = session.get(AuditHead, 1)
    return 0 if head is None else head.last_event_id
