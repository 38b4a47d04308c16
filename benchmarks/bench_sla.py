"""How fast due times are: every intake plans four milestones, and every pause moves them.

Starts are spread over 2026 up to the end of October so that budgets of up to 30 working days
(about six calendar weeks with National Day) still end inside 2026: the shipped chinesecalendar
has no 2027 data, and the office calendar refuses to guess it.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from deskapp.calendar_files import load_calendar

_FIRST = datetime(2026, 1, 1, tzinfo=UTC)
_SPAN_SECONDS = int((datetime(2026, 10, 31, tzinfo=UTC) - _FIRST).total_seconds())


def bench_due(n: int = 10_000) -> dict[str, float]:
    """`n` due computations on the office calendar after one warm-up call."""
    calendar = load_calendar("office")
    rng = random.Random(20261001)
    day = calendar.day_minutes
    cases = [
        (_FIRST + timedelta(seconds=rng.randrange(_SPAN_SECONDS)), rng.uniform(0, 30 * day))
        for _ in range(n)
    ]
    calendar.due(_FIRST, 30 * day)  # warm-up: builds the 2026 table once
    started = time.perf_counter()
    for start, minutes in cases:
        calendar.due(start, minutes)
    seconds = time.perf_counter() - started
    return {"due_per_second": n / seconds if seconds else float("inf"), "seconds": seconds}


if __name__ == "__main__":
    result = bench_due()
    print(f"due: {result['due_per_second']:,.0f}/s ({result['seconds']:.3f} s for 10,000)")
