"""Run something once, a short while after the last of a burst of changes.

A form reacts to typing (look the caller up, run the triage rules, save the draft) but not on
every keystroke: each reaction waits until the typing pauses. Restarting a Textual timer on
every key creates and cancels a task per keystroke; this keeps one timer per quiet spell and,
when it fires early, re-arms it for the time that is left.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.message_pump import MessagePump
from textual.timer import Timer


class Debouncer:
    def __init__(self, owner: MessagePump, delay: float, callback: Callable[[], None]) -> None:
        self.owner, self.delay, self.callback = owner, delay, callback
        self._due: float | None = None
        self._timer: Timer | None = None

    @property
    def pending(self) -> bool:
        return self._due is not None

    def poke(self) -> None:
        """Something changed: run `callback` once `delay` seconds pass without a change."""
        self._due = time.monotonic() + self.delay
        if self._timer is None:
            self._timer = self.owner.set_timer(self.delay, self._check)

    def _check(self) -> None:
        self._timer = None
        if self._due is None:
            return
        left = self._due - time.monotonic()
        if left > 0.002:
            self._timer = self.owner.set_timer(left, self._check)
            return
        self._due = None
        self.callback()

    def fire_now(self) -> bool:
        """Run a waiting callback at once (a submit must see what was just typed)."""
        if self._due is None:
            return False
        self.cancel()
        self.callback()
        return True

    def cancel(self) -> None:
        self._due = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
