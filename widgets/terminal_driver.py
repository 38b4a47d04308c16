"""The terminal driver the desk runs on: Textual's Linux driver, with one resume fixed.

When a terminal goes away (an SSH connection drops, tmux is killed) the kernel sends the
desk SIGHUP and, for a process group left without a controlling session, SIGCONT. Textual's
driver answers every SIGCONT by starting application mode again, even when it never
suspended: a second output thread starts, dies writing to the closed terminal, and the
shutdown that SIGHUP began then waits for ever to hand that dead thread its stop marker
(its queue is full). The desk stayed alive after its terminal closed, holding memory and
database connections.

Here a SIGCONT resumes only what a SIGTSTP (ctrl+z) suspended.
"""

from __future__ import annotations

from typing import Any

from textual.drivers.linux_driver import LinuxDriver


class DeskDriver(LinuxDriver):
    _suspended_by_us = False

    def _sigtstp_application(self, *args: Any) -> None:
        self._suspended_by_us = True
        super()._sigtstp_application(*args)

    def _sigcont_application(self, *args: Any) -> None:
        if not self._suspended_by_us:
            return
        self._suspended_by_us = False
        super()._sigcont_application(*args)
