"""The start screen after sign-in until the live queue lands: what the desk holds right now."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import Static

from deskapp.domain import Status
from deskapp.i18n import enum_label
from screens.base import DeskScreen
from store.engine import describe


class HomeScreen(DeskScreen):
    DEFAULT_CSS = """
    HomeScreen #summary { padding: 1 2; }
    """

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static(Text(self.ctx.t("common.loading")), id="summary")

    def on_mount(self) -> None:
        super().on_mount()
        self.load_summary()

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def load_summary(self) -> None:
        counts = self.ctx.desk.status_counts()
        self.app.call_from_thread(self._show, counts)

    def _show(self, counts: dict[str, int]) -> None:
        t = self.ctx.t
        where = describe(self.ctx.desk.engine.url.render_as_string(hide_password=False))
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
        table.add_column()
        table.add_column(justify="right")
        for status in Status:
            if counts.get(status.value):
                table.add_row(enum_label(status, self.ctx.lang), f"{counts[status.value]:,}")
        self.query_one("#summary", Static).update(
            Group(
                Text(t("home.database", where=where), style="bold"),
                Text(t("home.total", count=sum(counts.values()))),
                Text(""),
                table,
            )
        )
