"""What every screen needs, handed to it instead of reached for through the App class.

Screens get one `DeskContext`: the use cases, the message catalog in the chosen language, the
signed-in person and the draft store. Tests build one directly and mount a screen without the
whole application; the App builds the real one at sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deskapp.cases import Actor, Desk
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

    def t(self, key: str, **values: Any) -> str:
        """The UI string `key` in the desk's language."""
        return self.catalog.text(key, self.lang, **values)

    @property
    def me(self) -> Actor:
        if self.actor is None:
            raise RuntimeError("nobody is signed in")
        return self.actor
