"""The append-only, hash-chained event log.

Each event's hash covers the previous event's hash and the canonical JSON of the event, so a
changed, removed or reordered row breaks the chain at that row. Writers lock the single
`audit_head` row, which gives one chain order equal to commit order on every backend; the change
feed relies on that order (a reader that saw event N has seen every event below N).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from deskapp import clock, faults
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


@cache
def canonical_encoder() -> Callable[[Any], str]:
    """`dumps` for JSON-native values (no dates, amounts or enums), several times cheaper.

    `json.JSONEncoder.encode` builds a new C encoder on every call; holding one halves the cost
    of a writer that records millions of payloads (the demo). It is used only when this
    interpreter has the C encoder and it agrees with `dumps` on a sample.
    """
    encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return encoder.encode
    try:
        c_encode = make(
            None,
            encoder.default,
            json.encoder.encode_basestring,
            None,
            ":",
            ",",
            True,
            False,
            True,
        )
    except TypeError:  # another interpreter's signature
        return encoder.encode

    def encode(value: Any) -> str:
        return "".join(c_encode(value, 0))

    sample = {"b": [1, 2.5, None, True], "a": {"z": '引号"\n', "y": {}}}
    agrees = encode(sample) == encoder.encode(sample) == dumps(sample)
    return encode if agrees else encoder.encode


def instant_text(moment: datetime) -> str:
    """An event's instant as its hash covers it. Instants come back from the store in UTC, so a
    writer must hash the UTC form of the instant it stores."""
    return moment.isoformat(timespec="microseconds")


@lru_cache(maxsize=256)
def _json_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def event_body(
    event_id: int | None,
    complaint_id: int | None,
    actor_id: int | None,
    at: str,
    kind: str,
    payload: str,
) -> str:
    """The canonical JSON of an event (`dumps` of its six members), which its hash covers.

    Spelt out so that a writer of many events can pass the payload's canonical text (`dumps`
    or `canonical_encoder`) and the instant's text (`instant_text`, which needs no escaping)
    it already has, instead of having them parsed and encoded again. The payload is the last
    member; `payload_text` cuts it back out.
    """
    actor = "null" if actor_id is None else int(actor_id)
    case = "null" if complaint_id is None else int(complaint_id)
    ident = "null" if event_id is None else int(event_id)
    return (
        f'{{"actor_id":{actor},"at":"{at}","complaint_id":{case},'
        f'"id":{ident},"kind":{_json_string(kind)},"payload":{payload}}}'
    )


_PAYLOAD_KEY = ',"payload":'


def payload_text(body: str) -> str:
    """The payload's text inside an `event_body`: what the event row stores."""
    return body[body.index(_PAYLOAD_KEY) + len(_PAYLOAD_KEY) : -1]


def chain_hash(prev_hash: str, body: str) -> str:
    """The one hash of the chain: the previous event's hash, then this event's body."""
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def event_hash(event: CaseEvent) -> str:
    body = event_body(
        event.id,
        event.complaint_id,
        event.actor_id,
        instant_text(event.at),
        event.kind,
        dumps(json.loads(event.payload)),
    )
    return chain_hash(event.prev_hash, body)


def _lock_head(session: Session) -> AuditHead:
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is None:  # a database created without migrations (never in production)
        head = AuditHead(id=1, last_event_id=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    return head


#: Where `append` leaves the actor of a transaction's last event, for the seal event that
#: closes the transaction (deskapp.seals).
LAST_ACTOR = "deskapp.audit.last_actor"
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
    faults.note_event(session, kind)
    if actor_id is not None:
        session.info[LAST_ACTOR] = actor_id
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
    # The head is written with every event: it must name the last one, also when none is left
    # (a log emptied by DELETE is not an intact empty log while the head says events existed).
    if head is not None and (head.last_event_id != last_id or (last_id and head.last_hash != prev)):
        if count == 0:
            reason = f"the log is empty but {head.last_event_id} events were written"
        else:
            reason = "events after the last stored one are missing"
        return Verification(count, head.last_event_id, reason)
    return Verification(count)


def verify(
    session: Session, batch: int = 5000, tap: Callable[[CaseEvent], None] | None = None
) -> Verification:
    """Walk the whole chain in id order, a batch at a time (memory stays flat on big desks);
    `tap` sees each event as it passes (deskapp.seal_check gathers the row seals)."""

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
            for row in rows:
                if tap is not None:
                    tap(row)
                yield row
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


# Every write transaction seals the rows it wrote (deskapp.seals registers its session
# listeners on import, and every writer comes through here).
from deskapp import seals as _seals  # noqa: E402, F401
