"""What every screen needs, handed to it instead of reached for through the App class.

Screens get one `DeskContext`: the use cases, the message catalog in the chosen language, the
signed-in person and the draft store. Tests build one directly and mount a screen without the
whole application; the App builds the real one at sign-in.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from deskapp.drafts import DraftStore
from deskapp.i18n import Catalog, default_catalog
from deskapp.scripts import ScriptLibrary, default_library

if TYPE_CHECKING:  # the store's libraries load after the sign-in screen is painted
    from deskapp.cases import Actor, Desk
    from deskapp.changes import ChangeHub
    from deskapp.ladder_watch import LadderWatch
    from deskapp.outbox_watch import OutboxWatch


class DeskNotStarted(RuntimeError):
    """The desk could not be opened (its database unreachable, its schema behind)."""


class DeskContext:
    """`desk` is given at once (tests, commands) or later by `provide` once a worker thread has
    opened it (`deskapp run`: the sign-in screen is painted before the database stack is even
    imported). Reading `desk` before then waits for it: do that from a worker thread only."""

    def __init__(
        self,
        *,
        lang: str,
        desk: Desk | None = None,
        catalog: Catalog | None = None,
        drafts: DraftStore | None = None,
        actor: Actor | None = None,
        demo: bool = False,
        scripts: ScriptLibrary | None = None,
    ) -> None:
        self.lang = lang
        self.catalog = catalog or default_catalog()
        self.drafts = drafts or DraftStore()
        self.actor = actor
        #: A demo database shows its demo accounts on the sign-in screen.
        self.demo = demo
        self._scripts = scripts
        self._names: dict[int, str] | None = None
        self._departments: dict[int, str] | None = None
        self._lock = threading.Lock()
        self._desk = desk
        self._failure: BaseException | None = None
        self._opened = threading.Event()
        if desk is not None:
            self._opened.set()
        self._hub: ChangeHub | None = None
        self._ladder: LadderWatch | None = None
        self._outbox: OutboxWatch | None = None

    @property
    def scripts(self) -> ScriptLibrary:
        """The call scripts' templates (the shipped ones unless given)."""
        if self._scripts is None:
            self._scripts = default_library()
        return self._scripts

    @scripts.setter
    def scripts(self, library: ScriptLibrary) -> None:
        self._scripts = library

    @property
    def desk(self) -> Desk:
        """The desk's use cases; waits until it is open (never call that on the event loop)."""
        self._opened.wait()
        if self._desk is None:
            raise DeskNotStarted(str(self._failure)) from self._failure
        return self._desk

    @property
    def opened(self) -> bool:
        """Whether `desk` is there to read without waiting."""
        return self._desk is not None

    def provide(self, desk: Desk) -> None:
        self._desk = desk
        self._opened.set()

    def fail(self, failure: BaseException) -> None:
        """The desk will not open: whoever waits for it gets `DeskNotStarted`."""
        self._failure = failure
        self._opened.set()

    @property
    def changes(self) -> ChangeHub:
        """The desk process's one change feed (started by its first subscriber; read from
        worker threads, like `desk`)."""
        from deskapp.changes import ChangeHub

        with self._lock:
            if self._hub is None:
                self._hub = ChangeHub(self.desk.engine)
            return self._hub

    def watch_ladder(self) -> None:
        """Start this desk's share of the escalation sweep (`deskapp.ladder_watch`), once;
        call from a worker thread (it waits for the desk)."""
        from deskapp.ladder_watch import LadderWatch

        with self._lock:
            if self._ladder is not None:
                return
            self._ladder = LadderWatch(self.desk, self.desk.settings.escalate_every_seconds)
        if self._ladder.every > 0:
            self._ladder.start()

    def watch_outbox(self) -> None:
        """Start this desk's share of sending letters (`deskapp.outbox_watch`), once; call
        from a worker thread (it waits for the desk)."""
        from deskapp.outbox_watch import OutboxWatch

        with self._lock:
            if self._outbox is not None:
                return
            every = self.desk.settings.smtp.send_every_seconds
            self._outbox = OutboxWatch(self.desk, every)
        if self._outbox.every > 0:
            self._outbox.start()

    def close(self) -> None:
        """Stop the change feed, the escalation sweep and the sending (the app is leaving)."""
        with self._lock:
            hub, self._hub = self._hub, None
            ladder, self._ladder = self._ladder, None
            outbox, self._outbox = self._outbox, None
        if hub is not None:
            hub.close()
        for watch in (ladder, outbox):
            if watch is not None:
                watch.close()

    def staff_names(self) -> dict[int, str]:
        """Display names by staff id, read once per session: every list that shows who is
        assigned needs them, and reading them per screen put a query before each first paint.
        Call from a worker thread (the first call reads the database)."""
        with self._lock:
            if self._names is None:
                self._names = self.desk.staff_names()
            return self._names

    def forget_names(self) -> None:
        """After staff or departments changed here (the admin screen): read them again."""
        with self._lock:
            self._names = None
            self._departments = None

    def department_names(self) -> dict[int, str]:
        """Department names by id in the desk's language, read once per session."""
        with self._lock:
            if self._departments is None:
                zh = self.lang == "zh"
                self._departments = {
                    d.id: (d.name if zh else d.name_en or d.name) for d in self.desk.departments()
                }
            return self._departments

    def t(self, key: str, **values: Any) -> str:
        """The UI string `key` in the desk's language."""
        return self.catalog.text(key, self.lang, **values)

    def explain(self, error: BaseException, limit: int = 200) -> str:
        """An error in one line for the person at the desk: a storage fault (busy, disk full,
        read-only, unreachable) in their language with what to do, anything else as
        `describe` gives it. What was typed is never lost to one of these (drafts)."""
        import sys

        from deskapp.errors import describe

        engine = sys.modules.get("store.engine")  # no database error before the store loads
        opened = self._desk.engine if self._desk is not None else None
        found = engine.trouble(error, opened) if engine is not None else None
        if found is not None:
            return self.t(f"trouble.{found.value}")
        return describe(error, limit)

    @property
    def me(self) -> Actor:
        if self.actor is None:
            raise RuntimeError("nobody is signed in")
        return self.actor
