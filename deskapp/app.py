"""The application shell: builds the context, owns the global keys, and moves between screens.

Screens and widgets hold their own logic; this class only wires them. `deskapp run` hands it a
factory for the desk rather than the desk: the sign-in screen is painted first, with nothing
of the database stack (SQLAlchemy, SQLModel, the store, the heavier screens) imported, and a
worker opens the desk and imports the rest while the person types. So this module imports
only what the sign-in screen needs; the other screens are imported where they are shown.

Every binding has an id so the user's keymap (config `keymap`, by id) can remap it; docs/keys.md
is generated from the bindings by `deskapp keys`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.notifications import SeverityLevel
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from deskapp import clock
from deskapp.context import DeskContext
from deskapp.display import one_line, visible
from deskapp.domain import Role
from deskapp.drafts import DraftStore
from deskapp.errors import DeskError
from deskapp.logs import log
from deskapp.scripts import ScriptLibrary
from deskapp.startup import let_collector_go
from screens.base import HoldsDraft, report_failure
from screens.dialogs.confirm import ConfirmDialog
from screens.global_keys import GlobalKeys
from screens.palette import DeskCommands
from screens.sign_in import SignInScreen
from widgets.key_bar import key_display
from widgets.key_order import KeyOrderedApp
from widgets.terminal_driver import DeskDriver

if TYPE_CHECKING:
    from deskapp.alerts import Alert
    from deskapp.cases import Actor, Desk
    from deskapp.config import Settings
    from deskapp.first_settings import FirstSettings

#: What the worker that opens the desk imports while the person types, so that the first
#: screens after sign-in (and the keys that open the others) do not wait for an import.
WARM_UP = (
    "screens.queue",
    "deskapp.alerts",
    "deskapp.auth",
    "screens.admin",
    "screens.breach_board",
    "screens.case",
    "screens.import_file",
    "screens.inbox",
    "screens.intake",
    "screens.lock",
)

#: Who is told when a calendar's holiday data runs out.
CALENDAR_KEEPERS = frozenset({Role.ADMIN, Role.SUPERVISOR})
#: Seconds between checks of my cases for at-risk, breached and newly assigned.
ALERT_EVERY = 2.0
#: Seconds between looks at how long the desk has been left without a key.
IDLE_CHECK_EVERY = 5.0
#: Seconds a hung-up desk has to leave in order before it is ended (its draft is saved first).
HANG_UP_GRACE = 1.5
THEMES = {"ansi": "ansi-dark", "ansi-dark": "ansi-dark", "ansi-light": "ansi-light"}


def os_login() -> str:
    """The operating-system user's name (`deskapp.auth.os_login`, which brings the store's
    libraries: imported when asked, not before the sign-in screen)."""
    from deskapp.auth import os_login as login

    return login()


class DeskApp(GlobalKeys, KeyOrderedApp[None]):
    TITLE = "投诉处理台 Complaint desk"
    # Toasts as Textual draws them take half an 80-column screen and five lines each: keep
    # them to the lines they need, at most 40 % of the width.
    CSS = """
    Toast { max-width: 40%; padding: 0 1; margin-top: 0; }
    """
    ENABLE_COMMAND_PALETTE = True
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {DeskCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+p", "command_palette", "Commands", id="app.palette", priority=True),
        Binding("f1", "help", "Help", id="app.help"),
        Binding("f2", "new_complaint", "New complaint", id="app.new_complaint"),
        Binding("f3", "queue", "Queue", id="app.queue"),
        Binding("f4", "breach_board", "Breaches", id="app.breach_board"),
        Binding("f7", "inbox", "Inbox", id="app.inbox"),
        Binding("f8", "report", "Report", id="app.report"),
        Binding("ctrl+o", "import_file", "Import", id="app.import"),
        Binding("f9", "admin", "Staff admin", id="app.admin"),
        Binding("ctrl+q", "request_quit", "Quit", id="app.quit", priority=True),
    ]

    def __init__(
        self,
        *,
        desk: Desk | Callable[[], Desk],
        lang: str,
        lang_fixed: bool = False,
        drafts: DraftStore | None = None,
        os_user: bool = False,
        demo: bool | None = None,
        scripts: ScriptLibrary | None = None,
        settings: FirstSettings | Settings | None = None,
    ) -> None:
        """`desk` is the desk, or a factory that opens it (called in a worker after the
        sign-in screen is painted; what it raises ends the app, kept in `startup_error`).
        `demo` None: asked of the database once it is open; `scripts` None with a factory:
        loaded from the desk's settings there. `settings`: what the first frame needs (by
        default read without pydantic, `deskapp.first_settings`); the desk's own settings
        replace them once it is open."""
        # Textual's own choice stands where it is asked for (TEXTUAL_DRIVER: the browser mode)
        # or where the Linux driver does not apply.
        native = sys.platform != "win32" and "TEXTUAL_DRIVER" not in os.environ
        super().__init__(driver_class=DeskDriver if native else None)
        self._drafts = drafts or DraftStore()
        self._demo = demo
        self._open: Callable[[], Desk] | None = None
        self._load_scripts = scripts is None
        #: Why the desk could not be opened (the factory's exception); the app has exited.
        self.startup_error: BaseException | None = None
        # With a factory and no templates given, they are read with the desk (in the worker).
        self.ctx = DeskContext(lang=lang, demo=bool(demo), scripts=scripts)
        if callable(desk):
            self._open = desk
            if settings is None:
                from deskapp.first_settings import first_settings

                settings = first_settings()
        else:
            # A draft belongs to the database it was typed for (`desk_info.desk_id`).
            self.ctx.drafts = self._drafts.for_desk(desk.desk_id())
            self.ctx.provide(desk)
            settings = desk.settings
        #: What the first frame needs (the theme, the keymap), known before the desk is open.
        self.settings: FirstSettings | Settings = settings
        self.os_user = os_user
        #: The terminal's language, and whether `run --lang` fixed it for this desk (else a
        #: person's own language, `user set --lang`, applies from their sign-in to sign-out).
        self._terminal_lang = lang
        self._lang_fixed = lang_fixed
        self._last_input_at = clock.now()
        self._locked = False
        self._desk_timers: list[Timer] = []
        self._unsubscribe_news: Callable[[], None] | None = None
        self.theme = THEMES.get(settings.theme, settings.theme)
        self.title = self.ctx.t("app.title")

    def on_mount(self) -> None:
        # A dropped SSH connection (SIGHUP) or a polite kill: save what was typed, then leave.
        # Through the event loop, not `signal.signal`: a handler that runs wherever the main
        # thread was interrupted could wait for a lock that very frame holds, and a desk whose
        # terminal had closed then hung for ever instead of exiting.
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGHUP, signal.SIGTERM):
            loop.add_signal_handler(signum, self._hang_up, signum)
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        if not self.os_user:
            self.push_screen(SignInScreen(self.ctx))
        if self._open is None:
            self._desk_opened()
        else:
            # After the sign-in screen's first frame: the imports would only slow it down.
            self.call_after_refresh(self._open_desk, self._open)

    @work(thread=True, exclusive=True, exit_on_error=False, group="start")
    def _open_desk(self, factory: Callable[[], Desk]) -> None:
        """Open the desk while the person types (a sign-in already asked for waits for it,
        `DeskContext.desk`), then import what comes after sign-in, the queue first."""
        import importlib

        try:
            desk = factory()
            if self._load_scripts:
                self.ctx.scripts = ScriptLibrary.load(desk.settings.script_dirs)
            drafts = self._drafts.for_desk(desk.desk_id())
            if self._demo is None:
                from deskapp.overview import is_demo

                self.ctx.demo = is_demo(desk.engine)
        except Exception as exc:
            self.startup_error = exc
            self.ctx.fail(exc)
            self.call_from_thread(self.exit, None, 2)
            let_collector_go()
            return
        self.ctx.drafts = drafts
        self.ctx.provide(desk)
        self.call_from_thread(self._desk_opened)
        try:
            for module in WARM_UP:
                importlib.import_module(module)
        finally:
            let_collector_go()  # held by the entry point while the desk starts

    def _desk_opened(self) -> None:
        settings = self.ctx.desk.settings
        if settings is not self.settings:  # the full settings, now that they are loaded
            if settings.keymap != self.settings.keymap:
                self.set_keymap(settings.keymap)
            theme = THEMES.get(settings.theme, settings.theme)
            if theme != self.theme:
                self.theme = theme
            self.settings = settings
        self._settle_provisional()
        if self.os_user:
            self._sign_in_os_user()
        elif isinstance(self.screen, SignInScreen):
            self.screen.desk_opened()

    @work(thread=True, exclusive=True, exit_on_error=False, group="upkeep")
    def _settle_provisional(self) -> None:
        """Due times given past a calendar's holiday data follow the holidays once they are
        known (a chinesecalendar upgrade, dates added to the calendar file): at every start."""
        from deskapp import milestones
        from store.engine import write_session

        desk = self.ctx.desk
        with write_session(desk.engine) as s:
            milestones.settle_provisional(s, desk.policy, desk.calendars)

    # -- signing in ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def _sign_in_os_user(self) -> None:
        from deskapp.auth import sign_in_os_user

        login = os_login()
        try:
            staff = sign_in_os_user(self.ctx.desk.engine, login)
        except DeskError:
            self.call_from_thread(
                self.exit, None, 3, self.ctx.t("signin.os_user_missing", user=login)
            )
            return
        self.call_from_thread(self._signed_in, staff.login)

    def on_sign_in_screen_signed_in(self, message: SignInScreen.SignedIn) -> None:
        self._signed_in(message.login)

    def _signed_in(self, login: str) -> None:
        from deskapp.alerts import MyCasesWatch
        from deskapp.changes import NewsBox
        from screens.queue import QueueScreen

        self.ctx.actor = self.ctx.desk.actor(login)
        self._speak(self.ctx.actor.language or self._terminal_lang)
        self.refresh_bindings()
        self._warn_about_calendars()
        first = QueueScreen(self.ctx)
        if isinstance(self.screen, SignInScreen):
            self.switch_screen(first)
        else:
            self.push_screen(first)
        self._offer_draft()
        # The first poll takes stock of my cases; it waits one interval so it does not compete
        # with the queue's first page for the database and the interpreter.
        self._news = NewsBox()
        self._watch = MyCasesWatch(self.ctx.desk.engine, self.ctx.me.staff_id, self._news.take)
        self.ctx.watch_ladder()
        self.ctx.watch_outbox()
        self._desk_timers = [self.set_interval(ALERT_EVERY, self._poll_alerts)]
        self._last_input_at = clock.now()
        if self.ctx.desk.settings.idle_lock_minutes:
            self._desk_timers.append(self.set_interval(IDLE_CHECK_EVERY, self.check_idle_lock))

    # -- the idle lock --------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste, events.MouseDown)):
            self._last_input_at = clock.now()
        await super().on_event(event)

    def check_idle_lock(self) -> None:
        """Lock the desk when nobody has touched it for the configured minutes."""
        minutes = self.ctx.desk.settings.idle_lock_minutes
        if self.ctx.actor is None or self._locked or not minutes:
            return
        if clock.now() - self._last_input_at >= timedelta(minutes=minutes):
            self.lock(minutes)

    def lock(self, idle_minutes: int) -> None:
        self._locked = True
        self._flush_drafts()  # a lock may end in a sign-out: what was typed is on disk first
        self._record_lock(self.ctx.me.staff_id, idle_minutes)
        from screens.lock import LockScreen

        lock = LockScreen(self.ctx, idle_minutes=idle_minutes, os_user=self.os_user)
        self.push_screen(lock, self._unlocked)
        self.refresh_bindings()

    @work(thread=True, exit_on_error=False, group="upkeep")
    def _record_lock(self, staff_id: int, idle_minutes: int) -> None:
        from deskapp.auth import record_screen_lock

        record_screen_lock(self.ctx.desk.engine, staff_id, idle_minutes)

    def _unlocked(self, result: tuple[bool, str] | None) -> None:
        self._locked = False
        self._last_input_at = clock.now()
        self.refresh_bindings()
        opened, message = result or (False, "")
        if not opened:
            self.sign_out(message)

    @work(thread=True, exclusive=True, exit_on_error=False, group="alerts")
    def _poll_alerts(self) -> None:
        """Every couple of seconds: is the person still who they were (an account disabled
        since sign-in signs out; changed roles change the keys offered), then my cases."""
        me = self.ctx.actor
        if me is None:
            return
        if self._unsubscribe_news is None:  # before the watch takes stock (its first poll)
            self._unsubscribe_news = self.ctx.changes.subscribe(self._news)
        now_me = self.ctx.desk.account(me.staff_id)
        if now_me is None:
            self.call_from_thread(self.sign_out, self.ctx.t("signin.disabled"))
            return
        if now_me != me:
            self.call_from_thread(self._account_changed, now_me)
        alerts = self._watch.poll(clock.now())
        if alerts:
            self.call_from_thread(self._alert, alerts)

    def _account_changed(self, now_me: Actor) -> None:
        if self.ctx.actor is not None and self.ctx.actor.staff_id == now_me.staff_id:
            self.ctx.actor = now_me
            self.refresh_bindings()

    def _speak(self, lang: str) -> None:
        """Switch the desk's language (screens made from now on use it)."""
        if self._lang_fixed or lang == self.ctx.lang:
            return
        self.ctx.lang = lang
        self.ctx.forget_names()  # department names are read in the desk's language
        self.title = self.ctx.t("app.title")

    def sign_out(self, notice: str) -> None:
        """Back to the sign-in screen with `notice` on it (an account disabled while its desk
        was open): drafts are saved first, every screen of the session is closed. A desk
        signed in as its operating-system user (SSH) has no sign-in screen: it ends."""
        if self.ctx.actor is None:
            return
        self._flush_drafts()
        for timer in self._desk_timers:
            timer.stop()
        self._desk_timers = []
        if self._unsubscribe_news is not None:
            self._unsubscribe_news()
            self._unsubscribe_news = None
        self.ctx.actor = None
        if self.os_user:
            self.exit(None, 3, notice)
            return
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self._speak(self._terminal_lang)  # the next person meets the terminal's language
        self.switch_screen(SignInScreen(self.ctx, notice=notice))
        self.refresh_bindings()

    # -- what goes wrong ------------------------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every toast is plain text with control characters made visible: toasts carry
        subjects, names and error messages, none of which may be read as markup (a message
        with "[/]" in it used to crash the toast) or reach the terminal as a sequence."""
        super().notify(
            visible(message), title=visible(title), severity=severity, timeout=timeout, markup=False
        )

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        """The app's own workers (the alert poll, the OS-user sign-in) report their failures
        the way the screens report theirs (`screens.base.report_failure`)."""
        worker = event.worker
        if event.state is WorkerState.ERROR and worker.error is not None:
            report_failure(self, self.ctx, worker.group, worker.error)

    def action_help_quit(self) -> None:
        """ctrl+c does not quit (it copies in a field); say which key does, in the desk's
        words (Textual's own hint is markup, and toasts here are plain text)."""
        binding = next(b for b in self.BINDINGS if isinstance(b, Binding) and b.id == "app.quit")
        self.notify(self.ctx.t("app.quit_hint", keys=key_display(self, binding)))

    def _alert(self, alerts: list[Alert]) -> None:
        """One short toast per kind of alert from a poll, however many cases it names: ten
        breaches at once must not bury an 80x24 screen under ten toasts. A locked desk shows
        none: they name customers (the inbox keeps them)."""
        from deskapp.alerts import toasts

        if self._locked:
            return
        for text, breached in toasts(alerts, self.ctx.t):
            self.notify(text, severity="error" if breached else "warning", timeout=15)
        if self.ctx.desk.settings.bell:
            self.bell()

    def _warn_about_calendars(self) -> None:
        """Holiday data running out is for the people who can act on it (admins, who edit
        calendars, and supervisors); the breach board shows it too. Agents are not told."""
        if not self.ctx.me.roles & CALENDAR_KEEPERS:
            return
        for name, until in self.ctx.desk.calendars_ending():
            message = self.ctx.t("calendar.data_ending", name=name, until=until.isoformat())
            log.warning("%s", message)
            self.notify(message, severity="warning", timeout=20)

    def _offer_draft(self) -> None:
        """A draft left by a crash, a kill or a lost connection: resume it, or throw it away."""
        from screens.intake import DRAFT_KIND, IntakeScreen, draft_has_content

        if not self._allowed("intake"):
            return
        draft = self.ctx.drafts.load(self.ctx.me.login, DRAFT_KIND)
        if draft is None or not draft_has_content(draft.values):
            return
        t = self.ctx.t
        saved = draft.saved_at.astimezone(self.ctx.desk.settings.tz).strftime("%m-%d %H:%M")
        summary = " / ".join(
            one_line(str(draft.values.get(k) or ""))[:40] for k in ("name", "phone", "subject")
        )
        dialog = ConfirmDialog(
            t("draft.resume_title"),
            t("draft.resume_body", saved_at=saved, summary=summary),
            yes=t("draft.resume"),
            no=t("draft.discard"),
        )

        def answer(resume: bool | None) -> None:
            if resume:
                self.push_screen(IntakeScreen(self.ctx, draft=draft.values))
            else:
                self.ctx.drafts.discard(self.ctx.me.login, DRAFT_KIND)

        self.push_screen(dialog, answer)

    def _hang_up(self, signum: int) -> None:
        self._flush_drafts()
        # The orderly exit writes to a terminal that may be gone; whatever it waits on, the
        # process ends within HANG_UP_GRACE seconds, its draft already saved. A desk left
        # running after its session ended would hold memory and database connections.
        watchdog = threading.Timer(HANG_UP_GRACE, os._exit, args=(128 + signum,))
        watchdog.daemon = True
        watchdog.start()
        self.exit(return_code=128 + signum)

    def on_exit_app(self) -> None:
        """However the desk is asked to leave (ctrl+q, a browser tab closed by textual-serve,
        SIGTERM), what is typed reaches the drafts before the screens go."""
        self._flush_drafts()

    def on_unmount(self) -> None:
        self.ctx.close()  # the change feed's thread and its listening connection

    def _flush_drafts(self) -> None:
        intake = sys.modules.get("screens.intake")  # not imported yet: no intake form is open
        if intake is None:
            return
        for screen in self.screen_stack:
            if isinstance(screen, intake.IntakeScreen):
                screen.flush_draft()

    def action_request_quit(self) -> None:
        busy = [s for s in self.screen_stack if isinstance(s, HoldsDraft)]
        if any(s.has_unsubmitted_work() for s in busy):
            t = self.ctx.t
            dialog = ConfirmDialog(
                t("dialog.quit_unsaved"),
                t("dialog.quit_unsaved_note"),
                yes=t("dialog.quit"),
                no=t("dialog.stay"),
            )
            self._flush_drafts()
            self.push_screen(dialog, lambda quit_: self.exit() if quit_ else None)
        else:
            self.exit()


def render_keys() -> str:
    """docs/keys.md (`deskapp keys`), built from the screens' bindings by screens.key_reference."""
    from screens.key_reference import render_keys as render

    return render()
