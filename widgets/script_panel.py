"""The script prompt: what to say at this stage, filled in for this customer and case.

Scripts contain the customer's own words (name, demand), so they are always shown as plain
text with control characters made visible, never parsed as markup, and wrapped the way Chinese
is set (`widgets.prose`): a case number or a reply time never breaks across lines.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from widgets.prose import Prose


class ScriptPanel(VerticalScroll):
    DEFAULT_CSS = """
    ScriptPanel { height: auto; max-height: 14; border: round $accent; padding: 0 1; }
    ScriptPanel > .script-stage { text-style: bold; color: $accent; }
    ScriptPanel > .script-body { margin-bottom: 1; }
    """
    can_focus = False

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = title
        self._scripts: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield from ()

    def show(self, scripts: list[tuple[str, str]]) -> None:
        """Replace the scripts shown: (stage label, filled text) pairs, in speaking order."""
        if scripts == self._scripts:
            return
        self._scripts = list(scripts)
        labels = list(self.query(".script-stage").results(Static))
        bodies = list(self.query(".script-body").results(Static))
        if len(bodies) == len(labels) == len(scripts):  # update in place: no new widgets
            for label, shown, (stage, body) in zip(labels, bodies, scripts, strict=True):
                label.update(Text(stage))
                shown.update(Prose(body))
            return
        self.remove_children()
        for stage, body in scripts:
            self.mount(Static(Text(stage), classes="script-stage"))
            self.mount(Static(Prose(body), classes="script-body"))

    @property
    def text(self) -> str:
        """All scripts as one plain text, for the clipboard."""
        return "\n\n".join(body for _stage, body in self._scripts)
