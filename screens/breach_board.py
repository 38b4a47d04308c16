"""F4 (supervisors): the live breach board — every case at risk or breached, desk-wide, most
overdue first, so escalations happen before promises break rather than after.

It is the queue with its state filter fixed; the other filters, search and `enter` work the
same, and it goes live the same way. A tally line under the title counts breached and at-risk
cases per department, worst first, so the supervisor sees where to call before reading rows.
"""

from __future__ import annotations

from deskapp.domain import Role
from screens.queue import QueueScreen

#: Who sees the board (the F4 key is hidden from everyone else).
BOARD_ROLES = frozenset({Role.SUPERVISOR, Role.EXECUTIVE, Role.ADMIN, Role.DEPT_MANAGER})


class BreachBoardScreen(QueueScreen):
    fixed_states = frozenset({"at_risk", "breached"})
    title_key = "queue.board_title"
    empty_key = "queue.board_none"
    show_tally = True
