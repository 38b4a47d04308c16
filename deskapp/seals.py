"""Row seals: the audit chain vouches for the rows as well as for the events.

The hash chain proves that no event was changed, removed or reordered, but the desk shows
rows: a complaint's compensation amount, a staff member's roles, a note. So every transaction
that writes one of the sealed tables ends with a `rows_sealed` event, linked into the chain
under the same head lock, that records for each row it wrote (read back from the database
just before the commit) a seal: a 128-bit digest of all the row's columns, and a 16-bit
fingerprint of each column. `deskapp audit verify` (deskapp.seal_check) then recomputes every
current row's seal and compares it with the latest one the chain holds: a row changed, added
or deleted by anything but the desk is reported, and the fingerprints name the column.

No use case has to remember any of this: a session listener notes every sealed row the ORM
flushes, and writers that insert through SQL Core say which rows they wrote (`touch`,
`touch_where`, `touch_range`). Rows that were there before sealing began are sealed once by
a baseline (`baseline`, run by `deskapp db upgrade`), itself an event.

The columns a digest covers are spelt out here per seal version rather than read from the
models, so that adding a column cannot silently change how older seals are checked; a test
holds the newest version to the models.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, SQLModel

from deskapp import audit

SEAL_EVENT = "rows_sealed"
BASELINE_EVENT = "rows_baseline"
SEAL_KINDS = (SEAL_EVENT, BASELINE_EVENT)
#: Rows per seal event: a bulk write (demo, import, baseline) is recorded in several events.
ROWS_PER_EVENT = 2000
VERSION = 2
#: What each version's digest covers, by table, in this order.
COLUMNS: dict[int, dict[str, tuple[str, ...]]] = {
    1: {
        "department": ("id", "code", "name", "name_en", "manager_id", "liaison_id", "active"),
        "staff": (
            "id",
            "login",
            "display_name",
            "roles",
            "department_id",
            "password_hash",
            "active",
            "compensation_limit",
            "failed_logins",
            "locked_until",
            "language",
        ),
        "customer": ("id", "name", "phone", "other_phones", "email", "tier", "created_at"),
        "complaint": (
            "id",
            "number",
            "channel",
            "customer_id",
            "subject",
            "description",
            "demand",
            "occurred_at",
            "place",
            "order_ref",
            "product_ref",
            "evidence",
            "category",
            "claim_type",
            "severity",
            "flags",
            "status",
            "is_open",
            "next_due_at",
            "next_kind",
            "next_calendar",
            "next_warn_at",
            "first_owner_id",
            "primary_dept_id",
            "assignee_id",
            "escalation_level",
            "reject_reason",
            "root_cause",
            "remedy",
            "remedy_types",
            "root_cause_category",
            "compensation_amount",
            "plan_proposed_by_id",
            "legal_cleared",
            "compensation_approved_by_id",
            "customer_confirmed_at",
            "satisfaction",
            "satisfaction_comment",
            "resume_status",
            "departments_left",
            "reopen_count",
            "version",
            "source",
            "external_id",
            "created_at",
            "updated_at",
            "updated_by_id",
        ),
        "milestone": (
            "id",
            "complaint_id",
            "kind",
            "budget_minutes",
            "calendar",
            "started_at",
            "due_at",
            "paused_at",
            "paused_seconds",
            "met_at",
            "cancelled",
            "provisional",
            "is_open",
        ),
        "note": ("id", "complaint_id", "author_id", "at", "body", "customer_facing"),
        "attachment": ("id", "complaint_id", "reference", "checksum", "note", "added_by_id", "at"),
        "complaint_assist": ("complaint_id", "department_id"),
    }
}
#: Version 2 (migration 0016): an attachment's file is described by its hash, size, media
#: type, name and storage.
COLUMNS[2] = {
    **COLUMNS[1],
    "attachment": (
        *COLUMNS[1]["attachment"],
        "sha256",
        "size",
        "media_type",
        "file_name",
        "storage",
    ),
}
#: Each sealed table's key columns: a row is named in a seal by their values joined with "/".
KEYS: dict[str, tuple[str, ...]] = {
    table: ("complaint_id", "department_id") if table == "complaint_assist" else ("id",)
    for table in COLUMNS[VERSION]
}
#: A deleted row's seal.
GONE = "-"

_TOUCHED = "deskapp.seals.touched"  # {table: set of key tuples}
_WHERE = "deskapp.seals.where"  # [(table, column, values)]
_RANGES = "deskapp.seals.ranges"  # [(table, column, low, high)]


# -- the seal of a row -----------------------------------------------------------------------


def _canonical(value: Any) -> bytes:
    """One byte string per value, the same for what a write read back and what verify reads;
    the type is part of it, so None, "", 0 and False all differ."""
    if value is None:
        return b"n"
    if value is True or value is False:
        return b"bT" if value else b"bF"
    if isinstance(value, int):
        return b"i" + str(value).encode()
    if isinstance(value, float):
        return b"f" + repr(value).encode()
    if isinstance(value, Decimal):
        return b"d" + format(value.normalize(), "f").encode()
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return b"t" + moment.astimezone(UTC).isoformat(timespec="microseconds").encode()
    return b"s" + str(value).encode("utf-8", "surrogatepass")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(table: str, values: Sequence[Any]) -> str:
    """`digest.fingerprints` of a row given its values in the version's column order."""
    canon = [_canonical(v) for v in values]
    digest = hashlib.sha256(table.encode())
    for item in canon:
        digest.update(len(item).to_bytes(4, "big"))
        digest.update(item)
    prints = b"".join((zlib.crc32(item) & 0xFFFF).to_bytes(2, "big") for item in canon)
    return f"{_b64(digest.digest()[:16])}.{_b64(prints)}"


