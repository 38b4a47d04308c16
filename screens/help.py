"""F1: every key that works on the screen below, and what the focused field is for.

Built from the screen's public `active_bindings`, so it can never drift from the real keys.
"""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from deskapp.context import DeskContext
from screens.base import key_label
from widgets.key_bar import key_display


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 80; max-width: 95%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 1 2;
    }
    HelpScreen #help-focus { margin-top: 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1", "dismiss", "Back", id="help.close"),
    ]

    def __init__(self, ctx: DeskContext, below: Screen[object]) -> None:
        super().__init__()
        self.ctx, self.below = ctx, below

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, expand=True, padding=(0, 2, 0, 0))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        #: (key, what it does) as shown, in the order of the screen's active bindings.
        self.rows: list[tuple[str, str]] = []
        for active in self.below.active_bindings.values():
            binding = active.binding
            row = (key_display(self.app, binding), key_label(self.ctx, binding))
            if row not in self.rows:
                self.rows.append(row)
                table.add_row(*row)
        focused = self.below.focused
        tip = getattr(focused, "help_text", "") if focused is not None else ""
        with VerticalScroll():
            yield Static(Text(self.ctx.t("help.title"), style="bold"))
            yield Static(table)
            if tip:
                yield Static(Text(tip), id="help-focus")
