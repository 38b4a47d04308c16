"""One workflow action on a case: what it needs typed or chosen, then the save.

The dialog saves itself instead of handing values back, so nothing typed is lost when the save
fails: a refusal (role, state, a guard such as "the proposer cannot approve") is shown in the
dialog with every field as it was; a conflict (someone saved the case since it was opened) says
who changed what and moves the dialog onto the new version, so `ctrl+s` again re-applies the
same text deliberately. Only a successful save closes it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Select, SelectionList, Static, TextArea
from textual.widgets.selection_list import Selection

from deskapp import workflow
from deskapp.case_view import CaseDetail
from deskapp.context import DeskContext
from deskapp.domain import (
    Category,
    ClaimType,
    RemedyType,
    RiskFlag,
    RootCause,
    Severity,
    ToldBy,
)
from deskapp.errors import ConflictError, DeskError, InvalidInput
from deskapp.i18n import enum_label, localise_problem
from widgets.prose import Prose, safe_line
from widgets.safe_input import SafeInput, SafeTextArea

#: Not a workflow step: a note on the case (`Desk.add_note`), saved the same careful way.
NOTE = "add_note"

#: The "5 whys": each answer asks why the one before happened.
WHYS = tuple(f"why{n}" for n in range(1, 6))

#: What each action asks for, in order; the names are `Desk.act` parameters. A reason box is
#: added for every action that needs one; an action that asks for nothing else offers an
#: optional comment.
FIELDS: dict[str, tuple[str, ...]] = {
    "classify": ("category", "claim_type", "severity", "flags"),
    "dispatch": ("department_id", "assisting"),
    "transfer": ("department_id",),
    "assign": ("assignee_id",),
    "record_contact": ("mode", "outcome"),
    "record_root_cause": ("root_cause_category", *WHYS),
    "propose_plan": (
        "remedy_types",
        "remedy",
        "compensation_amount",
        "rectification",
        "rectify_by",
    ),
    "submit_report": ("report",),
    "record_rectification": ("outcome",),
    "give_feedback": ("told_by", "comment"),
    "revisit": ("satisfaction", "comment"),
    "decline": ("told_by",),
    NOTE: ("note", "customer_facing"),
}
_LONG_TEXT = frozenset(
    {"reason", "comment", "outcome", "remedy", "note", "report", "rectification"}
)
_REQUIRED = frozenset(
    (
        "reason",
        "department_id",
        "assignee_id",
        "satisfaction",
        "remedy",
        "note",
        "root_cause_category",
        "why1",
        "told_by",
        "report",
    )
)
CONTACT_MODES = ("phone", "written")


class CaseActionDialog(ModalScreen[bool]):
    DEFAULT_CSS = """
    CaseActionDialog { align: center middle; }
    CaseActionDialog > Vertical {
        width: 72; max-width: 98%; height: auto; max-height: 95%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    CaseActionDialog .action-title { text-style: bold; }
    CaseActionDialog .action-label { margin-top: 1; color: $text-muted; }
    CaseActionDialog TextArea { height: 4; }
    CaseActionDialog SelectionList { height: auto; max-height: 8; }
    CaseActionDialog #action-error { color: $error; text-style: bold; }
    CaseActionDialog .-invalid { border: tall $error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="case_action.save", priority=True),
        Binding("escape", "cancel", "Back", id="case_action.back"),
    ]

    def __init__(
        self,
        ctx: DeskContext,
        detail: CaseDetail,
        action: str,
        *,
        assignable: list[tuple[int, str]] | None = None,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.detail = detail
        self.action = action
        self.transition = workflow.TRANSITIONS.get(action)  # None: a note, not a transition
        self.version = detail.version
        self.assignable = assignable or []
        fields = FIELDS.get(action, ())
        if self.transition is not None and self.transition.needs_reason:
            fields = (*fields, "reason")  # the reason is the comment: one box, not two
        self.fields = fields or ("comment",)
        #: Set while a save is under way: a second ctrl+s must not send the action twice.
        self.saving = False

    # -- the form -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        t = self.ctx.t
        with Vertical():
            title = t(
                "case_action.title",
                action=t(f"action.{self.action}"),
                number=self.detail.complaint.number,
            )
            yield Static(safe_line(title), classes="action-title")
            with VerticalScroll():
                for name in self.fields:
                    yield Static(Text(t(f"case_action.field.{name}")), classes="action-label")
                    yield self._widget(name)
            yield Static(Text(""), id="action-error")
            yield Static(Text(t("case_action.hint")), classes="action-label")

    def _widget(self, name: str) -> Widget:
        t, lang, c = self.ctx.t, self.ctx.lang, self.detail.complaint
        wid = f"action-{name}"
        if name in _LONG_TEXT:
            return SafeTextArea(id=wid, soft_wrap=True)
        if name == "category":
            return _select(wid, [(enum_label(x, lang), x.value) for x in Category], c.category)
        if name == "claim_type":
            return _select(wid, [(enum_label(x, lang), x.value) for x in ClaimType], c.claim_type)
        if name == "severity":
            return _select(wid, [(enum_label(x, lang), x.value) for x in Severity], c.severity)
        if name == "flags":
            return _ticks(wid, RiskFlag, c.flags, lang)
        if name == "customer_facing":
            return Checkbox(t("case_action.customer_facing"), False, id=wid)
        if name == "remedy_types":
            return _ticks(wid, RemedyType, c.remedy_types, lang)
        if name == "root_cause_category":
            options = [(enum_label(x, lang), x.value) for x in RootCause]
            return _select(wid, options, c.root_cause_category or None)
        if name in WHYS:
            known = c.root_cause.splitlines()
            n = WHYS.index(name)
            return SafeInput(known[n] if n < len(known) else "", id=wid)
        if name == "department_id":
            # A transfer goes elsewhere; a dispatch starts from the department intake proposed.
            moving = self.action == "transfer"
            options = [
                (dept, str(ident))
                for ident, dept in sorted(self.detail.departments.items(), key=lambda kv: kv[1])
                if not (moving and ident == c.primary_dept_id)
            ]
            proposed = None if moving or c.primary_dept_id is None else str(c.primary_dept_id)
            return _select(wid, options, proposed)
        if name == "assisting":
            items = [
                Selection(safe_line(dept), str(ident), False)
                for ident, dept in sorted(self.detail.departments.items(), key=lambda kv: kv[1])
            ]
            return SelectionList(*items, id=wid)
        if name == "assignee_id":
            return _select(wid, [(who, str(ident)) for ident, who in self.assignable], None)
        if name == "mode":
            return _select(wid, [(t(f"case_action.mode.{m}"), m) for m in CONTACT_MODES], "phone")
        if name == "told_by":  # chosen each time: how they were told is the record
            return _select(wid, [(enum_label(m, lang), m.value) for m in ToldBy], None)
        if name == "satisfaction":
            return _select(wid, [(str(n), str(n)) for n in range(5, 0, -1)], None)
        return SafeInput(id=wid)

    def on_mount(self) -> None:
        first = self.query(f"#action-{self.fields[0]}").first()
        first.focus()

    def typed(self) -> dict[str, Any]:
        """What was typed and chosen, field by field; empty text is left out."""
        typed: dict[str, Any] = {}
        for name in self.fields:
            widget = self.query_one(f"#action-{name}")
            if isinstance(widget, TextArea):
                if widget.text.strip():
                    typed[name] = widget.text.strip()
            elif isinstance(widget, Input):
                if widget.value.strip():
                    typed[name] = widget.value.strip()
            elif isinstance(widget, Checkbox):
                typed[name] = widget.value
            elif isinstance(widget, SelectionList):
                typed[name] = list(widget.selected)
            elif isinstance(widget, Select) and widget.value is not Select.NULL:
                typed[name] = widget.value
        return typed

    def params(self) -> dict[str, Any]:
        """`typed` as `Desk.act` parameters: ids as numbers, the whys as one chain."""
        params = self.typed()
        for name in ("department_id", "assignee_id", "satisfaction"):
            if name in params:
                params[name] = int(params[name])
        if "assisting" in params:
            params["assisting"] = [int(d) for d in params["assisting"]]
        whys = [params.pop(w) for w in WHYS if w in params]
        if self.action == "record_root_cause":
            params["whys"] = whys
        return params

    # -- saving -------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.saving:
            return
        problems = self._check()
        if problems:
            self._show_problems(problems)
            return
        self.saving = True
        self._error(self.ctx.t("case_action.saving"))
        self._save(self.params(), self.version)

    def _check(self) -> dict[str, str]:
        """What can be told before asking the database: a missing reason, a bad amount."""
        t = self.ctx.t
        values = self.typed()
        problems: dict[str, str] = {}
        for name in self.fields:
            if name in _REQUIRED and name not in values:
                problems[name] = t("validation.required")
        amount = values.get("compensation_amount")
        if amount is not None:
            try:
                if Decimal(str(amount)) < 0:
                    problems["compensation_amount"] = t("validation.negative")
            except InvalidOperation:
                problems["compensation_amount"] = t("validation.not_a_number")
        return problems

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def _save(self, params: dict[str, Any], version: int) -> None:
        desk, ctx = self.ctx.desk, self.ctx
        number = self.detail.complaint.number
        try:
            if self.action == NOTE:
                desk.add_note(
                    ctx.me,
                    number,
                    params["note"],
                    customer_facing=bool(params.get("customer_facing")),
                    expected_version=version,
                )
            else:
                desk.act(ctx.me, number, self.action, expected_version=version, **params)
        except ConflictError as exc:
            self.app.call_from_thread(self._conflict, exc)
        except InvalidInput as exc:
            problems = {k: localise_problem(k, v, ctx.lang) for k, v in exc.problems.items()}
            self.app.call_from_thread(self._refused, problems, "")
        except DeskError as exc:
            refused = ctx.t("case_action.refused", why=ctx.explain(exc))
            self.app.call_from_thread(self._refused, {}, refused)
        except Exception as exc:  # the database is gone or locked: keep everything typed
            self.app.call_from_thread(
                self._refused, {}, ctx.t("common.error", message=ctx.explain(exc))
            )
        else:
            self.app.call_from_thread(self.dismiss, True)

    def _conflict(self, exc: ConflictError) -> None:
        t = self.ctx.t
        who = "; ".join(
            t(
                "case_action.change",
                who=c.actor,
                what=t(f"action.{c.kind}") if f"action.{c.kind}" in self.ctx.catalog else c.kind,
            )
            for c in exc.changes
        )
        self.version = exc.current
        self.saving = False
        self._error(t("case_action.conflict", who=who or t("case_action.someone")))

    def _refused(self, problems: dict[str, str], message: str) -> None:
        self.saving = False
        self._show_problems(problems)
        if message:
            self._error(message)

    def _show_problems(self, problems: dict[str, str]) -> None:
        t = self.ctx.t
        for name in self.fields:
            self.query_one(f"#action-{name}").set_class(name in problems, "-invalid")
        lines = [
            t("validation.field_problem", field=t(f"case_action.field.{name}"), problem=why)
            for name, why in problems.items()
        ]
        self._error("\n".join(lines))

    def _error(self, message: str) -> None:
        self.query_one("#action-error", Static).update(Prose(message))

    def action_cancel(self) -> None:
        self.dismiss(False)


def _select(wid: str, options: list[tuple[str, str]], value: str | None) -> Select[str]:
    items = [(safe_line(label), v) for label, v in options]
    if value is not None and any(v == value for _, v in options):
        return Select(items, value=value, id=wid)
    return Select(items, id=wid)


def _ticks(wid: str, kinds: type[StrEnum], chosen: str, lang: str) -> SelectionList[str]:
    """A tick list of an enum's values, those in the space-separated `chosen` ticked."""
    ticked = set(chosen.split())
    items = [Selection(Text(enum_label(k, lang)), k.value, k.value in ticked) for k in kinds]
    return SelectionList(*items, id=wid)