def differing_columns(table: str, version: int, sealed: str, now: str) -> list[str] | None:
    """The columns whose fingerprints differ between two seals of a row, or None when the
    fingerprints cannot tell (a collision, or a seal without them)."""
    try:
        before = _unb64(sealed.split(".")[1])
        after = _unb64(now.split(".")[1])
    except (IndexError, ValueError):
        return None
    columns = COLUMNS[version][table]
    if len(before) != 2 * len(columns) or len(after) != len(before):
        return None
    changed = [
        c for i, c in enumerate(columns) if before[2 * i : 2 * i + 2] != after[2 * i : 2 * i + 2]
    ]
    return changed or None


def row_key(table: str, row: Mapping[str, Any]) -> str:
    return "/".join(str(row[c]) for c in KEYS[table])


def sql_table(name: str) -> sa.Table:
    return SQLModel.metadata.tables[name]


def read_rows(
    session: Session, table: str, where: Any, version: int = VERSION, *, stream: bool = True
) -> Iterator[Any]:
    """The rows of `table` matching `where`, with the version's columns, in key order;
    streamed (a server-side cursor on PostgreSQL) unless the caller reads a few."""
    t = sql_table(table)
    columns = [t.c[c] for c in COLUMNS[version][table]]
    order = [t.c[c] for c in KEYS[table]]
    query = sa.select(*columns).where(where).order_by(*order)
    if stream:
        query = query.execution_options(yield_per=2000)
    yield from session.connection().execute(query)


# -- noting what a transaction wrote ---------------------------------------------------------


def touch(session: Session, table: str, keys: Iterable[tuple[Any, ...] | int]) -> None:
    """Rows written by SQL Core rather than through the ORM, by key (an id or a key tuple)."""
    touched = session.info.setdefault(_TOUCHED, {}).setdefault(table, set())
    touched.update(k if isinstance(k, tuple) else (k,) for k in keys)


def touch_where(session: Session, table: str, column: str, values: Iterable[Any]) -> None:
    """Every row of `table` whose `column` is one of `values` (e.g. a case's milestones)."""
    session.info.setdefault(_WHERE, []).append((table, column, list(values)))


def touch_range(session: Session, table: str, column: str, low: Any, high: Any = None) -> None:
    """Every row of `table` whose `column` lies in [low, high] (no upper end when None): a bulk
    writer's new ids."""
    session.info.setdefault(_RANGES, []).append((table, column, low, high))


@event.listens_for(OrmSession, "after_flush")
def _note_flushed(session: OrmSession, _context: Any) -> None:
    # The session's state is still the one before the flush here (SQLAlchemy's promise for
    # after_flush); each of these properties builds a new set, so they are read once.
    written = [*session.new, *session.deleted]
    written += [o for o in session.dirty if session.is_modified(o, include_collections=False)]
    touched: dict[str, set[tuple[Any, ...]]] | None = None
    for obj in written:
        table = getattr(obj, "__tablename__", None)
        if table not in KEYS:
            continue
        if touched is None:
            touched = session.info.setdefault(_TOUCHED, {})
        touched.setdefault(table, set()).add(tuple(getattr(obj, c) for c in KEYS[table]))


@event.listens_for(OrmSession, "after_rollback")
def _forget(session: OrmSession) -> None:
    for name in (_TOUCHED, _WHERE, _RANGES, audit.LAST_ACTOR):
        session.info.pop(name, None)


