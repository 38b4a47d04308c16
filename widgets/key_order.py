"""Keys are handled in the order they were typed, one at a time, at any typing speed.

Textual hands each key to whatever widget has focus *when the app reads the key*, but a key
that moves focus (tab, enter on a form, opening a select) takes effect later: non-priority
bindings are resolved only after the key has bubbled up through every ancestor's message
queue, and `Widget.focus()` itself is deferred. Typed fast, or pasted, or delivered in one
burst by an SSH connection, the next keys reach the old field: "Wang Fang<Tab>Fridge" became
Name "Wang FangF". A bare app hides this because its queues are empty; a real screen, busy
with the work of the previous keystroke, does not.

So the app holds each key until the one before it has *settled*: every message queue of the
app and of the screen on top is empty (checked twice, across a turn of the event loop), which
means the key, the bubbling, the binding it ran and the focus change it asked for are done.
Keys still arrive in one queue in their original order; only their hand-out is paced. A
screen that never goes quiet (a stuck handler) cannot swallow keys: after `MAX_HOLD`
seconds the next key is handed out anyway.

Some keys finish their work in a worker: ctrl+s on the intake form first waits for the caller
lookup, then opens the read-back, and a second ctrl+s typed at once is meant for that read-back.
Such a key calls `hold_keys()` and releases the hold when its work is done; the next keys wait
for it (up to `HOLD_LIMIT` seconds, so a slow database never freezes the keyboard).

Pasted text enters here too, and leaves with its control characters made visible: a clipboard
can hold an escape sequence, and no field should keep what it could not show.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from textual import events
from textual.app import App
from textual.driver import Driver

from deskapp.display import visible

ReturnType = TypeVar("ReturnType")

#: Longest a key waits for the one before it to settle, in seconds.
MAX_HOLD = 3.0
#: Longest a key waits for work the one before it declared with `hold_keys`.
HOLD_LIMIT = 5.0
#: Checks made at once (a turn of the loop each) before checking every `POLL` seconds.
FAST_CHECKS = 8
POLL = 0.001

_Typed = events.Key | events.Paste


class KeyOrderedApp(App[ReturnType], Generic[ReturnType]):
    """An App that hands out typed keys and pastes strictly one after another."""

    def __init__(self, driver_class: type[Driver] | None = None) -> None:
        super().__init__(driver_class=driver_class)
        self._held: deque[_Typed] = deque()
        self._in_flight = False
        self._releasing: _Typed | None = None
        self._handling = 0
        self._holds = 0
        self._settled = asyncio.Event()
        self._settled.set()

    async def keys_settled(self) -> None:
        """Wait until every key typed so far has been handed out and has settled (tests)."""
        for _ in range(3):  # keys from the driver's thread reach the app a turn or two later
            await asyncio.sleep(0)
        while True:
            read = asyncio.Event()
            self.call_later(read.set)  # behind every key already in the app's queue
            await read.wait()
            busy = self._held or self._in_flight or self._holds
            if not (busy or self._releasing is not None):
                return
            await self._settled.wait()

    def hold_keys(self) -> Callable[[], None]:
        """Keep the next keys back until the returned function is called: for a key whose
        effect (a screen it opens, a focus it moves) only follows once a worker is done."""
        self._holds += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._holds -= 1

        return release

    async def on_event(self, event: events.Event) -> None:
        self._handling += 1  # a queue is empty while its message is being handled: count it
        try:
            await self._on_event(event)
        finally:
            self._handling -= 1

    async def _on_event(self, event: events.Event) -> None:
        if not isinstance(event, _Typed) or event.is_forwarded:
            await super().on_event(event)
            return
        if not self.screen_stack:  # shutting down: no screen is left to type into
            self._held.clear()
            self._in_flight, self._releasing = False, None
            return
        if event is self._releasing:
            self._releasing = None
        elif self._in_flight or self._held or self._releasing is not None:
            self._held.append(event)
            return
        self._in_flight = True
        self._settled.clear()
        if isinstance(event, events.Paste) and visible(event.text) != event.text:
            # A paste is the one way a control character gets into a field: what lands
            # there is what the person sees, its stand-ins included (deskapp.display).
            event = events.Paste(visible(event.text))
        await super().on_event(event)
        asyncio.get_running_loop().create_task(self._hand_out_when_settled())

    async def _hand_out_when_settled(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        quiet, checks = 0, 0
        while quiet < 2 and loop.time() < start + (HOLD_LIMIT if self._holds else MAX_HOLD):
            checks += 1
            await asyncio.sleep(0 if checks <= FAST_CHECKS else POLL)
            quiet = quiet + 1 if self._quiet() else 0
        self._in_flight = False
        if self._held:
            self._releasing = self._held.popleft()
            self.post_message(self._releasing)
        else:
            self._settled.set()

    def _quiet(self) -> bool:
        """Nothing waits in the app's queue or in any queue of the screen on top, and the app is
        not in the middle of an event (a key's binding can be awaiting a screen push), and no key
        holds the next ones back."""
        if self.message_queue_size or self._handling or self._holds:
            return False
        try:
            screen = self.screen
        except Exception:  # no screen yet, or shutting down: nothing to wait for
            return True
        return not any(node.message_queue_size for node in screen.walk_children(with_self=True))
