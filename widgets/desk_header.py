"""The header: who is signed in, the desk's time, and my open / at-risk / breached counts.

It only shows what it is given; the screen feeds it (the counts come from a database worker).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from widgets.prose import safe_line


@dataclass(frozen=True)
class Counts:
    open: int = 0
    at_risk: int = 0
    breached: int = 0
    unread: int = 0


class DeskHeader(Horizontal):
    DEFAULT_CSS = """
    DeskHeader { dock: top; height: 1; background: $primary; color: $text; }
    DeskHeader > Static { width: auto; padding: 0 1; }
    DeskHeader > #header-title { text-style: bold; }
    DeskHeader > #header-who { width: 1fr; }
    DeskHeader > #header-counts { }
    DeskHeader > #header-time { }
    DeskHeader.-narrow > #header-title { display: none; }
    """

    #: Below this width the desk's title gives its room to the name of who is signed in:
    #: at 80 columns the counts and the clock leave a name five letters.
    NARROW = 100

    def __init__(self, title: str) -> None:
        super().__init__()
        self._title = title
        self._shown: dict[str, Text] = {}

    def compose(self) -> ComposeResult:
        yield Static(Text(self._title), id="header-title")
        yield Static(Text(""), id="header-who")
        yield Static(Text(""), id="header-counts")
        yield Static(Text(""), id="header-time")

    def on_resize(self) -> None:
        self.set_class(self.size.width < self.NARROW, "-narrow")

    def show_person(self, text: str) -> None:
        """Who is signed in (their name comes from the database: shown as plain text)."""
        self._show("header-who", safe_line(text, overflow="ellipsis"))

    def show_counts(self, labels: tuple[str, str, str, str], counts: Counts) -> None:
        text = Text()
        text.append(labels[0])
        text.append("  ")
        text.append(labels[1], style="bold yellow" if counts.at_risk else "")
        text.append("  ")
        text.append(labels[2], style="bold red" if counts.breached else "")
        if counts.unread:  # an empty inbox says nothing: 80 columns have no room to spare
            text.append("  ")
            text.append(labels[3], style="bold reverse")
        self._show("header-counts", text)

    def show_time(self, text: str) -> None:
        self._show("header-time", Text(text))

    def _show(self, part: str, text: Text) -> None:
        """Update a part only when what it says changed: an update of an auto-width part
        lays the screen out again, and over SSH an unchanged count every 10 s would cost a
        redraw of the whole screen's edges."""
        if part in self._shown and self._shown[part] == text:
            return
        self._shown[part] = text
        self.query_one(f"#{part}", Static).update(text)
