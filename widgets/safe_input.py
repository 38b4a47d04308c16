"""An `Input` and a `TextArea` that never send what they hold to the terminal as control
characters.

A value typed at the keyboard is plain, but one filled in from the database (a known caller's
name), a resumed draft or a paste may hold an escape sequence. The value stays exactly what it
is; only its picture is safe: each control character is drawn as a visible stand-in, one for
one, so the cursor and the selection stay on the right character. Textual's `highlighter` hook
(a Rich highlighter) is where an Input's text is turned into what is drawn.
"""

from __future__ import annotations

from typing import Any

from rich.highlighter import Highlighter
from rich.text import Text
from textual.widgets import Input, TextArea
from textual.widgets.text_area import EditResult

from deskapp.display import visible, visible_in_place


class ControlsVisible(Highlighter):
    def __call__(self, text: str | Text) -> Text:
        source = text if isinstance(text, Text) else Text(text)
        shown = visible_in_place(source.plain)
        if shown == source.plain:
            return source.copy()
        safe = Text(shown, style=source.style, end=source.end, no_wrap=source.no_wrap)
        safe.overflow = source.overflow
        for span in source.spans:
            safe.stylize(span.style, span.start, span.end)
        return safe

    def highlight(self, text: Text) -> None:
        """Styles are the Input's own; `__call__` does the work."""


class SafeInput(Input):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("highlighter", ControlsVisible())
        super().__init__(*args, **kwargs)


class SafeTextArea(TextArea):
    """A `TextArea` into which no control character is ever loaded: what is put in from
    outside (a draft, a prefill, a programmatic insert) arrives with its control characters
    made visible, so what it shows and what it holds are the same text. Keys cannot type a
    control character, and the app makes pastes visible before they arrive."""

    def load_text(self, text: str) -> None:
        super().load_text(visible(text))

    def insert(
        self,
        text: str,
        location: tuple[int, int] | None = None,
        *,
        maintain_selection_offset: bool = True,
    ) -> EditResult:
        return super().insert(
            visible(text), location, maintain_selection_offset=maintain_selection_offset
        )
