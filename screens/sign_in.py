"""Sign-in: user name (focused), tab, password, enter.

The check runs in a worker (scrypt is slow on purpose); the screen posts `SignedIn` with the
staff id when it succeeds. Every failure reads the same, a locked account's too: the screen
never tells whether an account exists.

`deskapp run` paints this screen before the desk is open (the database stack is imported
meanwhile): a sign-in asked for before then says "starting" and waits for it, keys and all.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static

from deskapp.context import DeskContext
from screens.base import key_label
from widgets.key_bar import KeyBar
from widgets.prose import safe_text
from widgets.safe_input import SafeInput

DEMO_ACCOUNTS = ("agent", "handler", "manager", "supervisor", "legal", "executive", "admin")


class SignInScreen(Screen[None]):
    DEFAULT_CSS = """
    SignInScreen { align: center middle; }
    SignInScreen #signin-box {
        width: 64; max-width: 100%; height: auto; border: round $primary; padding: 1 2;
    }
    SignInScreen #signin-title { text-style: bold; margin-bottom: 1; }
    SignInScreen .signin-label { margin-top: 1; }
    SignInScreen #signin-error { color: $error; margin-top: 1; height: auto; }
    SignInScreen #signin-demo { color: $text-muted; margin-top: 1; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "sign_in", "Sign in", id="signin.submit", priority=True),
    ]

    class SignedIn(Message):
        def __init__(self, staff_id: int, login: str) -> None:
            super().__init__()
            self.staff_id, self.login = staff_id, login

    def __init__(self, ctx: DeskContext, *, notice: str = "") -> None:
        super().__init__()
        self.ctx = ctx
        #: Why the desk came back here (an account disabled while signed in), shown at once.
        self.notice = notice

    def compose(self) -> ComposeResult:
        t = self.ctx.t
        with Center(), Vertical(id="signin-box"):
            yield Static(Text(f"{t('app.title')} · {t('signin.title')}"), id="signin-title")
            yield Static(Text(t("signin.username")), classes="signin-label")
            yield SafeInput(id="signin-user", select_on_focus=False)
            yield Static(Text(t("signin.password")), classes="signin-label")
            yield SafeInput(id="signin-password", password=True)
            yield Static(safe_text(self.notice), id="signin-error")
            if self.ctx.demo:
                yield self._demo_notice()
        yield KeyBar(lambda b: key_label(self.ctx, b))

    def _demo_notice(self) -> Static:
        t = self.ctx.t
        notice = t("signin.demo_notice", accounts=", ".join(DEMO_ACCOUNTS), password="demo")
        return Static(Text(notice), id="signin-demo")

    def desk_opened(self) -> None:
        """The desk is open (the app opens it while this screen is up): a demo says so now."""
        box = self.query("#signin-box")  # none yet: compose will show it
        if self.ctx.demo and box and not self.query("#signin-demo"):
            box.first().mount(self._demo_notice())

    def on_mount(self) -> None:
        self.query_one("#signin-user", Input).focus()

    def action_sign_in(self) -> None:
        user = self.query_one("#signin-user", Input).value
        password = self.query_one("#signin-password", Input).value
        if self.focused is self.query_one("#signin-user", Input) and not password:
            self.query_one("#signin-password", Input).focus()
            return
        if not user.strip() or not password:
            self._error(self.ctx.t("signin.empty"))
            return
        starting = not self.ctx.opened
        self._error(self.ctx.t("signin.starting" if starting else "signin.checking"))
        self._check(user, password, starting)

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def _check(self, user: str, password: str, starting: bool) -> None:
        from deskapp.auth import AccountLocked, SignInError, sign_in

        try:
            engine = self.ctx.desk.engine  # waits while the desk is still being opened
            if starting:
                self.app.call_from_thread(self._error, self.ctx.t("signin.checking"))
            staff = sign_in(engine, user, password)
            # Every list shows names; read them here, where nothing else is going on, so the
            # queue's first page is not queued behind them.
            self.ctx.staff_names()
            self.ctx.department_names()
        except (AccountLocked, SignInError):
            # One message for a wrong name, a wrong password and a locked account, so the
            # screen never tells whether an account exists (the lock is an audit event).
            self.app.call_from_thread(self._failed, self.ctx.t("signin.bad_credentials"))
        except Exception as exc:  # the database is down, or worse: say so, keep the screen
            said = self.ctx.t("common.error", message=self.ctx.explain(exc))
            self.app.call_from_thread(self._failed, said)
        else:
            assert staff.id is not None
            self.post_message(self.SignedIn(staff.id, staff.login))

    def _failed(self, message: str) -> None:
        self._error(message)
        password = self.query_one("#signin-password", Input)
        password.value = ""
        password.focus()

    def _error(self, message: str) -> None:
        self.query_one("#signin-error", Static).update(safe_text(message))
