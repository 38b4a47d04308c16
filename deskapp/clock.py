"""The only place in the program that reads the time.

Every rule that depends on "now" (due times, countdowns, case numbers, audit stamps) asks this
module, so tests can freeze or move time and snapshot tests stay stable. All instants are aware
UTC `datetime`s; convert to a calendar's zone only for display or wall-clock rules.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_lock = threading.Lock()
_frozen: datetime | None = None
_offset = timedelta(0)


def now() -> datetime:
    """The current instant, in UTC, honouring a frozen or shifted clock."""
    with _lock:
        if _frozen is not None:
            return _frozen
        offset = _offset
    # A plain datetime, not pendulum's subclass: calendar arithmetic on it is several times
    # faster, and every caller compares and subtracts instants, nothing more. (Read without
    # pendulum, whose import `deskapp run` leaves until its sign-in screen is painted.)
    return datetime.now(UTC) + offset


def sleep(seconds: float) -> None:
    """Wait in real time (a retry's backoff); a frozen clock does not stop it."""
    if seconds > 0:
        time.sleep(seconds)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the clock only takes aware datetimes (with a UTC offset)")
    return moment.astimezone(UTC)


def freeze(moment: datetime) -> None:
    """Stop the clock at `moment` until `unfreeze()`; used by tests and demo recordings."""
    global _frozen
    with _lock:
        _frozen = _aware(moment)


def advance(delta: timedelta) -> None:
    """Move a frozen clock forward (or a running one, by shifting it)."""
    global _frozen, _offset
    with _lock:
        if _frozen is not None:
            _frozen = _frozen + delta
        else:
            _offset = _offset + delta


def unfreeze() -> None:
    global _frozen, _offset
    with _lock:
        _frozen = None
        _offset = timedelta(0)


def is_frozen() -> bool:
    with _lock:
        return _frozen is not None


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    freeze(moment)
    try:
        yield
    finally:
        unfreeze()


def freeze_from_env() -> None:
    """Honour DESKAPP_FROZEN_TIME (ISO 8601) so end-to-end and snapshot runs see a fixed time."""
    value = os.environ.get("DESKAPP_FROZEN_TIME")
    if value:
        import pendulum

        parsed = pendulum.parse(value)
        if not isinstance(parsed, pendulum.DateTime):
            raise ValueError(f"DESKAPP_FROZEN_TIME is not a date-time: {value!r}")
        freeze(datetime.fromisoformat(parsed.isoformat()))
