"""The monthly analysis (issue 11): a November with known cases, some across the month's edges
and one waiting on its customer at the end, and every figure checked against what was done."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from deskapp import clock
from deskapp.cases import Desk, IntakeForm
from deskapp.domain import Severity
from deskapp.report import Period, build, figures, parse_period, to_csv, to_markdown
from tests.conftest import six_promise_settings

SH = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int, minute: int = 0) -> None:
    clock.freeze(datetime(2026, month, day, hour, minute, tzinfo=SH))


def register(desk: Desk, phone: str, acknowledged: bool) -> str:
    form = IntakeForm(
        phone=phone,
        name="王小明",
        subject="洗衣机漏水",
        description="漏水",
        demand="换新",
        severity=Severity.C,
        override_reason="测试",
        acknowledged=acknowledged,
    )
    return desk.intake(desk.actor("agent"), form).number


def act(desk: Desk, login: str, number: str, action: str, **params: Any) -> None:
    desk.act(desk.actor(login), number, action, expected_version=None, **params)


def working(
    desk: Desk,
    staffed: dict[str, int],
    number: str,
    month: int,
    day: int,
    handler: str = "handler",
) -> None:
    """Accepted, dispatched to Quality, investigated (and so assigned to `handler`),
    contacted: at 10:01–10:04 that day."""
    at(month, day, 10, 1)
    act(desk, "agent", number, "accept")
    at(month, day, 10, 2)
    act(desk, "agent", number, "dispatch", department_id=staffed["dept:QA"], reason="品质")
    at(month, day, 10, 3)
    act(desk, handler, number, "start_investigation")
    at(month, day, 10, 4)
    act(desk, "handler", number, "record_contact", mode="phone", outcome="约好上门")
    act(
        desk,
        "handler",
        number,
        "record_root_cause",
        root_cause_category="manufacturing",
        whys=["密封圈老化"],
    )


def closed(
    desk: Desk, number: str, resolved: tuple[int, int], revisit: tuple[int, int], score: int
) -> None:
    at(*resolved, 10)
    act(desk, "handler", number, "resolve")
    at(*resolved, 10, 1)
    act(desk, "agent", number, "confirm")
    at(*resolved, 11)
    act(desk, "agent", number, "give_feedback", told_by="phone")
    at(*revisit, 10)
    act(
        desk, "agent2", number, "revisit", satisfaction=score, comment="太慢" if score < 3 else "好"
    )
    at(*revisit, 10, 1)
    act(desk, "agent", number, "close")


@pytest.fixture
def november(
    engine: Engine, staffed: dict[str, int], tmp_path: Path
) -> tuple[Desk, dict[str, str]]:
    desk = Desk(engine, settings=six_promise_settings(tmp_path))
    n: dict[str, str] = {}
    # A: registered in October, resolved, revisited (unhappy) and closed in November.
    at(10, 30, 10)
    n["A"] = register(desk, "13900000001", acknowledged=True)
    working(desk, staffed, n["A"], 10, 30)
    act(desk, "handler", n["A"], "propose_plan", remedy="换新", remedy_types=["replacement"])
    closed(desk, n["A"], (11, 2), (11, 3), 2)
    # B: the whole loop inside November, with compensation approved; Hana's case (the others
    # that reach Quality are Hal's).
    at(11, 3, 10)
    n["B"] = register(desk, "13900000002", acknowledged=True)
    working(desk, staffed, n["B"], 11, 3, handler="handler2")
    act(
        desk,
        "handler",
        n["B"],
        "propose_plan",
        remedy="换新并补偿",
        remedy_types=["replacement", "compensation"],
        compensation_amount="500",
    )
    act(desk, "handler", n["B"], "request_approval")
    act(desk, "manager", n["B"], "approve_compensation")
    closed(desk, n["B"], (11, 4), (11, 5), 5)
    # C: B's customer again, same category; apology late, escalated, unresolved at the end.
    at(11, 10, 10)
    n["C"] = register(desk, "13900000002", acknowledged=False)
    at(11, 10, 11, 30)  # the 1 h apology was due at 11:00
    act(desk, "agent", n["C"], "accept")
    at(11, 10, 11, 31)
    act(desk, "agent", n["C"], "dispatch", department_id=staffed["dept:QA"], reason="品质")
    act(desk, "handler", n["C"], "start_investigation")
    act(desk, "handler", n["C"], "record_contact", mode="phone", outcome="客户不满")
    at(11, 11, 10)
    act(desk, "agent", n["C"], "escalate", reason="客户要求经理回电")
    # E: rejected the day it came: its promises are cancelled, not broken.
    at(11, 20, 10)
    n["E"] = register(desk, "13900000005", acknowledged=True)
    at(11, 20, 10, 5)
    act(desk, "agent", n["E"], "reject", reason="非本公司产品")
    # F: waiting on the customer at the end of the month: its paused promises are undecided.
    at(11, 25, 10)
    n["F"] = register(desk, "13900000006", acknowledged=True)
    at(11, 25, 10, 1)
    act(desk, "agent", n["F"], "accept")
    act(desk, "agent", n["F"], "dispatch", department_id=staffed["dept:QA"], reason="品质")
    act(desk, "handler", n["F"], "start_investigation")
    at(11, 25, 10, 10)
    act(desk, "handler", n["F"], "pend_customer", reason="等客户照片")
    # D: half an hour before the month ends; all its promises fall due in December.
    at(11, 30, 23, 30)
    n["D"] = register(desk, "13900000004", acknowledged=False)
    at(12, 2, 10)
    return desk, n


def test_periods() -> None:
    assert parse_period("2026-11") == Period("2026-11", date(2026, 11, 1), date(2026, 12, 1))
    assert parse_period("2026-12").after == date(2027, 1, 1)
    assert parse_period("2026q4") == Period("2026Q4", date(2026, 10, 1), date(2027, 1, 1))
    assert parse_period("2027Q1").after == date(2027, 4, 1)
    for bad in ("2026-13", "2026", "Q4", "2026Q5"):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_every_figure_of_a_known_november(november: tuple[Desk, dict[str, str]]) -> None:
    desk, n = november
    f = figures(build(desk, parse_period("2026-11")))
    assert f["received"] == 5  # B C D E F; A came in October
    assert f["received_by_channel"] == {"phone": 5}
    assert f["received_by_department"] == {"品质部": 3, "": 2}
    assert f["received_by_severity"] == {"C": 5}
    assert f["received_per_day"] == {
        "2026-11-03": 1,
        "2026-11-10": 1,
        "2026-11-20": 1,
        "2026-11-25": 1,
        "2026-11-30": 1,
    }
    # Promises decided in November: A's resolution, feedback and revisit; all six of B's;
    # C's apology (late), dispatch, contact and resolution (due the 17th, not met: broken);
    # E's apology; F's apology and dispatch. F's paused ones and all of D's are undecided.
    assert f["on_time_by_milestone"] == {
        "acknowledge": [3, 4, 0.75],
        "dispatch": [3, 3, 1.0],
        "contact": [2, 2, 1.0],
        "resolve": [2, 3, pytest.approx(2 / 3)],
        "feedback": [2, 2, 1.0],
        "revisit": [2, 2, 1.0],
    }
    assert f["on_time_rate"] == pytest.approx(14 / 16)
    # Resolution: of B, C, D, F (E was rejected) only B was resolved by the month's end.
    assert f["resolved_of_received"] == [1, 4] and f["resolution_rate"] == 0.25
    assert f["average_hours_to_resolve"] == pytest.approx(48.0)  # A 72 h, B 24 h
    assert f["resolve_time_distribution"] == {
        "≤24 h": 1,
        "≤72 h": 1,
        "≤120 h": 0,
        "≤240 h": 0,
        ">240 h": 0,
    }
    assert f["satisfaction"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
    assert f["unsatisfied_comments"] == [[n["A"], 2, "太慢"]]
    assert f["repeat_rate"] == pytest.approx(1 / 5)  # C
    assert f["same_issue_again_rate"] == pytest.approx(1 / 5)  # C, the same category as B
    assert f["reopen_rate"] == 0.0  # none reopened of the two closed
    assert f["root_causes"] == [["manufacturing", 2, n["A"]]]
    assert f["remedies"] == {"replacement": 2, "compensation": 1}
    assert (f["compensation_total"], f["compensated_cases"]) == ("500.00", 1)
    assert f["broken_promises_by_department"] == {"品质部": 2}
    assert f["escalations_by_department"] == {"品质部": {"2": 1}}
    assert f["departments"]["品质部"] == {
        "resolved": 2,
        "on_time_rate": pytest.approx(13 / 15),
        "promises": 15,
        "average_satisfaction": 3.5,
        "revisit_rate": 1.0,
    }
    assert f["people"] == {
        # A (3 promises kept), C (2 of 4), F (2 of 2); A resolved and revisited.
        "Hal Handler": {
            "resolved": 1,
            "on_time_rate": pytest.approx(7 / 9),
            "promises": 9,
            "average_satisfaction": 2.0,
            "revisit_rate": 1.0,
        },
        "Hana Handler": {
            "resolved": 1,
            "on_time_rate": 1.0,
            "promises": 6,
            "average_satisfaction": 5.0,
            "revisit_rate": 1.0,
        },
    }


def test_one_department_and_the_quarter(
    november: tuple[Desk, dict[str, str]], staffed: dict[str, int]
) -> None:
    desk, _n = november
    qa = figures(build(desk, parse_period("2026-11"), staffed["dept:QA"]))
    assert qa["received"] == 3 and qa["department"] == "品质部"
    assert qa["on_time_by_milestone"]["acknowledge"] == [2, 3, pytest.approx(2 / 3)]
    quarter = figures(build(desk, parse_period("2026Q4")))
    assert quarter["received"] == 6  # A too
    # The quarter is not over: D's apology, due on 1 December and still not given, is broken.
    assert quarter["on_time_by_milestone"]["acknowledge"][:2] == [4, 6]


def test_markdown_csv_and_json_carry_the_same_numbers(
    november: tuple[Desk, dict[str, str]],
) -> None:
    desk, _n = november
    r = build(desk, parse_period("2026-11"))
    md = to_markdown(r)
    assert "| complaints received | 5 |" in md
    assert "| promises kept on time | 87.5 % (below the 98% target) |" in md
    assert "| resolution rate | 25.0 % (below the 90% target) |" in md
    assert "\x1b" not in md
    rows = to_csv(r).splitlines()
    assert "received,,5" in rows and "resolution_rate,,0.25" in rows
    assert r.compensation == Decimal("500.00")


def test_deskapp_report_writes_each_format(
    november: tuple[Desk, dict[str, str]], db_url: str, tmp_path: Any
) -> None:
    from deskapp.cli import main

    runner = CliRunner()
    out = tmp_path / "nov.json"
    done = runner.invoke(
        main,
        ["report", "--db", db_url, "--month", "2026-11", "--format", "json", "--output", str(out)],
    )
    assert done.exit_code == 0, done.output
    assert json.loads(out.read_text(encoding="utf-8"))["received"] == 5
    md = runner.invoke(main, ["report", "--db", db_url, "--month", "2026-11", "--dept", "qa"])
    assert md.exit_code == 0 and md.output.startswith("# Complaint analysis 2026-11 — 品质部")
    for args, said in (
        (["--month", "2026-11", "--quarter", "2026Q4"], "name one period"),
        (["--month", "2026-14"], "no month 14"),
        (["--month", "2027-01"], "has not begun yet"),
        (["--month", "2026-11", "--dept", "XX"], "no department 'XX'"),
    ):
        bad = runner.invoke(main, ["report", "--db", db_url, *args])
        assert bad.exit_code == 2 and said in bad.output, (args, bad.output)
