"""The read-back: what will be registered, worded for reading aloud, with the script for it.

The customer confirms what they hear; the agent ticks that the apology and the promised reply
time were given (that meets the acknowledge milestone at registration).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Static

from deskapp import clock, triage
from deskapp.cases import CustomerLookup, DepartmentInfo, IntakeForm
from deskapp.context import DeskContext
from deskapp.domain import Category, ClaimType, CustomerTier, Severity
from deskapp.i18n import enum_label, field_label
from deskapp.triage_review import Choice, removed_flags
from deskapp.wording import promise_words
from widgets.prose import Prose
from widgets.script_panel import ScriptPanel


@dataclass(frozen=True)
class ReadBack:
    acknowledged: bool


class ReadBackScreen(ModalScreen[ReadBack | None]):
    DEFAULT_CSS = """
    ReadBackScreen { align: center middle; }
    ReadBackScreen > VerticalScroll {
        width: 100; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ReadBackScreen #readback-promise { text-style: bold; color: $success; margin: 1 0; }
    ReadBackScreen Horizontal { height: auto; align-horizontal: right; }
    ReadBackScreen Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "confirm", "Confirm", id="readback.confirm", priority=True),
        Binding("escape", "edit", "Back", id="readback.back"),
    ]

    def __init__(
        self,
        ctx: DeskContext,
        form: IntakeForm,
        promised: datetime,
        customer: CustomerLookup | None,
        suggestions: triage.Suggestions | None,
        departments: list[DepartmentInfo],
    ) -> None:
        super().__init__()
        self.ctx, self.form, self.promised = ctx, form, promised
        self.customer, self.suggestions, self.departments = customer, suggestions, departments

    def compose(self) -> ComposeResult:
        t, lang, form = self.ctx.t, self.ctx.lang, self.form
        promise = promise_words(self.promised, clock.now(), self.ctx.desk.settings.tz, lang)
        found = self.suggestions
        suggested = found.as_choices() if found else {}
        category = form.category or Category.OTHER
        severity = form.severity or Severity.C
        claim = form.claim_type or ClaimType.GENERAL
        flags = form.flags or frozenset()

        def with_hint(key: str, chosen: Category | Severity | ClaimType) -> str:
            """The chosen value, and the suggestion when the agent chose otherwise."""
            wanted = suggested.get(key)
            shown = enum_label(chosen, lang)
            if wanted and wanted != chosen.value:
                shown += t("readback.suggested", value=enum_label(type(chosen)(wanted), lang))
            return shown

        flag_text = " ".join(enum_label(f, lang) for f in sorted(flags)) or t("common.none")
        if found is not None:
            dropped = removed_flags(found, Choice(flags=frozenset(f.value for f in flags)))
            if dropped:
                names = " ".join(enum_label(f, lang) for f in sorted(dropped))
                flag_text += t("readback.removed", flags=names)
        dept = next((d for d in self.departments if d.id == form.primary_dept_id), None)
        table = Table(box=None, show_header=False, padding=(0, 1, 0, 0), expand=True)
        table.add_column(style="bold", no_wrap=True)
        table.add_column(ratio=1)
        rows: list[tuple[str, str]] = [
            ("name", form.name),
            ("phone", form.phone),
            ("subject", form.subject),
            ("description", form.description),
            ("demand", form.demand),
            ("channel", enum_label(form.channel, lang)),
        ]
        if form.order_ref:
            rows.append(("order_ref", form.order_ref))
        rows += [
            ("category", with_hint("category", category)),
            ("claim_type", with_hint("claim_type", claim)),
            ("severity", with_hint("severity", severity)),
            ("flags", flag_text),
            (
                "primary_dept_id",
                (dept.name if lang == "zh" else dept.name_en or dept.name)
                if dept
                else t("common.none"),
            ),
        ]
        if form.override_reason:
            rows.append(("override_reason", form.override_reason))
        for name, value in rows:
            table.add_row(Text(field_label(name, lang)), Prose(value))
        tier = CustomerTier.VIP if self.customer and self.customer.vip else None
        summary = t("readback.summary", subject=form.subject.strip(), demand=form.demand.strip())
        script = self.ctx.scripts.render(
            "readback",
            lang,
            {
                "customer_name": form.name.strip(),
                "summary": summary,
                "agent_name": self.ctx.me.display_name,
                "reply_by": promise,
            },
            category=category,
            severity=severity,
            tier=tier,
            missing=lambda _name: t("script.pending"),
        )
        with VerticalScroll():
            yield Static(Text(t("readback.title"), style="bold"))
            yield Static(Text(t("readback.intro")))
            yield Static(table)
            yield Static(Text(t("readback.promise", promise=promise)), id="readback-promise")
            panel = ScriptPanel(t("script.title"), id="readback-script")
            self._script = [(t("script.stage.readback"), script)]
            yield panel
            yield Checkbox(t("readback.acknowledged"), value=True, id="acknowledged")
            with Horizontal():
                yield Button(t("readback.edit"), id="readback-edit")
                yield Button(t("readback.confirm"), id="readback-confirm", variant="success")

    def on_mount(self) -> None:
        self.query_one("#readback-script", ScriptPanel).show(self._script)
        self.query_one("#readback-confirm", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "readback-confirm":
            self.action_confirm()
        else:
            self.action_edit()

    def action_confirm(self) -> None:
        self.dismiss(ReadBack(acknowledged=self.query_one("#acknowledged", Checkbox).value))

    def action_edit(self) -> None:
        self.dismiss(None)
