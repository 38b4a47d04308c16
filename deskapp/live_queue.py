"""The live queue's window over the open cases: which rows are loaded, where they sit, and how
a change from another desk is folded in (DESIGN.md §4).

The screen never holds the whole queue. It holds a `Window`: a contiguous run of rows in queue
order, the index of the first one and the total. Moving reads the next page by key (never OFFSET)
except for a far jump; a change re-reads only the cases the change feed named, drops them from
the window, puts back those still in its key range, and re-counts the position. Everything here
runs in the screen's database worker; a `Window` is immutable, so the UI thread can keep drawing
the last one while the next is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy.engine import Engine

from deskapp.cases import Actor
from deskapp.domain import Role
from deskapp.permissions import DESK_WIDE
from store import queue as q
from store.engine import read_session
from store.queue import QueueFilter, QueueKey, QueueRow, key_of

#: Rows read per page, and the most a window keeps around the viewport.
PAGE = 100
KEEP = 400


class View(StrEnum):
    MINE = "mine"
    #: The cases I registered, wherever they are now: first-contact ownership (首问负责) keeps
    #: them mine to follow after dispatch.
    OWNED = "owned"
    DEPARTMENT = "department"
    DESK = "desk"


def views_for(actor: Actor) -> list[View]:
    """The views a person may switch between, their default first. Agents work their own
    cases; department staff their department's; desk-wide roles start on the whole desk."""
    views: list[View] = []
    desk_wide = bool(actor.roles & DESK_WIDE)
    if desk_wide:
        views.append(View.DESK)
    if actor.department_id is not None and actor.roles & {Role.HANDLER, Role.DEPT_MANAGER}:
        views.append(View.DEPARTMENT)
    views.append(View.MINE)
    if actor.roles & {Role.AGENT, Role.SUPERVISOR}:  # the roles that register complaints
        views.append(View.OWNED)
    if not desk_wide and actor.department_id is not None and View.DEPARTMENT not in views:
        views.append(View.DEPARTMENT)
    return views


def base_filter(view: View, actor: Actor) -> QueueFilter:
    if view is View.MINE:
        return QueueFilter(owner_or_assignee_id=actor.staff_id)
    if view is View.OWNED:
        return QueueFilter(first_owner_id=actor.staff_id)
    if view is View.DEPARTMENT:
        return QueueFilter(department_id=actor.department_id)
    return QueueFilter()


@dataclass(frozen=True)
class Window:
    start: int
    rows: tuple[QueueRow, ...]
    total: int
    #: False while `total` is only the rows read so far: the first page is shown before the
    #: queue is counted, because counting a million open cases takes longer than painting.
    counted: bool = True

    @property
    def end(self) -> int:
        return self.start + len(self.rows)

    def covers(self, lo: int, hi: int) -> bool:
        """Whether rows [lo, hi) are loaded (clipped to the queue's length)."""
        lo, hi = max(0, lo), min(self.total, hi)
        return lo >= hi or (self.start <= lo and hi <= self.end)

    def row_at(self, index: int) -> QueueRow | None:
        if self.start <= index < self.end:
            return self.rows[index - self.start]
        return None

    def index_of(self, case_id: int) -> int | None:
        for n, row in enumerate(self.rows):
            if row.id == case_id:
                return self.start + n
        return None


EMPTY = Window(0, (), 0)


__all__ = [
    "QueueFilter",
    "QueueReader",
    "QueueRow",
    "View",
    "Window",
    "base_filter",
    "views_for",
]


