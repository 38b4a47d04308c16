"""F4 (supervisors): the live breach board — every case at risk or breached, desk-wide, most
overdue first, so escalations happen before promises break rather than after.

It is the queue with its state filter fixed; the other filters, search and `enter` work the
same, and it goes live the same way.
"""

from __future__ import annotations

from deskapp.context import DeskContext
from deskapp.domain import Role
from deskapp.live_queue import Window
from screens.queue import QueueScreen

#: Who sees the board (the F4 key is hidden from everyone else).
BOARD_ROLES = frozenset({Role.SUPERVISOR, Role.EXECUTIVE, Role.ADMIN, Role.DEPT_MANAGER})


class BreachBoardScreen(QueueScreen):
    fixed_states = frozenset({"at_risk", "breached"})
    title_key = "queue.board_title"

    def __init__(self, ctx: DeskContext) -> None:
        super().__init__(ctx)
        self.rows_placeholder = ctx.t("queue.board_none")

    def _show_window(self, window: Window, status: str) -> None:
        super()._show_window(window, status)
        if window.total == 0:
            self.rows.placeholder = self.rows_placeholder
