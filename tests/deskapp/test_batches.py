"""Batch issues (issue 11): five complaints about one product, order batch, or category and
keyword within 24 hours open a batch issue; all of them are flagged, the executive and the
quality department's manager are told once, and later complaints join it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from deskapp import batches, clock
from deskapp.board import read_board
from deskapp.cases import Desk, IntakeForm
from deskapp.cases.batching import NOTICE
from deskapp.domain import Category
from store.engine import read_session
from store.models import BatchIssue, BatchMember, CaseEvent, Complaint, Notification, Staff


@pytest.fixture
def desk(engine: Engine, staffed: dict[str, int]) -> Desk:
    return Desk(engine)


def register(desk: Desk, n: int, **fields: Any) -> str:
    values: dict[str, Any] = {
        "phone": f"1370000{n:04d}",
        "name": f"客户{n}",
        "subject": f"投诉 {n}",
        "description": "说明",
        "demand": "处理",
    }
    values.update(fields)
    return desk.intake(desk.actor("agent"), IntakeForm(**values)).number


def flagged(desk: Desk) -> dict[str, bool]:
    with read_session(desk.engine) as s:
        rows = s.exec(select(Complaint.number, Complaint.flags)).all()
    return {n: "batch" in f.split() for n, f in rows}


def notices(desk: Desk) -> list[tuple[str, str]]:
    with read_session(desk.engine) as s:
        rows = s.exec(
            select(Staff.login, Notification.kind)
            .join(Staff, col(Staff.id) == col(Notification.recipient_id))
            .where(Notification.kind == NOTICE)
            .order_by(col(Notification.id))
        ).all()
    return [(str(a), str(b)) for a, b in rows]


def test_keys_say_what_complaints_share() -> None:
    assert batches.keys(
        product_ref=" wm 200 ",
        order_ref="so-2026-11-0042",
        category=Category.QUALITY,
        words=["漏水", "漏水", "异响"],
        order_batch_pattern=r"^(.+)-[0-9]+$",
    ) == ["product:WM 200", "order:SO-2026-11", "topic:quality:异响", "topic:quality:漏水"]
    # No product, no pattern, and "other" has no keywords worth grouping by.
    assert (
        batches.keys(product_ref="", order_ref="SO-1", category=Category.OTHER, words=["x"]) == []
    )


def test_five_complaints_on_one_product_open_a_batch_and_later_ones_join(
    desk: Desk, staffed: dict[str, int]
) -> None:
    numbers = []
    for n in range(4):
        numbers.append(register(desk, n, product_ref="WM-200"))
        clock.advance(timedelta(hours=5))
    assert not any(flagged(desk).values()) and notices(desk) == []
    numbers.append(register(desk, 4, product_ref="wm-200"))  # 20 h after the first
    assert all(flagged(desk)[n] for n in numbers)
    assert sorted(notices(desk)) == [("executive", NOTICE), ("manager", NOTICE)]
    with read_session(desk.engine) as s:
        [batch] = s.exec(select(BatchIssue)).all()
        assert (batch.key, batch.cases) == ("product:WM-200", 5)
        events = s.exec(select(CaseEvent.kind).where(col(CaseEvent.kind).like("batch%"))).all()
    assert sorted(events) == ["batch_joined"] * 4 + ["batch_opened"]
    # A sixth joins the open batch: flagged, nobody paged again.
    clock.advance(timedelta(hours=10))
    sixth = register(desk, 5, product_ref="WM-200")
    assert flagged(desk)[sixth] and len(notices(desk)) == 2
    with read_session(desk.engine) as s:
        assert s.exec(select(BatchIssue.cases)).all() == [6]
        assert len(s.exec(select(BatchMember)).all()) == 6
    view = read_board(desk, clock.now())
    assert view.batches[0][:2] == ("product:WM-200", 6)
    # A day after the last one the batch has closed: a lone complaint is just a complaint.
    clock.advance(timedelta(hours=25))
    late = register(desk, 6, product_ref="WM-200")
    assert not flagged(desk)[late]
    assert read_board(desk, clock.now()).batches == []


def test_complaints_spread_over_more_than_the_window_make_no_batch(desk: Desk) -> None:
    for n in range(6):
        register(desk, n, product_ref="WM-300")
        clock.advance(timedelta(hours=7))  # never five within 24 hours
    assert not any(flagged(desk).values())


def test_the_same_category_and_keyword_make_a_batch_too(desk: Desk) -> None:
    for n in range(5):
        register(desk, n, subject="洗衣机漏水", description="新买的洗衣机漏水")
    with read_session(desk.engine) as s:
        keys = s.exec(select(BatchIssue.key)).all()
    assert keys == ["topic:quality:漏水"]
    assert all(flagged(desk).values())


def test_an_order_batch_counts_when_the_desk_says_how_to_read_it(desk: Desk) -> None:
    desk.settings.order_batch_pattern = r"^(.+)-[0-9]+$"
    for n in range(5):
        register(desk, n, order_ref=f"SO-2026-11-{n:04d}")
    with read_session(desk.engine) as s:
        assert s.exec(select(BatchIssue.key)).all() == ["order:SO-2026-11"]


def test_one_cluster_is_one_batch_the_most_specific(desk: Desk) -> None:
    """Five complaints about one fan's noise share the product and the keyword: one batch
    (the product's), not two pages about the same cases. Five more about other fans' noise
    make the keyword's batch, which takes in all ten."""
    for n in range(5):
        register(desk, n, subject="风扇异响", product_ref="FAN-9")
    with read_session(desk.engine) as s:
        assert s.exec(select(BatchIssue.key, BatchIssue.cases)).all() == [("product:FAN-9", 5)]
    for n in range(5, 10):
        register(desk, n, subject="风扇异响", product_ref=f"FAN-{n + 10}")
    with read_session(desk.engine) as s:
        rows = sorted(s.exec(select(BatchIssue.key, BatchIssue.cases)).all())
    assert rows == [("product:FAN-9", 5), ("topic:quality:异响", 10)]
    assert len(notices(desk)) == 4  # two batches, each told to the executive and QA's manager