class QueueReader:
    """The database side of one queue view; call from one worker thread at a time."""

    def __init__(
        self, engine: Engine, flt: QueueFilter, *, page: int = PAGE, keep: int = KEEP
    ) -> None:
        self.engine = engine
        self.filter = flt
        self.page = page
        self.keep = keep

    @property
    def timed(self) -> bool:
        """Rows enter and leave a state-filtered view as time passes, with no event."""
        return bool(self.filter.states)

    def top(self, now: datetime, size: int | None = None) -> Window:
        return self.count(self.first(now, size), now)

    def first(self, now: datetime, size: int | None = None) -> Window:
        """The first page alone, uncounted unless it is the whole queue (see `Window.counted`)."""
        size = size or self.page
        with read_session(self.engine) as s:
            rows = q.page_after(s, self.filter, None, size, now=now)
        return Window(0, tuple(rows), len(rows), counted=len(rows) < size)

    def count(self, window: Window, now: datetime) -> Window:
        if window.counted:
            return window
        with read_session(self.engine) as s:
            total = q.count_open(s, self.filter, now=now)
        return replace(window, total=max(total, window.end), counted=True)

    def bottom(self, now: datetime, size: int | None = None) -> Window:
        size = size or self.page
        with read_session(self.engine) as s:
            total = q.count_open(s, self.filter, now=now)
            rows = q.page_before(s, self.filter, None, size, now=now)
        return Window(total - len(rows), tuple(rows), total)

    def around(self, window: Window, lo: int, hi: int, now: datetime) -> Window:
        """A window holding rows [lo, hi): extended by key when they touch what is loaded,
        read from the top or the bottom when they are near an end, else one OFFSET jump."""
        if window.covers(lo, hi):
            return window
        lo, hi = max(0, lo), min(window.total, hi)
        if lo < self.page and hi <= max(window.end, self.page) and window.start > self.page:
            return self.top(now, max(self.page, hi))
        with read_session(self.engine) as s:
            if window.rows and window.start <= lo <= window.end + self.page and hi > window.end:
                more = q.page_after(
                    s, self.filter, key_of(window.rows[-1]), hi - window.end + self.page, now=now
                )
                rows = window.rows + tuple(more)
                start = window.start
            elif window.rows and window.start - self.page <= hi <= window.end and lo < window.start:
                more = q.page_before(
                    s, self.filter, key_of(window.rows[0]), window.start - lo + self.page, now=now
                )
                rows = tuple(more) + window.rows
                start = window.start - len(more)
            elif lo < self.page:
                rows = tuple(q.page_after(s, self.filter, None, hi + self.page, now=now))
                start = 0
            else:
                first = max(0, lo - self.page // 2)
                rows = tuple(q.page_at(s, self.filter, first, hi - first + self.page, now=now))
                start = first
        return _trim(Window(start, rows, window.total), lo, hi, self.keep)

    def changed(self, window: Window, case_ids: Iterable[int], now: datetime) -> Window:
        """Fold in the cases the change feed named: only they are re-read, plus the counts
        that place the window in the queue."""
        ids = set(case_ids)
        if not ids:
            return window
        with read_session(self.engine) as s:
            fresh = q.rows_by_ids(s, sorted(ids), self.filter, now=now)
            total = q.count_open(s, self.filter, now=now)
            at_top = window.start == 0
            at_bottom = window.end >= window.total
            lo = None if at_top or not window.rows else key_of(window.rows[0]).rank()
            hi = None if at_bottom or not window.rows else key_of(window.rows[-1]).rank()
            kept = [r for r in window.rows if r.id not in ids]
            for row in fresh:
                rank = key_of(row).rank()
                if (lo is None or rank >= lo) and (hi is None or rank <= hi):
                    kept.append(row)
            kept.sort(key=lambda r: key_of(r).rank())
            if at_top or not kept:
                start = 0 if at_top else min(window.start, total)
            else:
                start = q.count_before(s, self.filter, key_of(kept[0]), now=now)
        updated = Window(start, tuple(kept), total)
        if not kept and total:
            return self.around(
                replace(updated, start=min(window.start, total)),
                window.start,
                window.start + self.page,
                now,
            )
        return updated

    def reload(self, window: Window, now: datetime) -> Window:
        """Re-read the window's range from scratch (state-filtered views, and after an error)."""
        if window.start == 0 or not window.rows:
            return self.top(now, max(self.page, len(window.rows)))
        with read_session(self.engine) as s:
            total = q.count_open(s, self.filter, now=now)
            before = QueueKey(window.rows[0].next_due_at, window.rows[0].id)
            above = q.page_before(s, self.filter, before, 1, now=now)
            after = key_of(above[0]) if above else None
            rows = q.page_after(s, self.filter, after, len(window.rows), now=now)
            start = q.count_before(s, self.filter, key_of(rows[0]), now=now) if rows else 0
        return Window(start, tuple(rows), total)


def _trim(window: Window, lo: int, hi: int, keep: int) -> Window:
    """Keep at most `keep` rows, centred on the rows wanted."""
    if len(window.rows) <= keep:
        return window
    centre = (lo + hi) // 2
    first = max(window.start, min(centre - keep // 2, window.end - keep))
    cut = first - window.start
    return Window(first, window.rows[cut : cut + keep], window.total)
