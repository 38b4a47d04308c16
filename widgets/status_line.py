"""The status line above the key bar: what went wrong in the background, in words.

Database reads, lookups and draft writes run in workers; when one fails the person must learn
of it here instead of the result silently never arriving. The line stays until it is replaced
or `CLEAR_AFTER` seconds pass, and takes no room while empty.
"""

from __future__ import annotations

from textual.timer import Timer
from textual.widgets import Static

from widgets.prose import safe_line

CLEAR_AFTER = 30.0


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; padding: 0 1; display: none; background: $error-muted; }
    StatusLine.-shown { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._clear: Timer | None = None
        #: What the line says now ("" when hidden); tests read it.
        self.message = ""

    def show_error(self, message: str) -> None:
        self.message = message
        self.update(safe_line(message, no_wrap=True, overflow="ellipsis"))
        self.add_class("-shown")
        if self._clear is not None:
            self._clear.stop()
        self._clear = self.set_timer(CLEAR_AFTER, self.clear)

    def clear(self) -> None:
        self.message = ""
        self.remove_class("-shown")
        self.update("")
