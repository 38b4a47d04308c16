"""What every screen needs, handed to it instead of reached for through the App class.

Screens get one `DeskContext`: the use cases, the message catalog in the chosen language, the
signed-in person and the draft store. Tests build one directly and mount a screen without the
whole application; the App builds the real one at sign-in.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from deskapp.cases import Actor, Desk
from deskapp.changes import ChangeHub
from deskapp.drafts import DraftStore
from deskapp.i18n import Catalog, default_catalog
from deskapp.scripts import ScriptLibrary, default_library


@dataclass
class DeskContext:
    desk: Desk
    lang: str
    catalog: Catalog = field(default_factory=default_catalog)
    drafts: DraftStore = field(default_factory=DraftStore)
    actor: Actor | None = None
    #: A demo database shows its demo accounts on the sign-in screen.
    demo: bool = False
    scripts: ScriptLibrary = field(default_factory=default_library)
    _names: dict[int, str] | None = field(default=None, repr=False)
    _departments: dict[int, str] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _hub: ChangeHub | None = field(default=None, repr=False)

    @property
    def changes(self) -> ChangeHub:
        """The desk process's one change feed (started by its first subscriber)."""
        with self._lock:
            if self._hub is None:
                self._hub = ChangeHub(self.desk.engine)
            return self._hub

    def close(self) -> None:
        """Stop the change feed (the app is leaving)."""
        with self._lock:
            hub, self._hub = self._hub, None
        if hub is not None:
            hub.close()

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

    @property
    def me(self) -> Actor:
        if self.actor is None:
            raise RuntimeError("nobody is signed in")
        return self.actor
