"""F8 (supervisors, managers, executives): the monthly analysis on screen.

The figures are `deskapp.report`'s, the same as `deskapp report` prints: the headline against
the targets (on time ≥ 98 %, resolved ≥ 90 %), then charts (complaints per day, the on-time
rate per week against its target line, the satisfaction scores) and the tables that matter
most at a glance. `[` and `]` step a month back and forth, `q` switches between the month and
its quarter, `s` saves the Markdown report beside the drafts (its path is said).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static
from textual_plotext import PlotextPlot

from deskapp import clock
from deskapp.context import DeskContext
from deskapp.domain import Role
from deskapp.report import Period, Report, build, parse_period, to_markdown
from screens.base import DeskScreen
from widgets.prose import safe_line

#: Who reads the analysis (the F8 key is hidden from everyone else).
REPORT_ROLES = frozenset({Role.SUPERVISOR, Role.DEPT_MANAGER, Role.EXECUTIVE, Role.ADMIN})


def month_of(day: date) -> Period:
    return parse_period(f"{day.year}-{day.month:02d}")


def step_month(period: Period, months: int) -> Period:
    year, month = period.first.year, period.first.month + months
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return parse_period(f"{year}-{month:02d}")


def quarter_of(period: Period) -> Period:
    return parse_period(f"{period.first.year}Q{(period.first.month - 1) // 3 + 1}")


def weekly_on_time(r: Report) -> list[tuple[str, float]]:
    """The on-time rate per week of the period (weeks starting Monday), from the per-day
    outcomes the report keeps."""
    weeks: dict[date, list[int]] = {}
    for day, rate in sorted(r.on_time_per_day.items()):
        d = date.fromisoformat(day)
        monday = d - timedelta(days=d.weekday())
        pair = weeks.setdefault(monday, [0, 0])
        pair[0] += rate.good
        pair[1] += rate.total
    return [(m.strftime("%m-%d"), g / t) for m, (g, t) in sorted(weeks.items()) if t]


def _days(r: Report, today: date) -> list[str]:
    """Every day of the period up to today, so that quiet days show as gaps."""
    last = min(r.period.after - timedelta(days=1), today)
    count = max(0, (last - r.period.first).days + 1)
    return [(r.period.first + timedelta(days=n)).isoformat() for n in range(count)]


class ReportScreen(DeskScreen):
    DEFAULT_CSS = """
    ReportScreen #report-title { height: 1; padding: 0 1; background: $boost; }
    ReportScreen #report-body { height: 1fr; scrollbar-gutter: stable; }
    ReportScreen #report-headline { height: auto; padding: 0 1; }
    ReportScreen .charts { height: 14; }
    ReportScreen PlotextPlot { width: 1fr; height: 14; }
    ReportScreen #report-tables { height: auto; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left_square_bracket", "previous_month", "Month back", id="report.back_month"),
        Binding("right_square_bracket", "next_month", "Month on", id="report.next_month"),
        Binding("q", "quarter", "Quarter", id="report.quarter"),
        Binding("s", "save", "Save", id="report.save"),
        Binding("escape", "back", "Back", id="report.back"),
    ]

    def __init__(self, ctx: DeskContext, period: Period | None = None) -> None:
        super().__init__(ctx)
        today = clock.now().astimezone(ctx.desk.settings.tz).date()
        self.month = period or month_of(today)
        self.quarterly = False
        self.report: Report | None = None

    @property
    def period(self) -> Period:
        return quarter_of(self.month) if self.quarterly else self.month

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static("", id="report-title", markup=False)
        with VerticalScroll(id="report-body"):
            yield Static("", id="report-headline", markup=False)
            with Horizontal(classes="charts"):
                yield PlotextPlot(id="chart-volume")
                yield PlotextPlot(id="chart-on-time")
            with Horizontal(classes="charts"):
                yield PlotextPlot(id="chart-satisfaction")
            yield Static("", id="report-tables", markup=False)

    def on_mount(self) -> None:
        self.query_one("#report-body").focus()
        self.load()

    def _title(self, status: str = "") -> None:
        t = self.ctx.t
        text = t("report.title", period=self.period.label)
        self.query_one("#report-title", Static).update(safe_line(f"{text}  {status}".strip()))

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def load(self) -> None:
        self.app.call_from_thread(self._title, self.ctx.t("report.working"))
        r = build(self.ctx.desk, self.period)
        self.app.call_from_thread(self._show, r)

    def _show(self, r: Report) -> None:
        self.report = r
        self._title()
        self.query_one("#report-headline", Static).update(self._headline(r))
        self._charts(r)
        self.query_one("#report-tables", Static).update(self._tables(r))

    def _headline(self, r: Report) -> Text:
        t = self.ctx.t
        text = Text()
        text.append(t("report.received", count=r.received) + "\n", style="bold")
        for label, rate, target in (
            (t("report.on_time"), r.on_time_all.value, r.on_time_target),
            (t("report.resolved"), r.resolution.value, r.resolution_target),
        ):
            shown = "—" if rate is None else f"{rate:.1%}"
            text.append(f"{label} {shown}", style="bold")
            good = rate is not None and rate >= target
            text.append(
                "  " + t("report.target", target=f"{target:.0%}"),
                style="green" if good else "bold red",
            )
            text.append("\n")
        return text

    def _charts(self, r: Report) -> None:
        t = self.ctx.t
        chart = self.query_one("#chart-volume", PlotextPlot)
        volume = chart.plt
        volume.clear_data()
        volume.clear_figure()
        # Numbers on the axes, names as ticks: plotext reads "11-23" as a malformed date.
        days = _days(r, clock.now().astimezone(self.ctx.desk.settings.tz).date())
        volume.bar(list(range(len(days))), [r.per_day.get(d, 0) for d in days])
        # Few enough labels that none overlap: plotext drops overlapping ones in an order that
        # changes from run to run.
        room = max(2, ((chart.size.width or 40) - 10) // 9)
        step = max(1, -(-len(days) // room))
        volume.xticks([float(x) for x in range(0, len(days), step)], [d[5:] for d in days][::step])
        volume.title(t("report.chart_volume"))
        weekly = weekly_on_time(r)
        on_time = self.query_one("#chart-on-time", PlotextPlot).plt
        on_time.clear_data()
        on_time.clear_figure()
        if weekly:
            xs = [float(x) for x in range(len(weekly))]
            on_time.plot(xs, [v * 100 for _, v in weekly], marker="dot")
            on_time.plot(xs, [r.on_time_target * 100] * len(xs), marker="dot")
            on_time.xticks(xs, [w for w, _ in weekly])
            on_time.ylim(0, 100)
        on_time.title(t("report.chart_on_time", target=f"{r.on_time_target:.0%}"))
        scores = self.query_one("#chart-satisfaction", PlotextPlot).plt
        scores.clear_data()
        scores.clear_figure()
        counts = [r.satisfaction.get(k, 0) for k in range(1, 6)]
        scores.bar(list(range(1, 6)), counts)
        scores.ylim(0, max(1, *counts))
        scores.title(t("report.chart_satisfaction"))
        for plot in self.query(PlotextPlot):
            plot.refresh()

    def _tables(self, r: Report) -> Table:
        t = self.ctx.t
        table = Table(title=t("report.per_milestone"), expand=False, title_justify="left")
        table.add_column(t("report.milestone"))
        table.add_column(t("report.kept"), justify="right")
        table.add_column(t("report.decided"), justify="right")
        table.add_column(t("report.rate"), justify="right")
        for kind, rate in r.on_time.items():
            value = rate.value
            shown = "—" if value is None else f"{value:.1%}"
            style = "" if value is None or value >= r.on_time_target else "red"
            table.add_row(
                t(f"queue.step.{kind}"), str(rate.good), str(rate.total), Text(shown, style=style)
            )
        return table

    def action_previous_month(self) -> None:
        self.month = step_month(self.month, -1)
        self.load()

    def action_next_month(self) -> None:
        """Up to the month in progress, not past it."""
        today = clock.now().astimezone(self.ctx.desk.settings.tz).date()
        later = step_month(self.month, 1)
        if later.first <= today:
            self.month = later
            self.load()

    def action_quarter(self) -> None:
        self.quarterly = not self.quarterly
        self.load()

    def action_save(self) -> None:
        if self.report is None:
            return
        folder = self.ctx.drafts.root.parent / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"complaints-{self.report.period.label}.md"
        path.write_text(to_markdown(self.report), encoding="utf-8")
        self.notify(self.ctx.t("report.saved", path=str(path)))

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
