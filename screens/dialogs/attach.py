"""Attach a file to a case: its path on the desk host, and a short note.

Like the case actions, the dialog saves itself, so a refusal (no such file, too large, a type
not taken, already attached, the database away) is said in place with the path and the note as
typed; only a file attached closes it. The copy runs in a worker: a recording of tens of
megabytes is hashed and copied without holding up the screen.

Served to a browser (`deskapp serve`), the desk runs on the server and a path names a file
there; the dialog then also shows this session's upload page and lists what arrived through
it (`deskapp.uploads`): picking one fills the path, and an upload attached leaves the inbox.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from deskapp.cases import Attached
from deskapp.context import DeskContext
from deskapp.errors import DeskError, InvalidInput
from deskapp.evidence import human_size
from deskapp.i18n import localise_problem
from deskapp.uploads import Inbox, InboxFile, session_inbox
from widgets.prose import Prose, safe_line
from widgets.safe_input import SafeInput


class AttachDialog(ModalScreen[Attached | None]):
    DEFAULT_CSS = """
    AttachDialog { align: center middle; }
    AttachDialog > Vertical {
        width: 76; max-width: 98%; height: auto; max-height: 95%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    AttachDialog .attach-title { text-style: bold; }
    AttachDialog .attach-label { margin-top: 1; color: $text-muted; }
    AttachDialog #attach-error { color: $error; text-style: bold; }
    AttachDialog .-invalid { border: tall $error; }
    AttachDialog OptionList { height: auto; max-height: 6; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Attach", id="attach.save", priority=True),
        Binding("escape", "dismiss", "Back", id="attach.back"),
    ]

    def __init__(self, ctx: DeskContext, number: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.number = number
        #: Set while a file is being attached: a second ctrl+s must not attach it twice.
        self.saving = False
        #: This session's uploads, when the desk is served to a browser.
        self.inbox: Inbox | None = session_inbox()
        self._listed: list[InboxFile] | None = None  # None: not listed yet

    def compose(self) -> ComposeResult:
        t, limits = self.ctx.t, self.ctx.desk.settings.evidence
        with Vertical():
            yield Static(safe_line(t("attach.title", number=self.number)), classes="attach-title")
            yield Static(Text(t("attach.path")), classes="attach-label")
            yield SafeInput(id="attach-path", placeholder="/home/…/photo.jpg")
            yield Static(Text(t("attach.note")), classes="attach-label")
            yield SafeInput(id="attach-note")
            if self.inbox is not None:
                # A plain URL: the browser's terminal makes it a link to open.
                yield Static(Text(t("attach.uploads", url=self.inbox.url)), classes="attach-label")
                yield OptionList(id="attach-inbox")
            yield Static(Text(""), id="attach-error")
            allowed = ", ".join(limits.allowed_types)
            hint = t("attach.hint", limit=human_size(limits.max_bytes), types=allowed)
            yield Static(Prose(hint), classes="attach-label")

    def on_mount(self) -> None:
        self.query_one("#attach-path", Input).focus()
        if self.inbox is not None:
            self._list_uploads()
            self.set_interval(1.0, self._list_uploads)

    def _list_uploads(self) -> None:
        """The inbox as it is now (a small local folder: cheap enough for the event loop)."""
        assert self.inbox is not None
        files = self.inbox.files()
        if files == self._listed:
            return
        self._listed = files
        listing = self.query_one("#attach-inbox", OptionList)
        listing.clear_options()
        if not files:
            listing.add_option(Option(Text(self.ctx.t("attach.no_uploads")), disabled=True))
        for f in files:
            listing.add_option(Option(safe_line(f"{f.name}  ({human_size(f.size)})"), id=f.name))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = next((f for f in self._listed or () if f.name == event.option.id), None)
        if chosen is not None:
            self.query_one("#attach-path", Input).value = str(chosen.path)

    def action_save(self) -> None:
        if self.saving:
            return
        self.saving = True
        self._error(self.ctx.t("attach.saving"))
        path = self.query_one("#attach-path", Input).value
        note = self.query_one("#attach-note", Input).value
        self._attach_file(path, note)

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def _attach_file(self, path: str, note: str) -> None:
        ctx = self.ctx
        try:
            done = self._attach_one(path, note)
        except InvalidInput as exc:
            problems = {k: localise_problem(k, v, ctx.lang) for k, v in exc.problems.items()}
            self.app.call_from_thread(self._refused, problems, "")
        except DeskError as exc:
            refused = ctx.t("case_action.refused", why=ctx.explain(exc))
            self.app.call_from_thread(self._refused, {}, refused)
        except Exception as exc:  # the database is away: keep what was typed, say so
            message = ctx.t("common.error", message=ctx.explain(exc))
            self.app.call_from_thread(self._refused, {}, message)
        else:
            self.app.call_from_thread(self.dismiss, done)

    def _attach_one(self, path: str, note: str) -> Attached:
        """An upload goes in as what the browser sent (its name, "browser upload"), and leaves
        the inbox once attached; any other path is a file on this host."""
        ctx, inbox, source = self.ctx, self.inbox, Path(path.strip())
        if inbox is None or not inbox.holds(source) or not source.is_file():
            return ctx.desk.attach_file(ctx.me, self.number, path, note=note)
        with source.open("rb") as data:
            done = ctx.desk.attach_bytes(
                ctx.me, self.number, source.name, data, note=note, reference="browser upload"
            )
        source.unlink(missing_ok=True)
        return done

    def _refused(self, problems: dict[str, str], message: str) -> None:
        self.saving = False
        for name in ("path", "note"):
            self.query_one(f"#attach-{name}").set_class(name in problems, "-invalid")
        lines = [
            self.ctx.t("validation.field_problem", field=self.ctx.t(f"attach.{name}"), problem=why)
            for name, why in problems.items()
        ]
        self._error("\n".join([*lines, message]).strip())

    def _error(self, message: str) -> None:
        self.query_one("#attach-error", Static).update(Prose(message))
