"""F4 (supervisors): the live breach board, a wall for a second screen.

Above, the wall (`widgets.board_wall`): tiles per department × severity with the open, at-risk,
breached and waiting cases, today's promises kept against the target, the escalations waiting
for a decision and the case longest without its apology. Below, every case at risk or breached,
most overdue first, with its assignee and escalation level: the queue with its state filter
fixed, so its filters, search and `enter` work the same. `d` narrows the list to the worst
department, then the next; `x` clears it; `r` and `e` open the highlighted case with its
assign or escalate dialog. The wall is read from counts the use cases keep and
from indexes (`deskapp.board`), on every change any desk makes and every few seconds as
promises turn, and it shows fewer departments on a short screen.

A calendar whose holiday data runs out soon is said here too: past it no business-hours due
time can be computed, and the people who watch this board are the ones who can act on it.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from deskapp.board import BoardView, read_board
from deskapp.domain import Role
from screens.queue import QueueScreen
from widgets.board_wall import BoardWall
from widgets.prose import safe_line

#: Who sees the board (the F4 key is hidden from everyone else).
BOARD_ROLES = frozenset({Role.SUPERVISOR, Role.EXECUTIVE, Role.ADMIN, Role.DEPT_MANAGER})
#: Seconds between reads of the wall when nothing changed: cases turn at risk and breach as
#: time passes, without any event.
WALL_EVERY = 5.0


class BreachBoardScreen(QueueScreen):
    fixed_states = frozenset({"at_risk", "breached"})
    title_key = "queue.board_title"
    empty_key = "queue.board_none"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "next_department", "Department", id="board.department"),
        Binding("r", "reassign", "Reassign", id="board.reassign"),
        Binding("e", "escalate", "Escalate", id="board.escalate"),
    ]
    DEFAULT_CSS = """
    BreachBoardScreen #board-notice { height: auto; padding: 0 1; color: $warning; display: none; }
    BreachBoardScreen #board-notice.-shown { display: block; }
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._wall_read = 0.0
        self.wall: BoardView | None = None

    def compose_above_list(self) -> ComposeResult:
        yield BoardWall(self.ctx.t, id="board-wall")

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield Static("", id="board-notice", markup=False)

    def on_mount(self) -> None:
        # Textual runs QueueScreen.on_mount as well (handlers run along the class hierarchy).
        ending = self.ctx.desk.calendars_ending()
        notices = [
            self.ctx.t("calendar.data_ending", name=name, until=until.isoformat())
            for name, until in ending
        ]
        notice = self.query_one("#board-notice", Static)
        notice.update(safe_line("  ".join(notices)))
        notice.set_class(bool(notices), "-shown")

    def refresh_above_list(self, now: datetime, changed: bool) -> None:
        """Read the wall on any change any desk made, and every few seconds as time passes."""
        if not changed and time.monotonic() - self._wall_read < WALL_EVERY:
            return
        self._wall_read = time.monotonic()
        view = read_board(self.ctx.desk, now)
        self.app.call_from_thread(self._show_wall, view, self.ctx.department_names())

    def _show_wall(self, view: BoardView, depts: dict[int, str]) -> None:
        self.wall = view
        wall = self.query_one("#board-wall", BoardWall)
        rows = 3 if self.size.height < 30 else 10
        wall.show(
            view,
            depts,
            target=self.ctx.desk.settings.on_time_target,
            max_rows=rows,
            chosen=self.filter.department_id,
        )

    def action_next_department(self) -> None:
        """Narrow the list to the worst department, then the next, round to all of them."""
        if self.wall is None:
            return
        order = [d for d in BoardWall.worst(self.wall) if d]
        if not order:
            return
        current = self.filter.department_id
        # After the last department, back to all of them (None).
        cycle: list[int | None] = [*order, None]
        nxt = cycle[(cycle.index(current) + 1) % len(cycle)] if current in cycle else order[0]
        self._set_filter(replace(self.filter, department_id=nxt))

    def action_reassign(self) -> None:
        """The highlighted case, with its assign dialog open (who may assign, may)."""
        self._open_with("assign")

    def action_escalate(self) -> None:
        """The highlighted case, with its escalate dialog open: a reason, then the next rung."""
        self._open_with("escalate")

    def _open_with(self, action: str) -> None:
        from screens.case import CaseScreen

        row = self.rows.selected
        if row is not None:
            self.app.push_screen(CaseScreen(self.ctx, row.number, then=action))
