"""The idle lock: an unattended desk hides what it showed (customers' names, phones, the case
being read) behind this screen until the person who signed in proves it is them again.

It is a whole screen, not a dialog over the old one, so nothing underneath shows through; the
screens underneath stay on the stack, with whatever was typed in them. The password is checked
like a sign-in (failures count towards the same lockout); a desk signed in as the
operating-system user (SSH) opens again with any key, once the account is confirmed to be still
active. The screen dismisses with `True` when opened again, `False` when the person must sign in
anew (too many wrong passwords, or the account was disabled), with the message to show then.
"""

from __future__ import annotations

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from deskapp.auth import AccountLocked, SignInError, os_login, sign_in, unlock_os_user
from deskapp.context import DeskContext
from deskapp.errors import DeskError
from widgets.prose import safe_text
from widgets.safe_input import SafeInput


class LockScreen(Screen[tuple[bool, str]]):
    DEFAULT_CSS = """
    LockScreen { align: center middle; background: $background; }
    LockScreen #lock-box {
        width: 64; max-width: 100%; height: auto; border: round $warning; padding: 1 2;
    }
    LockScreen #lock-title { text-style: bold; }
    LockScreen .lock-line { margin-top: 1; height: auto; }
    LockScreen #lock-error { color: $error; margin-top: 1; height: auto; }
    """

    def __init__(self, ctx: DeskContext, *, idle_minutes: int, os_user: bool) -> None:
        super().__init__()
        self.ctx = ctx
        self.idle_minutes = idle_minutes
        self.os_user = os_user
        self._checking = False

    def compose(self) -> ComposeResult:
        t = self.ctx.t
        me = self.ctx.me
        with Center(), Vertical(id="lock-box"):
            yield Static(Text(f"{t('app.title')} · {t('lock.title')}"), id="lock-title")
            yield Static(
                safe_text(t("lock.who", name=me.display_name, minutes=self.idle_minutes)),
                classes="lock-line",
            )
            yield Static(Text(t("lock.kept")), classes="lock-line")
            if self.os_user:
                yield Static(
                    safe_text(t("lock.os_user", user=me.login)), classes="lock-line", id="lock-key"
                )
            else:
                yield Static(Text(t("lock.password")), classes="lock-line")
                yield SafeInput(id="lock-password", password=True)
            yield Static(Text(""), id="lock-error")

    def on_mount(self) -> None:
        if not self.os_user:
            self.query_one("#lock-password", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._checking or not event.value:
            return
        self._checking = True
        self._say(self.ctx.t("lock.checking"))
        self._check_password(event.value)

    def on_key(self, event: events.Key) -> None:
        if self.os_user and not self._checking:
            event.stop()
            self._checking = True
            self._check_os_user()

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def _check_password(self, password: str) -> None:
        try:
            sign_in(self.ctx.desk.engine, self.ctx.me.login, password, unlocking=True)
        except AccountLocked as exc:
            said = self.ctx.t("lock.signed_out", minutes=exc.minutes)
            self.app.call_from_thread(self.dismiss, (False, said))
        except SignInError:  # a wrong password, or the account was disabled meanwhile
            self.app.call_from_thread(self._wrong)
        except Exception as exc:  # the database is away: say so, stay locked
            self.app.call_from_thread(self._retry, self.ctx.explain(exc))
        else:
            self.app.call_from_thread(self.dismiss, (True, ""))

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def _check_os_user(self) -> None:
        try:
            unlock_os_user(self.ctx.desk.engine, os_login(), self.ctx.me.staff_id)
        except DeskError:
            self.app.call_from_thread(self.dismiss, (False, self.ctx.t("lock.gone")))
        except Exception as exc:
            self.app.call_from_thread(self._retry, self.ctx.explain(exc))
        else:
            self.app.call_from_thread(self.dismiss, (True, ""))

    def _wrong(self) -> None:
        self._retry(self.ctx.t("lock.wrong"))

    def _retry(self, message: str) -> None:
        self._checking = False
        self._say(message)
        if not self.os_user:
            password = self.query_one("#lock-password", Input)
            password.value = ""
            password.focus()

    def _say(self, message: str) -> None:
        self.query_one("#lock-error", Static).update(safe_text(message))
