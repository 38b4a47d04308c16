"""F2: register a complaint while the customer is on the line.

Tab order follows the call: phone → name → subject → description → demand, then the details and
the classification. The screen composes three helpers: `IntakeAssist` looks the caller up and
runs the triage rules in workers as the agent types; `DraftKeeper` saves what is typed as a
local draft; the read-back dialog confirms it with the customer.

The rules' classification is applied, not merely shown: every classification field the agent
has not set by hand follows it, live (`deskapp.triage_review`). Going below it — a lower
severity, a legal, media or regulator flag taken off — opens a reason box that must be filled.
The script's promised reply time always follows the severity that will be saved. ctrl+s checks
the form, marks every problem in place, and opens the read-back.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Select, SelectionList, Static, TextArea
from textual.widgets.selection_list import Selection

from deskapp import clock, triage
from deskapp.cases import CustomerLookup, DepartmentInfo, IntakeForm, IntakeResult
from deskapp.context import DeskContext
from deskapp.domain import Category, Channel, ClaimType, CustomerTier, RiskFlag, Severity, Status
from deskapp.errors import InvalidInput
from deskapp.i18n import enum_label, field_label, localise_problem
from deskapp.triage_review import Choice, needs_reason
from deskapp.validation import check_fields, parse_occurred_at
from deskapp.wording import promise_words
from screens.base import DeskScreen
from screens.dialogs.readback import ReadBack, ReadBackScreen
from screens.dialogs.registered import RegisteredScreen
from screens.intake_assist import IntakeAssist
from screens.intake_classification import ClassificationFields
from screens.intake_draft import DRAFT_KIND, TEXT_FIELDS, DraftKeeper, draft_has_content
from widgets.customer_card import CustomerCard
from widgets.debounce import Debouncer
from widgets.form_field import FormField
from widgets.key_bar import key_display
from widgets.safe_input import SafeInput, SafeTextArea
from widgets.script_panel import ScriptPanel
from widgets.suggestion_panel import SuggestionPanel

__all__ = ["DRAFT_KIND", "IntakeScreen", "draft_has_content"]

CHOICE_FIELDS = ("channel", "category", "claim_type", "severity", "primary_dept_id")
REQUIRED = frozenset({"phone", "name", "subject", "description", "demand"})
#: What the customer said: the triage rules read these.
SPOKEN = ("subject", "description", "demand")
#: Changes that alter the script (its salutation, or the promised reply time).
SCRIPTED = frozenset({"name", "severity", "category", "flags"})
SCRIPT_DELAY = 0.1
#: Seconds a registration may take before the agent is told why it is still going.
SLOW_SAVE = 2.0


class IntakeScreen(DeskScreen):
    DEFAULT_CSS = """
    IntakeScreen #intake-body { height: 1fr; }
    IntakeScreen #intake-form { width: 1fr; padding: 0 1; }
    IntakeScreen #intake-side { width: 46; padding: 0 1 0 0; }
    IntakeScreen.-narrow #intake-side { display: none; }
    IntakeScreen #intake-promise { height: 1; padding: 0 1; display: none; color: $success; }
    IntakeScreen.-narrow #intake-promise { display: block; }
    IntakeScreen .intake-section { text-style: bold; color: $accent; margin-top: 1; }
    IntakeScreen Input, IntakeScreen Select { width: 100%; }
    IntakeScreen TextArea { height: 4; }
    IntakeScreen #description { height: 6; }
    IntakeScreen SelectionList { height: auto; max-height: 8; }
    IntakeScreen #field-override_reason { display: none; }
    IntakeScreen #field-override_reason.-needed { display: block; }
    IntakeScreen #intake-status { height: 1; color: $text-muted; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Submit", id="intake.submit", priority=True),
        Binding("f5", "accept_suggestions", "Accept suggestions", id="intake.accept_suggestions"),
        Binding("f6", "copy_script", "Copy script", id="intake.copy_script"),
        Binding("escape", "back", "Back", id="intake.back"),
    ]

    def __init__(self, ctx: DeskContext, draft: dict[str, Any] | None = None) -> None:
        super().__init__(ctx)
        self._initial = draft or {}
        #: Names this registration however often it is tried (a lost answer, a restart with
        #: the draft): the use case makes one case for it (IntakeForm.request_key).
        self._request_key = str(self._initial.get("request_key") or uuid.uuid4().hex)
        self._controls: dict[str, Widget] = {}
        self._fields: dict[str, FormField] = {}
        self.classification = ClassificationFields(
            Choice.from_json(self._initial.get("filled", {}))
        )
        self._busy = False
        self.assist = IntakeAssist(self, self, ctx)
        self._draft = DraftKeeper(self, ctx, self.values, draft_has_content)
        self._scripts_later = Debouncer(self, SCRIPT_DELAY, self._refresh_scripts)

    # -- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        t, lang = self.ctx.t, self.ctx.lang
        yield from self.compose_frame()
        with Horizontal(id="intake-body"):
            with VerticalScroll(id="intake-form"):
                yield Static(t("intake.section_customer"), classes="intake-section")
                yield self._field(
                    "phone", SafeInput(id="phone", placeholder=t("intake.hint_phone"))
                )
                yield self._field("name", SafeInput(id="name"))
                yield Static(t("intake.section_complaint"), classes="intake-section")
                yield self._field("subject", SafeInput(id="subject"))
                yield self._field("description", SafeTextArea(id="description"))
                yield self._field("demand", SafeTextArea(id="demand"))
                yield Static(t("intake.section_details"), classes="intake-section")
                channels = [(enum_label(c, lang), c.value) for c in Channel]
                default_channel = self.ctx.desk.settings.default_channel
                yield self._field(
                    "channel",
                    Select(channels, id="channel", allow_blank=False, value=default_channel),
                )
                yield self._field("email", SafeInput(id="email"))
                yield self._field(
                    "occurred_at",
                    SafeInput(id="occurred_at", placeholder=t("intake.hint_occurred_at")),
                )
                yield self._field("place", SafeInput(id="place"))
                yield self._field("order_ref", SafeInput(id="order_ref"))
                yield self._field("product_ref", SafeInput(id="product_ref"))
                yield self._field("evidence", SafeTextArea(id="evidence"))
                yield Static(t("intake.section_classification"), classes="intake-section")
                yield self._choice("category", Category, Category.OTHER)
                yield self._choice("claim_type", ClaimType, ClaimType.GENERAL)
                yield self._choice("severity", Severity, Severity.C)
                flags = [Selection(enum_label(f, lang), f.value) for f in RiskFlag]
                yield self._field("flags", SelectionList[str](*flags, id="flags"))
                yield self._field(
                    "override_reason",
                    SafeInput(id="override_reason", placeholder=t("intake.hint_override_reason")),
                )
                yield self._field(
                    "primary_dept_id",
                    Select[int]([], id="primary_dept_id", prompt=t("common.none")),
                )
            with VerticalScroll(id="intake-side"):
                yield CustomerCard(id="customer-card")
                yield SuggestionPanel(id="suggestions")
                yield ScriptPanel(t("script.title"), id="script")
        # Narrow terminals have no room for the side panel: the promise stays on one line.
        yield Static("", id="intake-promise", markup=False)
        yield Static("", id="intake-status", markup=False)

    def _field(self, name: str, control: Widget) -> FormField:
        return FormField(name, field_label(name, self.ctx.lang), control, required=name in REQUIRED)

    def _choice(self, name: str, enum: Any, default: Any) -> FormField:
        options = [(enum_label(v, self.ctx.lang), v.value) for v in enum]
        return self._field(name, Select(options, id=name, allow_blank=False, value=default.value))

    def on_mount(self) -> None:
        # Looked up once: a keystroke must not search the DOM.
        self._fields = {f.field_name: f for f in self.query(FormField)}
        self._controls = {name: f.control for name, f in self._fields.items()}
        self.classification.attach(self._controls)
        self.query_one("#customer-card", CustomerCard).show_new(self.ctx.t("intake.customer_new"))
        self.query_one("#suggestions", SuggestionPanel).show_empty(
            self.ctx.t("intake.suggest.none")
        )
        self._load_departments()
        if self._initial:
            self.set_values(self._initial)
            self._draft.resumed()
            if self._initial.get("phone"):
                self.assist.lookup_soon()
        self._refresh_scripts()
        self._controls["phone"].focus()

    def on_resize(self) -> None:
        self.set_class(self.size.width < 100, "-narrow")

    # -- values -----------------------------------------------------------------------------

    def _text(self, name: str) -> str:
        control = self._controls[name]
        return control.text if isinstance(control, TextArea) else control.value  # type: ignore[attr-defined]

    def _select(self, name: str) -> Any:
        value = self._controls[name].value  # type: ignore[attr-defined]
        return None if value is Select.NULL else value

    def _flags(self) -> SelectionList[str]:
        flags = self._controls["flags"]
        assert isinstance(flags, SelectionList)
        return flags

    def values(self) -> dict[str, Any]:
        """Everything typed, as plain JSON-able values (the draft's content)."""
        out: dict[str, Any] = {name: self._text(name) for name in TEXT_FIELDS}
        out.update({name: self._select(name) for name in CHOICE_FIELDS})
        out["flags"] = sorted(self._flags().selected)
        out["override_reason"] = self._text("override_reason")
        out["filled"] = self.classification.filled.as_json()
        out["request_key"] = self._request_key
        return out

    def set_values(self, values: dict[str, Any]) -> None:
        for name in (*TEXT_FIELDS, "override_reason"):
            if values.get(name) is not None:
                control = self._controls[name]
                if isinstance(control, TextArea):
                    control.load_text(str(values[name]))
                else:
                    control.value = str(values[name])  # type: ignore[attr-defined]
        for name in CHOICE_FIELDS:
            if values.get(name) is not None:
                select = self._controls[name]
                assert isinstance(select, Select)
                try:
                    select.value = values[name]
                except Exception:  # a department that no longer exists: leave it blank
                    select.clear()
        if "flags" in values:
            flags = self._flags()
            flags.deselect_all()
            for flag in values["flags"]:
                flags.select(flag)
        if "filled" not in values:  # an older draft: take what it shows as the rules' own
            self.classification.filled = self._shown()

    def has_unsubmitted_work(self) -> bool:
        return self._draft.flush()

    def flush_draft(self) -> None:
        """Save the draft now, synchronously (on hang-up or quit)."""
        self._draft.flush()

    def caller_keys(self) -> tuple[str, str]:
        return self._text("phone"), self._text("order_ref")

    def triage_texts(self) -> tuple[str, str, str]:
        return self._text("subject"), self._text("description"), self._text("demand")

    # -- reacting to typing -------------------------------------------------------------------

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    @on(SelectionList.SelectedChanged)
    def _changed(self, event: Any) -> None:
        """Kept small: a keystroke only pokes the reactions that wait for a pause."""
        control = (
            getattr(event, "input", None)
            or getattr(event, "text_area", None)
            or getattr(event, "select", None)
            or getattr(event, "selection_list", None)
        )
        name = getattr(control, "id", None) or ""
        self._draft.touch()
        if name in ("phone", "order_ref"):
            self.assist.lookup_soon()
        elif name in SPOKEN:
            self.assist.triage_soon()
        elif name in ("category", "claim_type", "severity", "flags", "primary_dept_id"):
            self._review_choice()
        if name in SCRIPTED:
            self._scripts_later.poke()
        field = self._fields.get(name)
        if field is not None and field.has_error:
            self._check_one(name)

    def fire_pending(self) -> None:
        """Run every waiting reaction now (tests; the submit waits for them its own way)."""
        self.assist.when_settled(lambda: None)
        self._scripts_later.fire_now()

    # -- the caller -----------------------------------------------------------------------------

    def show_customer(self, found: CustomerLookup | None) -> None:
        t, lang = self.ctx.t, self.ctx.lang
        card = self.query_one("#customer-card", CustomerCard)
        if found is None or not found.known:
            card.show_new(
                t("intake.customer_new"),
                repeat=t("intake.repeat") if found and found.repeat else "",
            )
        else:
            card.show_known(
                found,
                heading=t("intake.customer_known", name=found.name),
                vip=t("intake.customer_vip"),
                repeat=t("intake.repeat"),
                history_title=t("intake.history_title", count=len(found.cases))
                if found.cases
                else t("intake.history_none"),
                columns=(
                    t("intake.history_number"),
                    t("intake.history_date"),
                    t("intake.history_subject"),
                    t("intake.history_status"),
                ),
                status_label={s.value: enum_label(s, lang) for s in Status},
                date_format="%m-%d",
            )
            name, email = self._controls["name"], self._controls["email"]
            assert isinstance(name, Input) and isinstance(email, Input)
            if not name.value.strip():
                name.value = found.name
            if not email.value.strip() and found.email:
                email.value = found.email
        self._scripts_later.poke()

    # -- the classification ---------------------------------------------------------------------

    def _shown(self) -> Choice:
        return self.classification.shown()

    def show_suggestions(self, found: triage.Suggestions) -> None:
        """New judgement from the rules: fill every field the agent has not set by hand."""
        self._review_choice(self.classification.follow(found))

    def _review_choice(self, shown: Choice | None = None) -> None:
        """Show the suggestions against the form, and ask for a reason when it goes below."""
        found = self.assist.found
        if found is None:
            return
        shown = shown or self._shown()
        below = needs_reason(found, shown)
        reason = self._fields["override_reason"]
        reason.set_class(bool(below), "-needed")
        if not below and reason.has_error:
            reason.set_error(None)
        self._show_panel(found, shown)

    def _show_panel(self, found: triage.Suggestions, shown: Choice) -> None:
        zh = self.ctx.lang == "zh"
        names = {
            d.code: d.name if zh else (d.name_en or d.name) for d in self.classification.departments
        }
        key = key_display(self.app, self._binding("accept_suggestions"))
        self.query_one("#suggestions", SuggestionPanel).show_found(
            found,
            shown,
            departments=names,
            lang=self.ctx.lang,
            t=self.ctx.t,
            footer=f"{key} {self.ctx.t('intake.suggest.accept_all')}",
        )

    def _binding(self, action: str) -> Binding:
        return next(b for b in self.BINDINGS if isinstance(b, Binding) and b.action == action)

    def action_accept_suggestions(self) -> None:
        """Back to the rules' judgement on every field: the agent's own choices are dropped."""

        def accept() -> None:
            if self.assist.found is not None:
                self._review_choice(self.classification.accept(self.assist.found))
                self._status(self.ctx.t("intake.suggest.accepted"))

        self.assist.when_settled(accept)

    # -- scripts ---------------------------------------------------------------------------------

    def _vip(self) -> bool:
        customer = self.assist.customer
        return bool(customer and customer.vip) or RiskFlag.VIP.value in self._flags().selected

    def _refresh_scripts(self) -> None:
        lang = self.ctx.lang
        severity = Severity(self._select("severity") or Severity.C)
        category = Category(self._select("category") or Category.OTHER)
        tier = CustomerTier.VIP if self._vip() else None
        promised = self.ctx.desk.preview_promise(severity, tier is not None)
        values = {
            "customer_name": self._text("name").strip() or None,
            "agent_name": self.ctx.me.display_name,
            "reply_by": promise_words(promised, clock.now(), self.ctx.desk.settings.tz, lang),
        }
        scripts = []
        for stage in ("greeting", "promise"):
            body = self.ctx.scripts.render(
                stage,
                lang,
                values,
                category=category,
                severity=severity,
                tier=tier,
                missing=lambda _name: self.ctx.t("script.pending"),
            )
            scripts.append((self.ctx.t(f"script.stage.{stage}"), body))
        self.query_one("#script", ScriptPanel).show(scripts)
        said = self.ctx.t(
            "intake.promise_line",
            promise=values["reply_by"],
            severity=enum_label(severity, lang),
        )
        self.query_one("#intake-promise", Static).update(said)

    def action_copy_script(self) -> None:
        text = self.query_one("#script", ScriptPanel).text
        if text:
            self.app.copy_to_clipboard(text)
            self.notify(self.ctx.t("script.copied"))

    # -- departments ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def _load_departments(self) -> None:
        departments = self.ctx.desk.departments()
        self.app.call_from_thread(self._show_departments, departments)

    def _show_departments(self, departments: list[DepartmentInfo]) -> None:
        self.classification.departments = departments
        select = self._controls["primary_dept_id"]
        assert isinstance(select, Select)
        zh = self.ctx.lang == "zh"
        select.set_options([(d.name if zh else (d.name_en or d.name), d.id) for d in departments])
        wanted = self._initial.get("primary_dept_id")
        if wanted is not None and any(d.id == wanted for d in departments):
            select.value = wanted
        if self.assist.found is not None:
            self.show_suggestions(self.assist.found)

    # -- checking and submitting ----------------------------------------------------------------

    def _problems(self) -> dict[str, str]:
        problems = check_fields({k: self._text(k) for k in TEXT_FIELDS if k != "occurred_at"})
        occurred = self._text("occurred_at")
        if occurred.strip() and self._occurred_at(occurred) is None:
            problems["occurred_at"] = "not_a_time"
        found = self.assist.found
        if found and needs_reason(found, self._shown()) and not self._text("override_reason"):
            problems["override_reason"] = "required"
        return problems

    def _occurred_at(self, text: str) -> datetime | None:
        return parse_occurred_at(text, self.ctx.desk.settings.timezone)

    def _say(self, field: str, problem: str) -> str:
        if problem == "not_a_time":
            return self.ctx.t("intake.not_a_time")
        return localise_problem(field, problem, self.ctx.lang)

    def _check_one(self, name: str) -> None:
        problem = self._problems().get(name)
        self._fields[name].set_error(self._say(name, problem) if problem else None)

    def _mark(self, problems: dict[str, str]) -> None:
        for name, field in self._fields.items():
            problem = problems.get(name)
            field.set_error(self._say(name, problem) if problem else None)
        order = list(self._fields)
        first = min(problems, key=lambda name: order.index(name) if name in order else 999)
        marked = self._fields.get(first)
        if marked is not None:
            marked.control.focus()
            marked.scroll_visible()
        self._status(self.ctx.t("intake.fix_marked", count=len(problems)))

    def _status(self, text: str) -> None:
        self.query_one("#intake-status", Static).update(text)

    def build_form(self) -> IntakeForm:
        """The form as the use case takes it: every classification field as it is shown."""
        occurred = self._text("occurred_at")
        dept = self._select("primary_dept_id")
        return IntakeForm(
            phone=self._text("phone"),
            name=self._text("name"),
            subject=self._text("subject"),
            description=self._text("description"),
            demand=self._text("demand"),
            channel=Channel(self._select("channel")),
            email=self._text("email"),
            occurred_at=self._occurred_at(occurred) if occurred.strip() else None,
            place=self._text("place"),
            order_ref=self._text("order_ref"),
            product_ref=self._text("product_ref"),
            evidence=self._text("evidence"),
            category=Category(self._select("category")),
            claim_type=ClaimType(self._select("claim_type")),
            severity=Severity(self._select("severity")),
            flags=frozenset(RiskFlag(f) for f in self._flags().selected),
            primary_dept_id=int(dept) if dept is not None else None,
            override_reason=self._text("override_reason").strip(),
            request_key=self._request_key,
        )

    def action_submit(self) -> None:
        if not self._busy:
            self._busy = True
            self.assist.when_settled(self._submit_settled)

    def _submit_settled(self) -> None:
        self._busy = False
        # The call is on disk before anything is saved: if the desk dies at the commit (or the
        # database refuses), the next start offers all of it, not what the last pause saved.
        self.flush_draft()
        problems = self._problems()
        if problems:
            self._mark(problems)
            return
        self._mark_clean()
        form = self.build_form()
        vip = self._vip()
        promised = self.ctx.desk.preview_promise(form.severity or Severity.C, vip)
        self.app.push_screen(
            ReadBackScreen(
                self.ctx,
                form,
                promised,
                self.assist.customer,
                self.assist.found,
                self.classification.departments,
            ),
            self._after_readback,
        )

    def _mark_clean(self) -> None:
        for field in self._fields.values():
            field.set_error(None)
        self._status("")

    def _after_readback(self, result: ReadBack | None) -> None:
        if result is None:
            return
        form = self.build_form()
        form.acknowledged = result.acknowledged
        self._busy = True
        self._status(self.ctx.t("readback.registering"))
        self.set_timer(SLOW_SAVE, self._still_saving)
        self._register(form)

    def _still_saving(self) -> None:
        """The database is busy (another writer, a lock held) or away (a server restarting):
        the use case keeps trying; say so rather than look stuck."""
        if self._busy:
            self._status(self.ctx.t("trouble.waiting"))

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def _register(self, form: IntakeForm) -> None:
        try:
            result = self.ctx.desk.intake(self.ctx.me, form)
        except InvalidInput as exc:
            self.app.call_from_thread(self._refused, exc.problems, None)
        except Exception as exc:  # keep the form and the draft; say what happened
            self.app.call_from_thread(self._refused, {}, exc)
        else:
            self.app.call_from_thread(self._registered, result)

    def _refused(self, problems: dict[str, str], error: Exception | None) -> None:
        self._busy = False
        if problems:
            self._mark(problems)
        elif error is not None:
            message = self.ctx.t("common.error", message=self.ctx.explain(error))
            self._status(message)
            self.notify(message, severity="error", markup=False)

    def _registered(self, result: IntakeResult) -> None:
        self._busy = False
        self._draft.discard()
        self._status("")
        self.app.push_screen(RegisteredScreen(self.ctx, result), self._after_registered)

    def _after_registered(self, choice: str | None) -> None:
        if choice == "next":
            self.app.switch_screen(IntakeScreen(self.ctx))
        else:
            self.dismiss_to_case(choice)

    def dismiss_to_case(self, number: str | None) -> None:
        from screens.case import CaseScreen

        if number and number != "next":
            self.app.switch_screen(CaseScreen(self.ctx, number))
        else:
            self.app.pop_screen()

    def action_back(self) -> None:
        if self._draft.flush():
            self.notify(
                self.ctx.t(
                    "draft.saved",
                    time=clock.now().astimezone(self.ctx.desk.settings.tz).strftime("%H:%M"),
                )
            )
        self.app.pop_screen()
