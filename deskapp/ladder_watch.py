"""Every running desk climbs the escalation ladder: a thread sweeps what has come due
(`Desk.sweep`) every few seconds, so a rung reaches its people within that time of its due
instant as long as any desk (or `deskapp escalate --watch`) runs. Desks sweeping at once do no
harm: each rung is written once (`deskapp.cases.escalations`)."""

from __future__ import annotations

import logging
import random
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deskapp.cases import Desk

log = logging.getLogger("deskapp.ladder")

#: Seconds between sweeps; each desk starts at a random point of the interval, so that fifty
#: desks opened together do not all sweep in the same second.
SWEEP_EVERY = 15.0


class LadderWatch:
    #: What the watch does, for the log.
    what = "escalation sweep"

    def __init__(self, desk: Desk, every: float = SWEEP_EVERY) -> None:
        self._desk = desk
        #: Seconds between sweeps; 0 turns this desk's sweep off.
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="deskapp-ladder", daemon=True)
        #: The last sweep's failure (the database away, a case that could not climb).
        self.error: Exception | None = None
        self.sweeps = 0

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=3)

    def _work(self) -> None:
        self._desk.sweep()

    def _run(self) -> None:
        if self._stop.wait(random.uniform(0.5, 1.0) * self.every):
            return
        while True:
            try:
                self._work()
                self.error = None
            except Exception as exc:  # the database away: the next sweep catches up
                self.error = exc
                log.warning("%s failed: %s", self.what, str(exc).splitlines()[0])
            self.sweeps += 1
            if self._stop.wait(self.every):
                return
