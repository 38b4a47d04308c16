"""The files kept for a case, as lines of the case screen's evidence row.

A file's name and note came from outside the desk (a customer's photo named by their phone, a
colleague's note), so both are shown as plain text with control characters made visible; the
hash is cut to twelve characters, enough to match it by eye against `deskapp audit verify`
or the dispatch notice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from rich.console import RenderableType
from rich.text import Text

from deskapp.case_view import AttachmentEntry
from deskapp.evidence import human_size
from widgets.prose import Prose, safe_line, safe_text

#: Characters of the SHA-256 shown.
SHORT_HASH = 12


def attachment_lines(
    entries: Sequence[AttachmentEntry], tz: ZoneInfo, t: Callable[..., str]
) -> RenderableType:
    """One line per file (name, size, type, short hash, who and when), its note under it."""
    text = Text()
    for n, a in enumerate(entries):
        if n:
            text.append("\n")
        text.append_text(safe_line(a.name or "—", style="bold"))
        when = a.at.astimezone(tz).strftime("%m-%d %H:%M")
        details = t(
            "case.attachment",
            size=human_size(a.size),
            type=a.media_type,
            sha=a.sha256[:SHORT_HASH],
            who=a.who,
            at=when,
        )
        text.append("  ")
        text.append_text(safe_text(details, style="dim"))
        if a.note:
            text.append("\n  ")
            text.append_text(safe_text(a.note, style="italic"))
    return Prose(text)
