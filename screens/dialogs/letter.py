"""The written confirmation after phone contact: the letter the case may have, filled from it,
for the handler to check and edit, then sent (queued for the mail server, or written as an
.eml file when the desk has none).

Like `CaseActionDialog`, the dialog sends itself so nothing typed is lost on a refusal: a bad
address or a case that moved on (the plan sent back by legal) is said in the dialog with the
text as it was. Changing the kind or the language fills the letter again from the case.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Select, Static

from deskapp import permissions
from deskapp.case_view import CaseDetail
from deskapp.cases import case_facts
from deskapp.cases.letters import LetterDraft
from deskapp.context import DeskContext
from deskapp.errors import DeskError, InvalidInput
from deskapp.i18n import LANGUAGES, localise_problem
from deskapp.letters import LetterKind, kinds_for
from deskapp.records import LetterRecord
from deskapp.validation import check_email
from widgets.prose import Prose, safe_line
from widgets.safe_input import SafeInput, SafeTextArea


def letter_offered(ctx: DeskContext, detail: CaseDetail | None) -> bool:
    """Whether the letter key applies: this person may send letters on the case, and the case
    has one to send now (a plan once it may be told, a resolution, a rejection)."""
    me = ctx.actor
    if detail is None or me is None:
        return False
    facts = case_facts(detail.complaint)
    return permissions.allows("send_letter", me.facts(), facts) and bool(
        kinds_for(facts, ctx.desk.rules)
    )


class LetterDialog(ModalScreen[LetterRecord | None]):
    DEFAULT_CSS = """
    LetterDialog { align: center middle; }
    LetterDialog > Vertical {
        width: 90; max-width: 98%; height: auto; max-height: 95%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    LetterDialog .letter-title { text-style: bold; }
    LetterDialog .letter-label { margin-top: 1; color: $text-muted; }
    LetterDialog #letter-choice { height: auto; }
    LetterDialog #letter-choice Select { width: 1fr; }
    LetterDialog #letter-body { height: 14; }
    LetterDialog #letter-error { color: $error; text-style: bold; }
    LetterDialog .-invalid { border: tall $error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", id="letter.send", priority=True),
        Binding("escape", "cancel", "Back", id="letter.back"),
    ]

    def __init__(self, ctx: DeskContext, detail: CaseDetail) -> None:
        super().__init__()
        self.ctx = ctx
        self.detail = detail
        self.kinds = kinds_for(case_facts(detail.complaint), ctx.desk.rules)
        #: The kind and language the fields were last filled for (a change fills again).
        self.filled: tuple[str, str] | None = None
        #: Set while a send is under way: a second ctrl+s must not queue the letter twice.
        self.sending = False

    def compose(self) -> ComposeResult:
        t, number = self.ctx.t, self.detail.complaint.number
        kinds = [(safe_line(t(f"letter.kind.{k}")), k.value) for k in self.kinds]
        langs = [(safe_line(t(f"letter.in_{lang}")), lang) for lang in LANGUAGES]
        with Vertical():
            yield Static(safe_line(t("letter.title", number=number)), classes="letter-title")
            with Horizontal(id="letter-choice"):
                yield Select(kinds, value=self.kinds[0].value, allow_blank=False, id="letter-kind")
                yield Select(langs, value=self.ctx.lang, allow_blank=False, id="letter-lang")
            yield Static(Text(t("letter.recipient")), classes="letter-label")
            yield SafeInput(id="letter-recipient")
            yield Static(Text(t("letter.subject")), classes="letter-label")
            yield SafeInput(id="letter-subject")
            yield Static(Text(t("letter.body")), classes="letter-label")
            yield SafeTextArea(id="letter-body", soft_wrap=True)
            yield Static(Text(t("letter.filling")), id="letter-error")
            yield Static(Text(t("letter.hint")), classes="letter-label")

    def on_mount(self) -> None:
        self.query_one("#letter-body").focus()
        self._fill(self.kinds[0], self.ctx.lang)

    def choice(self) -> tuple[LetterKind, str]:
        kind = self.query_one("#letter-kind", Select).value
        lang = self.query_one("#letter-lang", Select).value
        return LetterKind(str(kind)), str(lang)

    @on(Select.Changed)
    def _chosen(self) -> None:
        kind, lang = self.choice()
        if self.filled is not None and self.filled != (kind.value, lang):
            self._fill(kind, lang)

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def _fill(self, kind: LetterKind, lang: str) -> None:
        ctx = self.ctx
        try:
            draft = ctx.desk.letter_draft(ctx.me, self.detail.complaint.number, kind, lang)
        except DeskError as exc:
            said = ctx.t("case_action.refused", why=ctx.explain(exc))
            self.app.call_from_thread(self._error, said)
            return
        except Exception as exc:  # the database away: say so, the dialog stays
            said = ctx.t("common.error", message=ctx.explain(exc))
            self.app.call_from_thread(self._error, said)
            return
        self.app.call_from_thread(self._show, draft)

    def _show(self, draft: LetterDraft) -> None:
        recipient = self.query_one("#letter-recipient", SafeInput)
        if not recipient.value.strip():  # an address the handler corrected stays
            recipient.value = draft.recipient
        self.query_one("#letter-subject", SafeInput).value = draft.subject
        self.query_one("#letter-body", SafeTextArea).load_text(draft.body)
        self.filled = (draft.kind.value, draft.lang)
        self._error("")

    def typed(self) -> dict[str, str]:
        return {
            "recipient": self.query_one("#letter-recipient", SafeInput).value.strip(),
            "subject": self.query_one("#letter-subject", SafeInput).value.strip(),
            "body": self.query_one("#letter-body", SafeTextArea).text.strip(),
        }

    def action_send(self) -> None:
        if self.sending or self.filled is None:
            return
        values = self.typed()
        problems = {name: "required" for name, value in values.items() if not value}
        if "recipient" not in problems and (why := check_email(values["recipient"])):
            problems["recipient"] = why
        if problems:
            self._problems(problems)
            return
        self.sending = True
        self._error(self.ctx.t("letter.sending"))
        kind, lang = self.choice()
        self._send(kind, lang, values)

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def _send(self, kind: LetterKind, lang: str, values: dict[str, str]) -> None:
        ctx = self.ctx
        number = self.detail.complaint.number
        try:
            letter = ctx.desk.queue_letter(ctx.me, number, kind=kind, lang=lang, **values)
        except InvalidInput as exc:
            self.app.call_from_thread(self._problems, exc.problems)
        except DeskError as exc:
            said = ctx.t("case_action.refused", why=ctx.explain(exc))
            self.app.call_from_thread(self._refused, said)
        except Exception as exc:  # the database away: keep everything typed
            said = ctx.t("common.error", message=ctx.explain(exc))
            self.app.call_from_thread(self._refused, said)
        else:
            self.app.call_from_thread(self.dismiss, letter)

    def _problems(self, problems: dict[str, Any]) -> None:
        t = self.ctx.t
        self.sending = False
        for name in ("recipient", "subject", "body"):
            self.query_one(f"#letter-{name}").set_class(name in problems, "-invalid")
        lines = [
            t(
                "validation.field_problem",
                field=t(f"letter.{name}"),
                problem=localise_problem(name, str(why), self.ctx.lang),
            )
            for name, why in problems.items()
        ]
        self._error("\n".join(lines))

    def _refused(self, message: str) -> None:
        self.sending = False
        self._error(message)

    def _error(self, message: str) -> None:
        self.query_one("#letter-error", Static).update(Prose(message))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @staticmethod
    def said(ctx: DeskContext, letter: LetterRecord) -> str:
        """What the handler is told once the letter is in the outbox, or written to a file."""
        if letter.status == "written":
            return ctx.t("letter.written", path=letter.path)
        return ctx.t("letter.queued", message_id=letter.message_id)
