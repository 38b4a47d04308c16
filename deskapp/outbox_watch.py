"""Every running desk sends the letters whose time has come (`Desk.deliver_due`) every few
seconds, the way it climbs the escalation ladder (`deskapp.ladder_watch`): a letter queued at
one desk goes out while any desk (or `deskapp mail --watch`) runs, and a server that was down
is tried again on the letter's backoff. Desks sending at once send each letter once (each
claims a letter before sending it, `deskapp.cases.letters`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deskapp.ladder_watch import LadderWatch

if TYPE_CHECKING:
    from deskapp.cases import Desk


class OutboxWatch(LadderWatch):
    what = "sending letters"

    def __init__(self, desk: Desk, every: float) -> None:
        super().__init__(desk, every)
        self._thread.name = "deskapp-outbox"

    def _work(self) -> None:
        self._desk.deliver_due()
