"""F8, the monthly analysis on screen (issue 11): offered to those who read it, showing the same
figures as `deskapp report`, stepping months and switching to the quarter, saving Markdown."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Static

from deskapp import clock
from deskapp.cases import Desk, IntakeForm
from screens.report import ReportScreen, step_month, weekly_on_time
from tests.screens.conftest import MakeApp, plain, settle, sign_in, wait_until


def _month(desk: Desk) -> None:
    for n in range(3):
        desk.intake(
            desk.actor("agent"),
            IntakeForm(
                phone=f"1380000000{n}",
                name=f"王{n}",
                subject="洗衣机漏水",
                description="d",
                demand="x",
                acknowledged=n != 2,
            ),
        )
    clock.advance(timedelta(hours=2))  # the third case's apology is broken


async def test_the_report_shows_this_months_figures_and_steps_months(
    make_app: MakeApp, desk: Desk
) -> None:
    _month(desk)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "supervisor")
        await pilot.press("f8")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        await wait_until(pilot, lambda: screen.report is not None)
        assert screen.report is not None and screen.report.period.label == "2026-11"
        headline = plain(screen.query_one("#report-headline", Static))
        assert "3 complaints received" in headline
        assert "On time 66.7%" in headline and "target 98%" in headline
        title = plain(screen.query_one("#report-title", Static))
        assert title.startswith("Complaint analysis 2026-11")
        await pilot.press("left_square_bracket")
        await wait_until(pilot, lambda: screen.report is not None and screen.report.received == 0)
        assert screen.report is not None and screen.report.period.label == "2026-10"
        await pilot.press("right_square_bracket", "right_square_bracket")  # not past November
        await wait_until(pilot, lambda: screen.report is not None and screen.report.received == 3)
        assert screen.month.label == "2026-11"
        await pilot.press("q")
        await wait_until(
            pilot, lambda: screen.report is not None and screen.report.period.label == "2026Q4"
        )
        await pilot.press("s")
        await settle(pilot)
        saved = app.ctx.drafts.root.parent / "reports" / "complaints-2026Q4.md"
        assert saved.read_text(encoding="utf-8").startswith("# Complaint analysis 2026Q4")


async def test_f8_is_offered_only_to_those_who_read_the_analysis(
    make_app: MakeApp, desk: Desk
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "agent")
        assert app.check_action("report", ()) is False
        await pilot.press("f8")
        await settle(pilot)
        assert not isinstance(app.screen, ReportScreen)


def test_months_and_weeks() -> None:
    from deskapp.report import Rate, Report, parse_period

    assert step_month(parse_period("2026-12"), 1).label == "2027-01"
    assert step_month(parse_period("2026-01"), -1).label == "2025-12"
    r = Report(parse_period("2026-11"), "", 0.98, 0.9)
    r.on_time_per_day = {
        "2026-11-23": Rate(1, 2),
        "2026-11-24": Rate(3, 3),
        "2026-11-30": Rate(0, 1),
    }
    assert weekly_on_time(r) == [("11-23", 0.8), ("11-30", 0.0)]
