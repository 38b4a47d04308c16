"""Case numbers TS-YYYYMMDD-NNNN.

The per-day counter is bumped with one atomic upsert inside the intake transaction, so numbers
are unique across processes and hosts without a lock table: SQLite serialises writers and
PostgreSQL locks the counter row until the intake commits. A rolled-back intake gives its number
back, so the sequence has no gaps from failed saves.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from store.models import DaySequence

PREFIX = "TS"


def could_be_number(text: str) -> bool:
    """Whether a case could have this number: lookups answer "no such case" for anything else
    without asking the database (PostgreSQL refuses text holding NUL; the column holds 24)."""
    return "\x00" not in text and len(text) <= 24


def day_key(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y%m%d")


def format_number(day: str, sequence: int) -> str:
    return f"{PREFIX}-{day}-{sequence:04d}"


def allocate(session: Session, moment: datetime, tz: ZoneInfo) -> str:
    day = day_key(moment, tz)
    table = DaySequence.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = (
        insert(table)
        .values(day=day, last=1)
        .on_conflict_do_update(index_elements=[table.c.day], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    sequence = session.execute(upsert).scalar_one()
    return format_number(day, int(sequence))
