"""The command palette (ctrl+p): what this person can do here, and jump to a case.

Actions come from the active screen's enabled bindings, so the palette offers exactly what the
keys offer (and what `check_action` allows for this role and state). Typing a case number or a
customer's phone lists matching cases; choosing one opens it.
"""

from __future__ import annotations

import asyncio
from functools import partial

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

from deskapp.context import DeskContext
from deskapp.display import one_line
from deskapp.i18n import enum_label
from screens.base import key_label


class DeskCommands(Provider):
    @property
    def _ctx(self) -> DeskContext | None:
        ctx = getattr(self.app, "ctx", None)
        return ctx if isinstance(ctx, DeskContext) else None

    def _actions(self) -> list[tuple[str, str, DOMNode]]:
        ctx = self._ctx
        if ctx is None:
            return []
        found: list[tuple[str, str, DOMNode]] = []
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not active.enabled or binding.action in seen or binding.action == "command_palette":
                continue
            if binding.action.startswith("focus_") or binding.action == "copy_text":
                continue
            seen.add(binding.action)
            found.append((key_label(ctx, binding), binding.action, active.node))
        return found

    async def discover(self) -> Hits:
        for label, action, node in self._actions():
            yield DiscoveryHit(label, partial(self.app.run_action, action, node))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, action, node in self._actions():
            score = matcher.match(label)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(label), partial(self.app.run_action, action, node)
                )
        ctx = self._ctx
        if ctx is None or ctx.actor is None:
            return
        cases = await asyncio.to_thread(ctx.desk.find_cases, query, limit=10)
        for case in cases:
            text = Text(f"{case.number}  ")
            text.append(one_line(case.subject))  # customer text: plain, never markup
            text.append(f"  · {enum_label(case.status, ctx.lang)}", style="dim")
            yield Hit(
                1.0,
                text,
                partial(self._open_case, case.number),
                text=f"{case.number} {one_line(case.subject)}",
            )

    def _open_case(self, number: str) -> None:
        from screens.case import CaseScreen

        ctx = self._ctx
        if ctx is not None:
            self.app.push_screen(CaseScreen(ctx, number))
