"""The header's counts: my open cases, and how many are at risk or breached, judged by the head
promise exactly as the queue shows it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col

from deskapp import clock
from deskapp.overview import MyCounts, my_counts
from store.engine import write_session
from store.models import Complaint
from tests.store.test_queue import register, set_cases


def test_counts_follow_the_head_promise_of_my_cases(
    engine: Engine, staffed: dict[str, int]
) -> None:
    ids = register(engine, staffed, 8)  # even: the agent's, odd: agent2's
    now = clock.now()
    me, other = staffed["agent"], staffed["agent2"]
    mine = ids[0::2]
    due = {
        mine[0]: now - timedelta(minutes=5),  # breached
        mine[1]: now + timedelta(minutes=5),  # at risk (warned 10 minutes before due)
        mine[2]: now + timedelta(hours=5),  # on track
        mine[3]: now - timedelta(hours=1),  # breached, but waiting on the customer
        ids[1]: now - timedelta(minutes=1),  # agent2's, breached, assigned to me
        ids[3]: now - timedelta(minutes=1),  # agent2's alone: not mine
        ids[7]: now + timedelta(days=2),
    }
    set_cases(engine, due, assignee={ids[1]: me}, closed=[ids[5]])
    with write_session(engine) as s:
        for case_id, when in due.items():
            warn = when - timedelta(minutes=10)
            s.exec(update(Complaint).where(col(Complaint.id) == case_id).values(next_warn_at=warn))
        s.exec(
            update(Complaint).where(col(Complaint.id) == mine[3]).values(status="pending_customer")
        )
    assert my_counts(engine, me, now) == MyCounts(open=5, at_risk=1, breached=2)
    # agent2 has ids 1, 3, 7 open (5 is closed); 1 and 3 are breached.
    assert my_counts(engine, other, now) == MyCounts(open=3, at_risk=0, breached=2)
    later = now + timedelta(minutes=6)  # the at-risk one breaches
    assert my_counts(engine, me, later) == MyCounts(open=5, at_risk=0, breached=3)
