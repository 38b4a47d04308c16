"""The demo's rows as the database driver takes them.

The rows go to the driver's executemany directly: SQLAlchemy's typed executemany spends about
three times the driver's own time on per-row parameter processing, which at 100,000 cases is
most of the demo's run. So the column orders are spelt out here (and checked against the
tables), and each value is converted once, as SQLAlchemy would convert it for this dialect.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from deskapp import audit
from deskapp.seals import sql_table

#: A complaint row's columns before anything has happened to it. Rows written in bulk (the demo,
#: an import) skip the model's defaults, so both writers start from this one dictionary.
UNTOUCHED_COMPLAINT: dict[str, Any] = {
    "primary_dept_id": None,
    "assignee_id": None,
    "escalation_level": 0,
    "reject_reason": "",
    "root_cause": "",
    "remedy": "",
    "remedy_types": "",
    "root_cause_category": "",
    "compensation_amount": None,
    "plan_proposed_by_id": None,
    "legal_cleared": False,
    "compensation_approved_by_id": None,
    "customer_confirmed_at": None,
    "satisfaction": None,
    "satisfaction_comment": "",
    "resume_status": "",
    "departments_left": "",
    "reopen_count": 0,
    "version": 1,
}


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Column orders of the rows the demo writes; `Values` checks them against the tables, so a
# schema change stops the demo with a message instead of writing shifted columns.
COLUMNS: dict[str, tuple[str, ...]] = {
    "customer": _words("id name phone other_phones email tier created_at"),
    "complaint": _words(
        "id number channel customer_id subject description demand occurred_at place "
        "order_ref product_ref evidence category claim_type severity flags status is_open "
        "next_due_at next_kind next_calendar next_warn_at first_owner_id primary_dept_id "
        "assignee_id escalation_level "
        "reject_reason root_cause remedy remedy_types root_cause_category "
        "compensation_amount plan_proposed_by_id "
        "legal_cleared compensation_approved_by_id customer_confirmed_at satisfaction "
        "satisfaction_comment resume_status departments_left reopen_count version "
        "source external_id "
        "created_at updated_at updated_by_id"
    ),
    "milestone": _words(
        "id complaint_id kind budget_minutes calendar started_at due_at paused_at "
        "paused_seconds met_at cancelled is_open provisional"
    ),
    "complaint_assist": _words("complaint_id department_id"),
    "note": _words("id complaint_id author_id at body customer_facing"),
    "case_event": _words("id complaint_id actor_id at kind payload prev_hash hash"),
}
#: Insert order: parents before children (foreign keys are checked row by row).
TABLES = tuple(COLUMNS)
COMPLAINT_INSTANTS = (
    "occurred_at",
    "next_due_at",
    "next_warn_at",
    "customer_confirmed_at",
    "created_at",
    "updated_at",
)
complaint_values = operator.itemgetter(*COLUMNS["complaint"])


# -- values as the database takes them --------------------------------------------------------

_SAMPLE_INSTANTS = (
    datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(2026, 11, 23, 23, 59, 59, 999999, tzinfo=UTC),
)


class Values:
    """Column values converted as SQLAlchemy would convert them for this dialect, decided once.

    Instants are nearly half of all values; their fast form is used only after it matched
    `store.types.UTCDateTime`'s own processor on sample values.
    """

    def __init__(self, dialect: Dialect) -> None:
        for name, columns in COLUMNS.items():
            actual = set(sql_table(name).columns.keys())
            if set(columns) != actual:
                raise RuntimeError(
                    f"deskapp.demo writes {name} columns {sorted(set(columns) ^ actual)} that "
                    "the table does not match; update COLUMNS in deskapp/demo/rows.py"
                )
        complaint = sql_table("complaint")
        instant = _bind_processor(complaint.c.created_at, dialect)
        self._iso: dict[datetime, str] = {}
        self._days: dict[int, str] = {}
        self._seconds = _seconds_of_day()
        # The table-built text is trusted only where it matches the audit's own.
        self._tables = True
        self._tables = all(self.iso(v) == audit.instant_text(v) for v in _SAMPLE_INSTANTS[:1])
        self._iso.clear()
        fast: Callable[[datetime], Any] | None = None
        if dialect.name == "sqlite":
            fast = self._sqlite_instant
        elif dialect.name == "postgresql":
            fast = _naive_utc
        if instant is None:
            self._convert: Callable[[datetime], Any] = _identity
        elif fast is not None and all(fast(v) == instant(v) for v in _SAMPLE_INSTANTS):
            self._convert = fast
        else:
            self._convert = instant
        amount = _bind_processor(complaint.c.compensation_amount, dialect)
        self.amount: Callable[[Decimal], Any] = amount or _identity
        boolean = _bind_processor(complaint.c.is_open, dialect) or _identity
        self.true, self.false = boolean(True), boolean(False)
        self._memo: dict[datetime, Any] = {}
        quote = dialect.identifier_preparer.quote
        if dialect.paramstyle == "qmark":
            marker = "?"
        elif dialect.paramstyle in ("format", "pyformat"):
            marker = "%s"
        else:
            raise RuntimeError(f"deskapp.demo: unsupported DB-API paramstyle {dialect.paramstyle}")
        self.sql = {
            name: "INSERT INTO {} ({}) VALUES ({})".format(
                quote(name),
                ", ".join(quote(c) for c in columns),
                ", ".join([marker] * len(columns)),
            )
            for name, columns in COLUMNS.items()
        }

    def iso(self, value: datetime) -> str:
        """The instant as `deskapp.audit` hashes it (`audit.instant_text` of the UTC instant).

        Demo instants are whole seconds, so the text is put together from a per-day and a
        per-second-of-day table: `isoformat` costs more than everything else about an event's
        time, and the demo formats over a million of them.
        """
        text = self._iso.get(value)
        if text is None:
            if value.tzinfo is UTC and not value.microsecond and self._tables:
                day, second = divmod(int(value.timestamp()), 86400)
                date = self._days.get(day)
                if date is None:
                    date = self._days[day] = value.date().isoformat()
                text = f"{date}T{self._seconds[second]}.000000+00:00"
            else:
                text = audit.instant_text(value.astimezone(UTC))
            self._iso[value] = text
        return text

    def _sqlite_instant(self, value: datetime) -> str:
        # SQLAlchemy's SQLite DATETIME text of the naive UTC instant, "YYYY-MM-DD HH:MM:SS.ffffff",
        # cut from the ISO text the event hash needs anyway.
        iso = self.iso(value)
        return f"{iso[:10]} {iso[11:26]}"

    def instant(self, value: datetime | None) -> Any:
        """Instants repeat within a case (an action's time is also a met_at, an updated_at…),
        so each is converted once per batch."""
        if value is None:
            return None
        stored = self._memo.get(value)
        if stored is None:
            stored = self._memo[value] = self._convert(value)
        return stored

    def boolean(self, value: bool) -> Any:
        return self.true if value else self.false

    def forget(self) -> None:
        self._memo.clear()
        self._iso.clear()


def _bind_processor(column: sa.Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy does to this column's values before the driver sees them."""
    return column.type.dialect_impl(dialect).bind_processor(dialect)


@cache
def _seconds_of_day() -> tuple[str, ...]:
    return tuple(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400))


def _identity(value: Any) -> Any:
    return value


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)
