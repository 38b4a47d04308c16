"""Finding batch issues (批量问题) as complaints arrive, inside the intake's transaction.

Each complaint's keys (`deskapp.batches`) are recorded. When a key has been seen on at least
`batch_min_cases` complaints within the window, a batch issue opens: every one of them gets the
batch flag (an event on each), and the executives and the quality department's manager are told
once. A later complaint with the key joins the open batch while complaints keep coming within
the window of the last one; it is flagged, and nobody is paged again.

`find` runs before the intake's own event (so the new case is registered with its flag), and
`record` after it (so the batch's events follow the registration in the case's timeline).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from deskapp import audit, batches, ladder
from deskapp.cases.escalations import People, reach
from deskapp.config import Settings
from deskapp.domain import RiskFlag, Role, format_flags, parse_flags
from store.models import BatchIssue, BatchKey, BatchMember, Complaint, Department

#: The event on a case that a batch issue took in (its flags gain "batch").
JOINED = "batch_joined"
#: The event on the case whose arrival opened a batch issue; its notices name it.
OPENED = "batch_opened"
#: The notice to the executives and the quality department's manager.
NOTICE = "batch_notice"


@dataclass
class Found:
    """What the new case's keys did: batches opened (with the other cases they take in) and
    batches joined."""

    opened: list[tuple[BatchIssue, list[int]]] = field(default_factory=list)
    joined: list[BatchIssue] = field(default_factory=list)


def find(s: Session, c: Complaint, keys: list[str], settings: Settings, now: datetime) -> Found:
    """Record the case's keys and work out the batches they open or join; the case itself is
    flagged here (its registration event then carries the flag)."""
    assert c.id is not None
    found = Found()
    if not keys:
        return found
    since = now - timedelta(hours=settings.batch_window_hours)
    for key in keys:
        s.add(BatchKey(key=key, complaint_id=c.id, at=now))
    s.flush()
    covered: set[int] = set()  # the cases of the batches this complaint opened or joined
    for key in keys:  # most specific first: product, order batch, then category and keyword
        batch = s.exec(
            select(BatchIssue)
            .where(BatchIssue.key == key, col(BatchIssue.last_at) >= since)
            .order_by(col(BatchIssue.id).desc())
            .with_for_update()
        ).first()
        if batch is not None:
            _add(s, batch, [c.id], now)
            found.joined.append(batch)
            covered |= _members(s, batch)
            continue
        ids = sorted(
            set(
                s.exec(
                    select(BatchKey.complaint_id).where(
                        BatchKey.key == key, col(BatchKey.at) >= since
                    )
                ).all()
            )
        )
        if len(ids) < settings.batch_min_cases or set(ids) <= covered:
            continue  # too few, or the same cases a more specific key already gathered
        batch = BatchIssue(key=key, opened_at=now, last_at=now, cases=0)
        s.add(batch)
        s.flush()
        _add(s, batch, ids, now)
        found.opened.append((batch, [i for i in ids if i != c.id]))
        covered |= set(ids)
    if found.opened or found.joined:
        c.flags = format_flags(parse_flags(c.flags) | {RiskFlag.BATCH})
        s.add(c)
    return found


def _members(s: Session, batch: BatchIssue) -> set[int]:
    return set(
        s.exec(select(BatchMember.complaint_id).where(BatchMember.batch_id == batch.id)).all()
    )


def _add(s: Session, batch: BatchIssue, ids: list[int], now: datetime) -> None:
    """Take these cases into the batch (those not in it yet), one key lookup each: a batch
    of thousands is not read back for every complaint that joins it."""
    assert batch.id is not None
    new = [i for i in ids if s.get(BatchMember, (batch.id, i)) is None]
    for ident in new:
        s.add(BatchMember(batch_id=batch.id, complaint_id=ident))
    batch.cases += len(new)
    batch.last_at = now
    s.add(batch)


def record(
    s: Session, c: Complaint, found: Found, settings: Settings, actor_id: int, now: datetime
) -> None:
    """After the registration: flag the other cases a new batch took in (an event on each),
    and tell the executives and the quality department's manager of each new batch, once."""
    assert c.id is not None
    if not found.opened:
        return
    people = People(s)
    quality = s.exec(select(Department).where(Department.code == settings.quality_department))
    dept = quality.first()
    audience = people.with_role(Role.EXECUTIVE) + people.manager_of(
        dept.id if dept is not None else None
    )
    for batch, others in found.opened:
        assert batch.id is not None
        for ident in others:
            _flag(s, ident, batch, now)
        kind, what = batches.describe(batch.key)
        event = audit.append(
            s,
            kind=OPENED,
            actor_id=actor_id,
            complaint_id=c.id,
            payload={"batch": batch.id, "key": batch.key, "kind": kind, "what": what,
                     "cases": batch.cases, "notified": sorted(set(audience))},
            at=now,
        )  # fmt: skip
        batch.event_id = event.id
        s.add(batch)
        reach(
            s,
            c,
            key=f"b{batch.id}:opened",
            rung=ladder.Rung(0, now, "batch"),
            recipients=audience,
            now=now,
            actor_id=None,
            kind=NOTICE,
            event=event,
        )


def _flag(s: Session, ident: int, batch: BatchIssue, now: datetime) -> None:
    """The batch flag on a case the batch took in: a new version of the case (someone editing
    it is told, not overwritten), not a step anyone took (its `updated_at` stays)."""
    other = s.exec(select(Complaint).where(Complaint.id == ident).with_for_update()).one()
    before = other.flags
    after = format_flags(parse_flags(before) | {RiskFlag.BATCH})
    other.version += 1
    other.flags = after
    s.add(other)
    audit.append(
        s,
        kind=JOINED,
        actor_id=None,
        complaint_id=ident,
        payload={
            "version": other.version,
            "batch": batch.id,
            "key": batch.key,
            "cases": batch.cases,
            **({"changes": {"flags": [before, after]}} if before != after else {}),
        },
        at=now,
    )
