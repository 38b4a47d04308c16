"""Who is calling: new or known customer, VIP badge, repeat flag, and earlier complaints."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from deskapp.cases import CustomerLookup
from widgets.prose import safe_line


class CustomerCard(Static):
    DEFAULT_CSS = """
    CustomerCard { height: auto; border: round $secondary; padding: 0 1; }
    """

    def show_new(self, text: str, *, repeat: str = "") -> None:
        """A caller the desk does not know yet; `repeat` when their order complained before."""
        line = Text(text, style="italic")
        if repeat:
            line.append("  ")
            line.append(f" {repeat} ", style="bold white on red")
        self.update(line)

    def show_known(
        self,
        found: CustomerLookup,
        *,
        heading: str,
        vip: str,
        repeat: str,
        history_title: str,
        columns: tuple[str, str, str, str],
        status_label: dict[str, str],
        date_format: str = "%Y-%m-%d",
    ) -> None:
        line = safe_line(heading, style="bold")
        if found.vip:
            line.append("  ")
            line.append(f" {vip} ", style="bold black on yellow")
        if found.repeat:
            line.append("  ")
            line.append(f" {repeat} ", style="bold white on red")
        table = Table(box=None, padding=(0, 1, 0, 0), show_edge=False, expand=True)
        number, date, subject, status = columns
        table.add_column(number, no_wrap=True, min_width=16)
        table.add_column(date, no_wrap=True)
        table.add_column(subject, no_wrap=True, overflow="ellipsis", ratio=1)
        table.add_column(status, no_wrap=True, max_width=8, overflow="ellipsis")
        for case in found.cases:
            table.add_row(
                case.number,
                case.created_at.strftime(date_format),
                safe_line(case.subject),
                status_label.get(case.status.value, case.status.value),
            )
        self.update(Group(line, Text(history_title, style="dim"), table))
