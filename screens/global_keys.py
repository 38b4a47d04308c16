"""The desk's global keys: the screens they open and to whom they are offered.

`deskapp.app` (the shell: signing in, the lock, leaving) mixes this in; it lives with the screens
it opens, since only the shell may import screens from `deskapp`. It keeps what F2–F9 and ctrl+o
do. A key
is offered (in the key bar, help and palette) only to the people who may use it, and only once
someone is signed in; a locked desk offers nothing but quit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App

from deskapp.context import DeskContext

if TYPE_CHECKING:
    from screens.queue import QueueScreen


class GlobalKeys(App[None]):
    ctx: DeskContext
    _locked: bool

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Desk actions appear (in the key bar and help) only once somebody is signed in; the
        breach board only for the roles that watch it. A locked desk offers nothing but quit."""
        if self._locked and action != "request_quit":
            return False
        if (
            action
            in ("new_complaint", "queue", "breach_board", "inbox", "import_file", "admin", "report")
            and self.ctx.actor is None
        ):
            return False
        if action == "import_file":
            return self._allowed("import")
        if action == "admin":
            from screens.admin import may_administer

            return may_administer(self.ctx)
        if action == "breach_board":
            from screens.breach_board import BOARD_ROLES

            return bool(self.ctx.me.roles & BOARD_ROLES)
        if action == "report":
            from screens.report import REPORT_ROLES

            return bool(self.ctx.me.roles & REPORT_ROLES)
        if action == "new_complaint":
            return self._allowed("intake")
        return True

    def _allowed(self, operation: str) -> bool:
        """F2 (intake) and ctrl+o (import) are offered to the roles the permission table lets do
        them; the use cases check again."""
        from deskapp import permissions

        return self.ctx.actor is not None and permissions.allows(
            operation, self.ctx.me.facts(), None
        )

    def action_import_file(self) -> None:
        from screens.import_file import ImportScreen

        if self._allowed("import") and not isinstance(self.screen, ImportScreen):
            self.push_screen(ImportScreen(self.ctx))

    def action_queue(self) -> None:
        from screens.queue import QueueScreen

        self._show_live(QueueScreen)

    def action_breach_board(self) -> None:
        from screens.breach_board import BOARD_ROLES, BreachBoardScreen

        if self.ctx.actor is not None and self.ctx.me.roles & BOARD_ROLES:
            self._show_live(BreachBoardScreen)

    def _show_live(self, kind: type[QueueScreen]) -> None:
        """Go back to the screen of this kind if it is open (it kept its place), else open it."""
        if self.ctx.actor is None or type(self.screen) is kind:
            return
        for screen in reversed(self.screen_stack):
            if type(screen) is kind:
                while self.screen is not screen:
                    self.pop_screen()
                return
        self.push_screen(kind(self.ctx))

    def action_inbox(self) -> None:
        from screens.inbox import InboxScreen

        if self.ctx.actor is not None and not isinstance(self.screen, InboxScreen):
            self.push_screen(InboxScreen(self.ctx))

    def action_admin(self) -> None:
        """F9, admins only: the key and the palette are not offered to anyone else, and the
        screen refuses anyone else who reaches it."""
        from screens.admin import AdminScreen, may_administer

        if may_administer(self.ctx) and not isinstance(self.screen, AdminScreen):
            self.push_screen(AdminScreen(self.ctx))

    def action_report(self) -> None:
        """F8: the monthly analysis, for the roles that read it."""
        from screens.report import REPORT_ROLES, ReportScreen

        if self.ctx.actor is None or isinstance(self.screen, ReportScreen):
            return
        if self.ctx.me.roles & REPORT_ROLES:
            self.push_screen(ReportScreen(self.ctx))

    def action_help(self) -> None:
        from screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.ctx, self.screen))

    def action_new_complaint(self) -> None:
        from screens.intake import DRAFT_KIND, IntakeScreen

        if not self._allowed("intake") or isinstance(self.screen, IntakeScreen):
            return
        draft = self.ctx.drafts.load(self.ctx.me.login, DRAFT_KIND)
        self.push_screen(IntakeScreen(self.ctx, draft=draft.values if draft else None))
