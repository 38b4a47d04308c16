"""Case numbers are unique across processes: 8 processes × 100 intakes at once, per backend."""

from __future__ import annotations

import multiprocessing
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from deskapp.numbering import day_key, format_number
from store.engine import read_session
from store.models import Complaint, DaySequence

PROCESSES, EACH = 8, 100


def _intake_worker(args: tuple[str, int, int]) -> list[str]:
    url, worker, count = args
    from deskapp.cases import Desk, IntakeForm
    from store.engine import make_engine

    desk = Desk(make_engine(url))
    agent = desk.actor("agent")
    numbers = []
    for i in range(count):
        result = desk.intake(
            agent,
            IntakeForm(
                phone=f"139{worker:02d}{i:06d}",
                name=f"Customer {worker}-{i}",
                subject="Parallel intake",
                description="Registered from one of several desks at once.",
                demand="A unique number",
            ),
        )
        numbers.append(result.number)
    return numbers


def test_format() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    # 23:30 UTC on the 22nd is already the 23rd in Shanghai: the desk's date counts.
    assert day_key(datetime(2026, 11, 22, 23, 30, tzinfo=UTC), shanghai) == "20261123"
    assert format_number("20261123", 7) == "TS-20261123-0007"
    assert format_number("20261123", 12345) == "TS-20261123-12345"


@pytest.mark.slow
def test_parallel_intakes_get_distinct_numbers(
    db_url: str, engine: Engine, staffed: dict[str, int]
) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        batches = pool.map(_intake_worker, [(db_url, w, EACH) for w in range(PROCESSES)])
    numbers = [n for batch in batches for n in batch]
    assert len(numbers) == PROCESSES * EACH
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"TS-\d{8}-\d{4}", n) for n in numbers)
    with read_session(engine) as s:
        stored = s.exec(select(Complaint.number)).all()
        days = s.exec(select(DaySequence)).all()
    assert sorted(stored) == sorted(numbers)
    # Per day the sequence is dense: 1..N with no gaps and no duplicates.
    for day in days:
        todays = sorted(int(n.rsplit("-", 1)[1]) for n in numbers if n[3:11] == day.day)
        assert todays == list(range(1, day.last + 1))