@event.listens_for(OrmSession, "before_commit")
def _seal_before_commit(session: OrmSession) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # the commit would flush only after this hook: note those rows now
    seal_pending(cast(Session, session))  # the desk's sessions are SQLModel's


def seal_pending(session: Session) -> int:
    """Seal what the transaction has written so far; the seal events written. The commit does
    this by itself; a bulk writer calls it to count them."""
    if not any(session.info.get(name) for name in (_TOUCHED, _WHERE, _RANGES)):
        return 0
    session.flush()  # what is still pending is written (and noted) before it is read back
    touched = session.info.pop(_TOUCHED, {})
    where = session.info.pop(_WHERE, [])
    ranges = session.info.pop(_RANGES, [])
    actor = session.info.pop(audit.LAST_ACTOR, None)
    return _record(session, SEAL_EVENT, actor, _seals_of(session, touched, where, ranges))[1]


def _seals_of(
    session: Session,
    touched: Mapping[str, set[tuple[Any, ...]]],
    where: Sequence[tuple[str, str, list[Any]]],
    ranges: Sequence[tuple[str, str, Any, Any]],
) -> Iterator[tuple[str, str, str]]:
    """(table, key, seal) of every row noted, a deleted one sealed as GONE."""
    for table, keys in touched.items():
        t = sql_table(table)
        ordered = sorted(keys, key=lambda k: tuple(str(v) for v in k))
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            key_columns = [t.c[c] for c in KEYS[table]]
            if len(key_columns) == 1:
                condition = key_columns[0].in_([k[0] for k in chunk])
            else:
                condition = sa.tuple_(*key_columns).in_(chunk)
            found = set()
            for row in read_rows(session, table, condition, stream=False):
                mapping = row._mapping
                key = row_key(table, mapping)
                found.add(key)
                yield table, key, seal(table, row)
            for k in chunk:
                name = "/".join(str(v) for v in k)
                if name not in found:
                    yield table, name, GONE
    for table, column, values in where:
        t = sql_table(table)
        for start in range(0, len(values), 500):
            condition = t.c[column].in_(values[start : start + 500])
            for row in read_rows(session, table, condition):
                yield table, row_key(table, row._mapping), seal(table, row)
    for table, column, low, high in ranges:
        t = sql_table(table)
        span = t.c[column] >= low if high is None else t.c[column].between(low, high)
        for row in read_rows(session, table, span):
            yield table, row_key(table, row._mapping), seal(table, row)


def _record(
    session: Session, kind: str, actor: int | None, seals: Iterable[tuple[str, str, str]]
) -> tuple[int, int]:
    """Write the seals in events of at most ROWS_PER_EVENT rows: (rows sealed, events)."""
    batch: dict[str, dict[str, str]] = {}
    in_batch = 0
    total = 0
    parts = 0

    def flush_batch() -> None:
        nonlocal parts
        parts += 1  # a verifier tells one baseline of many events from two baselines by it
        payload = {"v": VERSION, "part": parts, "rows": batch}
        audit.append(session, kind=kind, actor_id=actor, payload=payload)

    for table, key, value in seals:
        batch.setdefault(table, {})[key] = value
        in_batch += 1
        total += 1
        if in_batch >= ROWS_PER_EVENT:
            flush_batch()
            batch, in_batch = {}, 0
    if batch or total == 0:  # a baseline of an empty desk is recorded too
        flush_batch()
    return total, parts


# -- sealing what was there before -----------------------------------------------------------


def baseline(session: Session, actor_id: int | None = None) -> int:
    """Seal every row of the sealed tables as it is now (`rows_baseline` events); how many.

    Run once, when sealing begins on a desk that already has rows (`deskapp db upgrade` does
    it): the desk cannot know whether those rows were changed before, so the baseline says
    only that they have not changed since. `deskapp audit verify` lists every baseline."""

    def everything() -> Iterator[tuple[str, str, str]]:
        for table in COLUMNS[VERSION]:
            for row in read_rows(session, table, sa.true()):
                yield table, row_key(table, row._mapping), seal(table, row)

    return _record(session, BASELINE_EVENT, actor_id, everything())[0]


def begin_sealing(session: Session) -> int | None:
    """The baseline, the first time only (`deskapp db upgrade` calls this after every
    upgrade): the rows it sealed, or None when sealing had begun already."""
    from store.models import DeskInfo

    info = session.get(DeskInfo, 1, with_for_update=True)
    if info is None or info.seals_began_event is not None:
        return None
    count = baseline(session)
    info.seals_began_event = audit.latest_event_id(session)
    session.add(info)
    return count
