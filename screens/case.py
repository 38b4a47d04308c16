"""A case, read-only: facts, the service-level milestones with their state, and the timeline.

The full case screen with actions arrives with the handling-loop issue; this one is where
"open the case" after intake and `enter` in the queue land until then. Every piece of customer
text is shown as plain text.
"""

from __future__ import annotations

import json
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from deskapp import clock, sla
from deskapp.context import DeskContext
from deskapp.domain import MilestoneKind, MilestoneState, Severity, Status
from deskapp.errors import NotFound
from deskapp.i18n import enum_label, field_label
from screens.base import DeskScreen
from store.models import CaseEvent, Complaint, Milestone

STATE_STYLE = {
    MilestoneState.ON_TRACK: "green",
    MilestoneState.AT_RISK: "bold yellow",
    MilestoneState.BREACHED: "bold red",
    MilestoneState.MET: "dim",
    MilestoneState.PAUSED: "cyan",
    MilestoneState.CANCELLED: "dim strike",
}


class CaseScreen(DeskScreen):
    DEFAULT_CSS = """
    CaseScreen #case-body { padding: 0 1; }
    CaseScreen .case-section { text-style: bold; color: $accent; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="case.back"),
    ]

    def __init__(self, ctx: DeskContext, number: str) -> None:
        super().__init__(ctx)
        self.number = number

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        with VerticalScroll(id="case-body"):
            yield Static(Text(self.ctx.t("common.loading")), id="case-facts")
            yield Static(Text(self.ctx.t("case.milestones")), classes="case-section")
            yield Static(Text(""), id="case-milestones")
            yield Static(Text(self.ctx.t("case.timeline")), classes="case-section")
            yield Static(Text(""), id="case-timeline")

    def on_mount(self) -> None:
        super().on_mount()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def load(self) -> None:
        try:
            found = self.ctx.desk.case(self.number)
        except NotFound:
            self.app.call_from_thread(
                self.query_one("#case-facts", Static).update,
                Text(self.ctx.t("case.not_found", number=self.number)),
            )
            return
        self.app.call_from_thread(self._show, *found)

    def _show(self, c: Complaint, milestones: list[Milestone], events: list[CaseEvent]) -> None:
        t, lang = self.ctx.t, self.ctx.lang
        tz = self.ctx.desk.settings.tz
        facts = Table(box=None, show_header=False, padding=(0, 1, 0, 0), expand=True)
        facts.add_column(style="bold", no_wrap=True)
        facts.add_column(ratio=1)
        title = Text(t("case.title", number=c.number), style="bold")
        title.append(f"  {enum_label(Status(c.status), lang)}  ")
        title.append(enum_label(Severity(c.severity), lang), style="bold")
        for name in ("subject", "description", "demand", "place", "order_ref", "product_ref"):
            value = getattr(c, name)
            if value:
                facts.add_row(Text(field_label(name, lang)), Text(value))
        self.query_one("#case-facts", Static).update(Group(title, facts))

        now = clock.now()
        desk = self.ctx.desk
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
        for m in milestones:
            standing = sla.standing(m, now, desk.calendars, desk.policy.warn_fraction)
            when = (
                t("case.met", time=m.met_at.astimezone(tz).strftime("%m-%d %H:%M"))
                if m.met_at
                else t("case.due", time=m.due_at.astimezone(tz).strftime("%m-%d %H:%M"))
            )
            table.add_row(
                enum_label(MilestoneKind(m.kind), lang),
                Text(enum_label(standing.state, lang), style=STATE_STYLE[standing.state]),
                when,
            )
        self.query_one("#case-milestones", Static).update(table)

        timeline = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
        for event in events:
            payload = json.loads(event.payload)
            detail = payload.get("reason") or ", ".join(sorted(payload.get("changes", {})))
            timeline.add_row(
                event.at.astimezone(tz).strftime("%m-%d %H:%M"), event.kind, Text(str(detail))
            )
        self.query_one("#case-timeline", Static).update(timeline)

    def action_back(self) -> None:
        self.app.pop_screen()
