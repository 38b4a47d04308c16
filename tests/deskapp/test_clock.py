"""The one clock: frozen, moved and real time all come back as plain aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from deskapp import clock


def test_frozen_clock_stands_still_and_moves_on_request(frozen_clock: datetime) -> None:
    assert clock.now() == frozen_clock and clock.is_frozen()
    clock.advance(timedelta(minutes=5))
    assert clock.now() == frozen_clock + timedelta(minutes=5)


def test_freeze_takes_any_offset_and_refuses_naive() -> None:
    clock.freeze(datetime(2026, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=8))))
    assert clock.now() == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        clock.freeze(datetime(2026, 1, 1))


def test_real_clock_is_a_plain_utc_datetime() -> None:
    clock.unfreeze()
    now = clock.now()
    assert type(now) is datetime and now.tzinfo is UTC
    clock.advance(timedelta(days=1))  # a running clock shifts
    assert clock.now() - now > timedelta(hours=23)


def test_frozen_time_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    clock.unfreeze()
    monkeypatch.setenv("DESKAPP_FROZEN_TIME", "2026-11-23T10:00:00+08:00")
    clock.freeze_from_env()
    assert clock.now() == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
