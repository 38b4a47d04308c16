"""Triage suggestions with their reasons, and which of them the form now differs from."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from deskapp.display import one_line


@dataclass(frozen=True)
class SuggestionLine:
    label: str
    value: str
    reasons: str
    #: The form's value when it differs from the suggestion, else None.
    overridden_by: str | None = None


class SuggestionPanel(Static):
    DEFAULT_CSS = """
    SuggestionPanel { height: auto; border: round $warning; padding: 0 1; }
    """

    def show(self, lines: list[SuggestionLine], footer: str) -> None:
        text = Text()
        for line in lines:  # reasons quote the customer's words: made visible
            text.append(f"{line.label}: ", style="bold")
            style = "bold strike" if line.overridden_by else "bold green"
            text.append(one_line(line.value), style=style)
            if line.overridden_by:
                text.append(f" → {one_line(line.overridden_by)}", style="bold yellow")
            text.append("\n")
            if line.reasons:
                text.append(f"  {one_line(line.reasons)}\n", style="dim")
        text.append(footer, style="italic")
        self.update(text)

    def show_empty(self, message: str) -> None:
        self.update(Text(message, style="dim italic"))
