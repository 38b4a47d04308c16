"""F4 (supervisors): the live breach board — every case at risk or breached, desk-wide, most
overdue first, so escalations happen before promises break rather than after.

It is the queue with its state filter fixed; the other filters, search and `enter` work the
same, and it goes live the same way. A tally line under the title counts breached and at-risk
cases per department, worst first, so the supervisor sees where to call before reading rows.
A calendar whose holiday data runs out soon is said here too: past it no business-hours due
time can be computed, and the people who watch this board are the ones who can act on it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from deskapp.domain import Role
from screens.queue import QueueScreen
from widgets.prose import safe_line

#: Who sees the board (the F4 key is hidden from everyone else).
BOARD_ROLES = frozenset({Role.SUPERVISOR, Role.EXECUTIVE, Role.ADMIN, Role.DEPT_MANAGER})


class BreachBoardScreen(QueueScreen):
    fixed_states = frozenset({"at_risk", "breached"})
    title_key = "queue.board_title"
    empty_key = "queue.board_none"
    show_tally = True
    DEFAULT_CSS = """
    BreachBoardScreen #board-notice { height: auto; padding: 0 1; color: $warning; display: none; }
    BreachBoardScreen #board-notice.-shown { display: block; }
    """

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield Static("", id="board-notice", markup=False)

    def on_mount(self) -> None:
        ending = self.ctx.desk.calendars_ending()
        notices = [
            self.ctx.t("calendar.data_ending", name=name, until=until.isoformat())
            for name, until in ending
        ]
        notice = self.query_one("#board-notice", Static)
        notice.update(safe_line("  ".join(notices)))
        notice.set_class(bool(notices), "-shown")
