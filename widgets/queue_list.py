"""The virtual SLA queue: a Line-API list over a window of rows (DESIGN.md §4).

Why not DataTable: it re-renders the whole table on every cell update (0.76 s per tick at 100 k
rows). This list draws only the lines on screen, from a `Window` the screen loads page by page;
a line is a cached Strip keyed by what it shows, so a tick that changes one countdown repaints
one line, and a tick that changes nothing writes nothing to the terminal.

The list owns the cursor and the scroll position; it asks for rows it lacks (`NeedRows`) and
says when the cursor lands on another case (`Highlighted`) or one is opened (`Opened`). What a
row says (masking, names, language) is the `describe` callback's business.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from deskapp import clock
from deskapp.countdown import Tone
from deskapp.display import one_line
from deskapp.live_queue import EMPTY, QueueRow, Window

#: Column keys in display order with the fewest and the most cells each may take; the subject
#: takes what is left. Narrow terminals drop the columns at the start of DROP_ORDER first.
COLUMNS: tuple[tuple[str, int, int], ...] = (
    ("countdown", 9, 9),
    ("number", 16, 16),
    ("severity", 2, 2),
    ("milestone", 4, 12),
    ("customer", 8, 14),
    ("subject", 12, 0),
    ("department", 6, 16),
    ("assignee", 6, 12),
    ("status", 6, 14),
    ("escalation", 2, 2),
    ("flags", 4, 6),
)
DROP_ORDER = ("department", "status", "assignee", "flags", "milestone")
MIN_SUBJECT = 12
STRIP_CACHE = 512
_LEAST = {key: least for key, least, _most in COLUMNS}
_MOST = {key: most for key, _least, most in COLUMNS}


@lru_cache(maxsize=64)
def _layout(width: int, wanted: tuple[tuple[str, int], ...]) -> tuple[tuple[str, int], ...]:
    keys = [key for key, _least, _most in COLUMNS]
    # The subject keeps at least a fifth of the line: drop columns until the others fit at
    # their narrowest beside it.
    subject_share = max(MIN_SUBJECT, width // 5)
    for name in DROP_ORDER:
        floor = sum(_LEAST[k] for k in keys if k != "subject") + len(keys) - 1 + subject_share
        if floor <= width:
            break
        keys.remove(name)
    want = dict(wanted)
    widths = {k: _LEAST[k] for k in keys if k != "subject"}
    # What each column would like beyond its least (its widest text, capped), shared out
    # fairly when the line does not allow all of it: small needs are met in full first, then
    # what is left is split evenly among the columns that still want more.
    need = {k: max(0, min(want.get(k, _LEAST[k]), _MOST[k]) - _LEAST[k]) for k in widths}
    spare = max(0, width - (len(keys) - 1) - sum(widths.values()) - subject_share)
    waiting = sorted(need, key=lambda k: need[k])
    while waiting:
        share = spare // len(waiting)
        k = waiting.pop(0)
        given = min(need[k], share if waiting else spare)
        widths[k] += given
        spare -= given
    rest = max(1, width - (len(keys) - 1) - sum(widths.values()))
    return tuple((k, widths.get(k, rest)) for k in keys)


def layout(width: int, wanted: Mapping[str, int] | None = None) -> list[tuple[str, int]]:
    """The columns that fit `width` (one space between them): each as wide as what it holds
    needs (`wanted`: the widest text a column will show, in cells), shared out fairly when
    the line is too short for all of it; the subject takes the rest."""
    return list(_layout(width, tuple(sorted((wanted or {}).items()))))


@dataclass(frozen=True)
class Look:
    """Everything one line shows; equal looks draw identical strips (the cache key)."""

    cells: tuple[tuple[str, str], ...]  # (column key, text)
    tone: Tone
    severity: str


Describe = Callable[[QueueRow, datetime], Look]


class QueueList(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    QueueList { height: 1fr; scrollbar-size-vertical: 1; overflow-x: hidden; }
    QueueList > .queue-list--on_track { color: $success; }
    QueueList > .queue-list--at_risk { color: $warning; text-style: bold; }
    QueueList > .queue-list--breached { color: $error; text-style: bold; }
    QueueList > .queue-list--paused { color: $text-muted; }
    QueueList > .queue-list--after_hours { color: $text-muted; text-style: italic; }
    QueueList > .queue-list--none { color: $text-muted; }
    QueueList > .queue-list--severe { text-style: bold; }
    QueueList > .queue-list--cursor { background: $accent 40%; }
    QueueList:focus > .queue-list--cursor { background: $accent; color: $text; }
    QueueList > .queue-list--placeholder { color: $text-muted; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *(f"queue-list--{tone.value}" for tone in Tone),
        "queue-list--severe",
        "queue-list--cursor",
        "queue-list--placeholder",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Down", id="queue.down", show=False),
        Binding("up,k", "cursor_up", "Up", id="queue.up", show=False),
        Binding("pagedown", "page_down", "Page down", id="queue.page_down", show=False),
        Binding("pageup", "page_up", "Page up", id="queue.page_up", show=False),
        Binding("home", "first", "First", id="queue.first", show=False),
        Binding("end", "last", "Last", id="queue.last", show=False),
        Binding("enter", "open", "Open", id="queue.open"),
    ]

    class NeedRows(Message):
        """Rows [lo, hi) are on screen (with a margin) but not loaded."""

        def __init__(self, lo: int, hi: int) -> None:
            super().__init__()
            self.lo, self.hi = lo, hi

    class Highlighted(Message):
        def __init__(self, row: QueueRow | None) -> None:
            super().__init__()
            self.row = row

    class Opened(Message):
        def __init__(self, row: QueueRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, describe: Describe, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._describe = describe
        self.window: Window = EMPTY
        self.cursor = 0
        self._selected_id: int | None = None
        self._now: datetime | None = None
        self._looks: dict[int, Look] = {}  # row index -> look at `_now`
        self._painted: dict[int, Look] = {}  # screen line -> look last drawn there
        self._strips: OrderedDict[tuple[Look, bool, int], Strip] = OrderedDict()
        self._asked: tuple[int, int] | None = None
        self.placeholder = ""
        #: The widest text each column will show (cells), for sharing out the width.
        self.wanted: dict[str, int] = {}

    # -- data in ------------------------------------------------------------------------------

    def set_wanted(self, wanted: Mapping[str, int]) -> None:
        """The widest text each column will show; the columns share the width by it."""
        if dict(wanted) != self.wanted:
            self.wanted = dict(wanted)
            self._strips.clear()
            self._painted.clear()
            self.refresh()

    def set_window(self, window: Window) -> None:
        """Show a newly read window; the cursor stays on the same case, on the same screen
        line, when rows above it came or went."""
        old_line = self.cursor - int(self.scroll_y)
        self.window = window
        self._asked = None
        self.virtual_size = Size(0, window.total)
        index = window.index_of(self._selected_id) if self._selected_id is not None else None
        if index is not None:
            self.cursor = index
            self.scroll_to(y=max(0, index - old_line), animate=False, immediate=True)
        else:
            self.cursor = min(self.cursor, max(0, window.total - 1))
        self._looks.clear()
        self._painted.clear()
        self._keep_cursor_visible()
        self._announce()
        self.refresh()

    def tick(self, now: datetime) -> int:
        """Advance the countdowns to `now`; repaint only the lines whose look changed.
        Returns how many lines were repainted (the benchmark reads it)."""
        self._now = now
        self._looks.clear()
        top = int(self.scroll_y)
        columns = _spans(self.size.width, self.wanted)
        changed = 0
        for y in range(self.size.height):
            index = top + y
            row = self.window.row_at(index)
            look = self._look(index, row) if row is not None else None
            painted = self._painted.get(y)
            if look is None or painted == look:
                continue
            changed += 1
            if painted is None or painted.severity != look.severity:
                self._refresh_screen_line(y)
                continue
            # Only the cells whose text (or, for the countdown, colour) changed: a countdown in
            # its last hour then costs a few bytes a second on the wire, not a whole line.
            was = dict(painted.cells)
            for key, text in look.cells:
                if key not in columns:
                    continue
                before = was.get(key, "")
                x, width = columns[key]
                if key == "countdown" and painted.tone != look.tone:
                    self.refresh(Region(x, y, width, 1))  # new colour: the whole cell
                elif before != text:
                    x, width = _changed_span(before, text, x, width)
                    self.refresh(Region(x, y, width, 1))
        return changed

    # -- drawing ------------------------------------------------------------------------------

    def _look(self, index: int, row: QueueRow) -> Look:
        look = self._looks.get(index)
        if look is None:
            look = self._describe(row, self._now or clock.now())
            self._looks[index] = look
        return look

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        index = int(self.scroll_y) + y
        row = self.window.row_at(index)
        if row is None:
            self._painted.pop(y, None)
            if index < self.window.total:
                self._ask()
                return self._plain("…", width)
            if index == 0 and self.placeholder:
                return self._plain(self.placeholder, width)
            return Strip.blank(width, self.rich_style)
        look = self._look(index, row)
        self._painted[y] = look
        selected = index == self.cursor
        key = (look, selected, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._draw(look, selected, width)
            self._strips[key] = strip
            if len(self._strips) > STRIP_CACHE:
                self._strips.popitem(last=False)
        else:
            self._strips.move_to_end(key)
        return strip

    def _plain(self, text: str, width: int) -> Strip:
        style = self.get_component_rich_style("queue-list--placeholder")
        return Strip([Segment(set_cell_size(text, width), style)], width)

    def _draw(self, look: Look, selected: bool, width: int) -> Strip:
        base = self.rich_style
        if selected:
            base += self.get_component_rich_style("queue-list--cursor")
        tone = self.get_component_rich_style(f"queue-list--{look.tone.value}", partial=True)
        severe = self.get_component_rich_style("queue-list--severe", partial=True)
        texts = dict(look.cells)
        segments: list[Segment] = []
        for n, (key, cells) in enumerate(layout(width, self.wanted)):
            if n:
                segments.append(Segment(" ", base))
            text = _fit(one_line(texts.get(key, "")), cells)
            style: Style = base
            if key == "countdown":
                style = base + tone
            elif key == "severity" and look.severity == "A":
                style = base + severe
            segments.append(Segment(text, style))
        used = sum(cell_len(s.text) for s in segments)
        if used < width:
            segments.append(Segment(" " * (width - used), base))
        return Strip(segments, width).crop(0, width)

    def _refresh_screen_line(self, y: int) -> None:
        """Repaint line `y` of the widget (ScrollView.refresh_line takes a line of the virtual
        canvas instead, which is off screen once the list is scrolled)."""
        self.refresh(Region(0, y, self.size.width, 1))

    def _ask(self) -> None:
        top = int(self.scroll_y)
        wanted = (max(0, top - self.size.height), top + 2 * self.size.height)
        if self._asked != wanted:
            self._asked = wanted
            self.post_message(self.NeedRows(*wanted))

    def on_resize(self) -> None:
        self.virtual_size = Size(0, self.window.total)
        self._painted.clear()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._painted.clear()
        top = int(new_value)
        if not self.window.covers(top, top + self.size.height):
            self._ask()

    # -- the cursor ---------------------------------------------------------------------------

    @property
    def selected(self) -> QueueRow | None:
        return self.window.row_at(self.cursor)

    def _move(self, index: int) -> None:
        if self.window.total == 0:
            return
        index = max(0, min(self.window.total - 1, index))
        if index != self.cursor:
            self._refresh_screen_line(self.cursor - int(self.scroll_y))
            self.cursor = index
            self._refresh_screen_line(self.cursor - int(self.scroll_y))
        self._keep_cursor_visible()
        self._announce()

    def _keep_cursor_visible(self) -> None:
        top, height = int(self.scroll_y), max(1, self.size.height)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def _announce(self) -> None:
        row = self.selected
        new_id = row.id if row is not None else None
        if row is not None:
            self._selected_id = new_id
        self.post_message(self.Highlighted(row))

    def action_cursor_down(self) -> None:
        self._move(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self._move(self.cursor - 1)

    def action_page_down(self) -> None:
        step = max(1, self.size.height - 1)
        self.scroll_to(y=int(self.scroll_y) + step, animate=False, immediate=True)
        self._move(self.cursor + step)

    def action_page_up(self) -> None:
        step = max(1, self.size.height - 1)
        self.scroll_to(y=max(0, int(self.scroll_y) - step), animate=False, immediate=True)
        self._move(self.cursor - step)

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(self.window.total - 1)

    def action_open(self) -> None:
        row = self.selected
        if row is not None:
            self.post_message(self.Opened(row))


def _fit(text: str, cells: int) -> str:
    """`text` in exactly `cells` cells; cut short with "…" so a cut word is seen as cut."""
    if cell_len(text) <= cells or cells < 2:
        return set_cell_size(text, cells)
    return set_cell_size(set_cell_size(text, cells - 1).rstrip() + "…", cells)


def _spans(width: int, wanted: Mapping[str, int]) -> dict[str, tuple[int, int]]:
    """Each shown column's x offset and width at `width`."""
    spans: dict[str, tuple[int, int]] = {}
    x = 0
    for key, cells in layout(width, wanted):
        spans[key] = (x, cells)
        x += cells + 1
    return spans


def _changed_span(before: str, after: str, x: int, width: int) -> tuple[int, int]:
    """The part of a cell that differs ("19:31" → "19:30": the last character). Textual writes
    the box around all of a frame's changes, cut at segment ends, so in practice a tick writes
    each countdown's text without its padding. Narrowed only for single-width text, where
    characters and cells line up."""
    if not (before.isascii() and after.isascii()):
        return x, width
    before, after = before.ljust(width)[:width], after.ljust(width)[:width]
    first = next((n for n in range(width) if before[n] != after[n]), width)
    last = next((n for n in range(width - 1, -1, -1) if before[n] != after[n]), -1)
    if last < first:
        return x, width
    return x + first, last - first + 1


def header_line(width: int, titles: dict[str, str], wanted: Mapping[str, int]) -> str:
    """The column titles, aligned with the list's columns."""
    return " ".join(
        set_cell_size(titles.get(key, ""), cells) for key, cells in layout(width, wanted)
    )
