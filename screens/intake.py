"""F2: register a complaint while the customer is on the line.

Tab order follows the call: phone → name → subject → description → demand, then the details and
the classification. As the phone is typed the customer is looked up; as the text is typed the
triage rules suggest a classification (with reasons) that one key accepts. Every change is saved
as a local draft, so nothing typed is lost to a crash or a dropped connection. ctrl+s checks the
form, marks every problem in place, and opens the read-back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

import pendulum
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Select, SelectionList, Static, TextArea
from textual.widgets.selection_list import Selection

from deskapp import clock, triage
from deskapp.cases import CustomerLookup, DepartmentInfo, IntakeForm, IntakeResult
from deskapp.context import DeskContext
from deskapp.domain import Category, Channel, ClaimType, CustomerTier, RiskFlag, Severity
from deskapp.errors import DeskError, InvalidInput
from deskapp.i18n import enum_label, field_label, localise_problem
from deskapp.validation import check_fields
from deskapp.wording import promise_words
from screens.base import DeskScreen
from screens.dialogs.readback import ReadBack, ReadBackScreen
from screens.dialogs.registered import RegisteredScreen
from widgets.customer_card import CustomerCard
from widgets.form_field import FormField
from widgets.key_bar import key_display
from widgets.script_panel import ScriptPanel
from widgets.suggestion_panel import SuggestionLine, SuggestionPanel

DRAFT_KIND = "intake"
TEXT_FIELDS = (
    "phone",
    "name",
    "subject",
    "description",
    "demand",
    "email",
    "occurred_at",
    "place",
    "order_ref",
    "product_ref",
    "evidence",
)
CHOICE_FIELDS = ("channel", "category", "claim_type", "severity", "primary_dept_id")
REQUIRED = frozenset({"phone", "name", "subject", "description", "demand"})
LOOKUP_DELAY, TRIAGE_DELAY, DRAFT_DELAY = 0.3, 0.3, 0.5


class IntakeScreen(DeskScreen):
    DEFAULT_CSS = """
    IntakeScreen #intake-body { height: 1fr; }
    IntakeScreen #intake-form { width: 1fr; padding: 0 1; }
    IntakeScreen #intake-side { width: 46; padding: 0 1 0 0; }
    IntakeScreen.-narrow #intake-side { display: none; }
    IntakeScreen .intake-section { text-style: bold; color: $accent; margin-top: 1; }
    IntakeScreen Input, IntakeScreen Select { width: 100%; }
    IntakeScreen TextArea { height: 4; }
    IntakeScreen #description { height: 6; }
    IntakeScreen SelectionList { height: auto; max-height: 8; }
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
        self._departments: list[DepartmentInfo] = []
        self._suggestions: triage.Suggestions | None = None
        self._customer: CustomerLookup | None = None
        self._debouncers: dict[str, tuple[Timer, Callable[[], None]]] = {}
        self._dirty = bool(draft)
        self._busy = False
        self._draft_lock = threading.Lock()
        self._draft_rev = self._saved_rev = 0

    # -- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        t, lang = self.ctx.t, self.ctx.lang
        yield from self.compose_frame()
        with Horizontal(id="intake-body"):
            with VerticalScroll(id="intake-form"):
                yield Static(t("intake.section_customer"), classes="intake-section")
                yield self._field("phone", Input(id="phone", placeholder=t("intake.hint_phone")))
                yield self._field("name", Input(id="name"))
                yield Static(t("intake.section_complaint"), classes="intake-section")
                yield self._field("subject", Input(id="subject"))
                yield self._field("description", TextArea(id="description"))
                yield self._field("demand", TextArea(id="demand"))
                yield Static(t("intake.section_details"), classes="intake-section")
                channels = [(enum_label(c, lang), c.value) for c in Channel]
                default_channel = self.ctx.desk.settings.default_channel
                yield self._field(
                    "channel",
                    Select(channels, id="channel", allow_blank=False, value=default_channel),
                )
                yield self._field("email", Input(id="email"))
                yield self._field(
                    "occurred_at", Input(id="occurred_at", placeholder=t("intake.hint_occurred_at"))
                )
                yield self._field("place", Input(id="place"))
                yield self._field("order_ref", Input(id="order_ref"))
                yield self._field("product_ref", Input(id="product_ref"))
                yield self._field("evidence", TextArea(id="evidence"))
                yield Static(t("intake.section_classification"), classes="intake-section")
                yield self._choice("category", Category, Category.OTHER)
                yield self._choice("claim_type", ClaimType, ClaimType.GENERAL)
                yield self._choice("severity", Severity, Severity.C)
                flags = [Selection(enum_label(f, lang), f.value) for f in RiskFlag]
                yield self._field("flags", SelectionList[str](*flags, id="flags"))
                yield self._field(
                    "primary_dept_id",
                    Select[int]([], id="primary_dept_id", prompt=t("common.none")),
                )
            with VerticalScroll(id="intake-side"):
                yield CustomerCard(id="customer-card")
                yield SuggestionPanel(id="suggestions")
                yield ScriptPanel(t("script.title"), id="script")
        yield Static("", id="intake-status", markup=False)

    def _field(self, name: str, control: Widget) -> FormField:
        return FormField(name, field_label(name, self.ctx.lang), control, required=name in REQUIRED)

    def _choice(self, name: str, enum: Any, default: Any) -> FormField:
        options = [(enum_label(v, self.ctx.lang), v.value) for v in enum]
        return self._field(name, Select(options, id=name, allow_blank=False, value=default.value))

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#customer-card", CustomerCard).show_new(self.ctx.t("intake.customer_new"))
        self.query_one("#suggestions", SuggestionPanel).show_empty(
            self.ctx.t("intake.suggest.none")
        )
        self._load_departments()
        if self._initial:
            self.set_values(self._initial)
        self._refresh_scripts()
        self.query_one("#phone", Input).focus()

    def on_resize(self) -> None:
        self.set_class(self.size.width < 100, "-narrow")

    # -- values -----------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """Everything typed, as plain JSON-able values (the draft's content)."""
        out: dict[str, Any] = {}
        for name in TEXT_FIELDS:
            widget = self.query_one(f"#{name}")
            out[name] = widget.text if isinstance(widget, TextArea) else widget.value  # type: ignore[attr-defined]
        for name in CHOICE_FIELDS:
            value = self.query_one(f"#{name}", Select).value
            out[name] = None if value is Select.NULL else value
        out["flags"] = sorted(self.query_one("#flags", SelectionList).selected)
        return out

    def set_values(self, values: dict[str, Any]) -> None:
        for name in TEXT_FIELDS:
            if name in values and values[name] is not None:
                widget = self.query_one(f"#{name}")
                if isinstance(widget, TextArea):
                    widget.load_text(str(values[name]))
                else:
                    widget.value = str(values[name])  # type: ignore[attr-defined]
        for name in CHOICE_FIELDS:
            if values.get(name) is not None:
                select = self.query_one(f"#{name}", Select)
                try:
                    select.value = values[name]
                except Exception:  # a department that no longer exists: leave it blank
                    select.clear()
        if "flags" in values:
            flags = self.query_one("#flags", SelectionList)
            flags.deselect_all()
            for flag in values["flags"]:
                flags.select(flag)

    def has_unsubmitted_work(self) -> bool:
        return self._dirty

    # -- reacting to typing -------------------------------------------------------------------

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    @on(SelectionList.SelectedChanged)
    def _changed(self, event: Any) -> None:
        control = (
            getattr(event, "input", None)
            or getattr(event, "text_area", None)
            or getattr(event, "select", None)
            or getattr(event, "selection_list", None)
        )
        name = getattr(control, "id", None) or ""
        self._dirty = True
        self._debounce("draft", DRAFT_DELAY, self._save_draft)
        if name == "phone":
            self._debounce("lookup", LOOKUP_DELAY, self._lookup)
        if name in ("subject", "description", "demand"):
            self._debounce("triage", TRIAGE_DELAY, self._run_triage)
        if name in ("category", "claim_type", "severity", "flags", "primary_dept_id"):
            self._show_suggestions()
        if name in ("severity", "category", "name"):
            self._refresh_scripts()
        field = self._form_field(name)
        if field is not None and field.has_error:
            self._check_one(name)

    def _debounce(self, key: str, delay: float, callback: Callable[[], None]) -> None:
        old = self._debouncers.pop(key, None)
        if old is not None:
            old[0].stop()
        self._debouncers[key] = (self.set_timer(delay, lambda: self._fire(key)), callback)

    def _fire(self, key: str) -> None:
        pending = self._debouncers.pop(key, None)
        if pending is not None:
            pending[1]()

    def fire_pending(self) -> None:
        """Run every waiting reaction now: a submit right after the last keystroke must see
        the triage and lookup for what was typed, not for what was there 300 ms earlier."""
        for key in list(self._debouncers):
            timer, _ = self._debouncers[key]
            timer.stop()
            self._fire(key)

    def _form_field(self, name: str) -> FormField | None:
        found = self.query(f"#field-{name}")
        return found.first(FormField) if found else None

    def _save_draft(self) -> None:
        self._draft_rev += 1
        self._write_draft(self.ctx.me.login, self.values(), self._draft_rev)

    @work(thread=True, exit_on_error=False, group="draft")
    def _write_draft(self, login: str, values: dict[str, Any], rev: int) -> None:
        self._store_draft(login, values, rev)

    def _store_draft(self, login: str, values: dict[str, Any] | None, rev: int) -> None:
        """Writes land in order: a slow background write of older values never replaces a
        newer draft (or brings back one that was discarded). `values=None` discards."""
        with self._draft_lock:
            if rev <= self._saved_rev:
                return
            if values is None:
                self.ctx.drafts.discard(login, DRAFT_KIND)
            else:
                self.ctx.drafts.save(login, DRAFT_KIND, values)
            self._saved_rev = rev

    def flush_draft(self) -> None:
        """Save the draft now, synchronously (on hang-up or quit)."""
        if self._dirty and self.ctx.actor is not None:
            self._draft_rev += 1
            self._store_draft(self.ctx.me.login, self.values(), self._draft_rev)

    # -- customer lookup ----------------------------------------------------------------------

    def _lookup(self) -> None:
        self._do_lookup(self.query_one("#phone", Input).value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="lookup")
    def _do_lookup(self, phone: str) -> None:
        found = self.ctx.desk.lookup_customer(phone)
        self.app.call_from_thread(self._show_customer, found)

    def _show_customer(self, found: CustomerLookup | None) -> None:
        t, lang = self.ctx.t, self.ctx.lang
        card = self.query_one("#customer-card", CustomerCard)
        self._customer = found
        if found is None:
            card.show_new(t("intake.customer_new"))
        else:
            from deskapp.domain import Status

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
            name = self.query_one("#name", Input)
            if not name.value.strip():
                name.value = found.name
            email = self.query_one("#email", Input)
            if not email.value.strip() and found.email:
                email.value = found.email
        self._run_triage()
        self._refresh_scripts()

    # -- triage ---------------------------------------------------------------------------------

    def _history(self) -> triage.CustomerHistory | None:
        found = self._customer
        if found is None:
            return None
        return triage.CustomerHistory(
            is_vip=found.vip, repeat=found.repeat, recent_cases=len(found.cases)
        )

    def _run_triage(self) -> None:
        v = self.values()
        self._suggestions = triage.suggest(
            v["subject"], v["description"], v["demand"], self._history()
        )
        self._show_suggestions()

    def _chosen(self) -> dict[str, str]:
        """The form's classification in the shape `triage.overrides` compares."""
        v = self.values()
        dept = next((d.code for d in self._departments if d.id == v["primary_dept_id"]), "")
        return {
            "category": v["category"] or "",
            "severity": v["severity"] or "",
            "department": dept,
            "flags": " ".join(v["flags"]),
            "claim_type": v["claim_type"] or "",
        }

    def _show_suggestions(self) -> None:
        panel = self.query_one("#suggestions", SuggestionPanel)
        found = self._suggestions
        if found is None:
            return
        t, lang = self.ctx.t, self.ctx.lang
        chosen = self._chosen()
        suggested = found.as_choices()
        sep = "；" if lang == "zh" else "; "

        dept_name = {
            d.code: (d.name if lang == "zh" else d.name_en or d.name) for d in self._departments
        }
        enums: dict[str, type[Category] | type[Severity] | type[ClaimType]] = {
            "category": Category,
            "severity": Severity,
            "claim_type": ClaimType,
        }

        def show(key: str, value: str) -> str:
            """A form value (the strings `as_choices` and `_chosen` hold) as the person reads it."""
            if key == "department":
                return dept_name.get(value, t("common.none"))
            if key == "flags":
                names = " ".join(enum_label(RiskFlag(f), lang) for f in value.split())
                return names or t("common.none")
            return enum_label(enums[key](value), lang) if value else ""

        reasons = {
            "category": found.category.reasons,
            "severity": found.severity.reasons,
            "department": found.department.reasons,
            "flags": found.flags.reasons,
            "claim_type": found.claim_type.reasons,
        }
        lines = []
        for key, why in reasons.items():
            because = sep.join(_first_reasons([r.text(lang) for r in why], t))
            lines.append(
                SuggestionLine(
                    field_label("primary_dept_id" if key == "department" else key, lang),
                    show(key, suggested[key]),
                    t("intake.suggest.because", reasons=because) if because else "",
                    show(key, chosen[key]) if chosen[key] != suggested[key] else None,
                )
            )
        key = key_display(self.app, self._binding("accept_suggestions"))
        panel.show(lines, f"{key} {t('intake.suggest.accept_all')}")

    def _binding(self, action: str) -> Binding:
        return next(b for b in self.BINDINGS if isinstance(b, Binding) and b.action == action)

    def action_accept_suggestions(self) -> None:
        self.fire_pending()
        if self._suggestions is None:
            self._run_triage()
        found = self._suggestions
        if found is None:
            return
        self.query_one("#category", Select).value = found.category.value.value
        self.query_one("#severity", Select).value = found.severity.value.value
        self.query_one("#claim_type", Select).value = found.claim_type.value.value
        dept = next((d.id for d in self._departments if d.code == found.department.value), None)
        if dept is not None:
            self.query_one("#primary_dept_id", Select).value = dept
        flags = self.query_one("#flags", SelectionList)
        for flag in found.flags.value:
            flags.select(flag.value)
        self._status(self.ctx.t("intake.suggest.accepted"))
        self.call_after_refresh(self._show_suggestions)

    # -- scripts ---------------------------------------------------------------------------------

    def _refresh_scripts(self) -> None:
        v = self.values()
        lang = self.ctx.lang
        tier = CustomerTier.VIP if (self._customer and self._customer.vip) else None
        severity = Severity(v["severity"]) if v["severity"] else None
        category = Category(v["category"]) if v["category"] else None
        promised = self.ctx.desk.preview_promise(severity or Severity.C, tier is not None)
        values = {
            "customer_name": v["name"].strip() or None,
            "agent_name": self.ctx.me.display_name,
            "reply_by": promise_words(promised, clock.now(), self.ctx.desk.settings.tz, lang),
        }
        library = self.ctx.scripts
        scripts = []
        for stage in ("greeting", "promise"):
            body = library.render(
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
        self._departments = departments
        select = self.query_one("#primary_dept_id", Select)
        zh = self.ctx.lang == "zh"
        select.set_options([(d.name if zh else (d.name_en or d.name), d.id) for d in departments])
        wanted = self._initial.get("primary_dept_id")
        if wanted is not None and any(d.id == wanted for d in departments):
            select.value = wanted
        self._show_suggestions()

    # -- checking and submitting ----------------------------------------------------------------

    def _problems(self) -> dict[str, str]:
        v = self.values()
        problems = check_fields({k: v[k] for k in TEXT_FIELDS if k != "occurred_at"})
        if v["occurred_at"].strip() and self._occurred_at(v["occurred_at"]) is None:
            problems["occurred_at"] = "not_a_time"
        return problems

    def _occurred_at(self, text: str) -> datetime | None:
        try:
            parsed = pendulum.parse(text.strip(), tz=self.ctx.desk.settings.timezone, strict=False)
        except (ValueError, pendulum.parsing.exceptions.ParserError):
            return None
        if not isinstance(parsed, pendulum.DateTime):
            return None
        return datetime.fromisoformat(parsed.in_tz("UTC").isoformat())

    def _say(self, field: str, problem: str) -> str:
        if problem == "not_a_time":
            return self.ctx.t("intake.not_a_time")
        return localise_problem(field, problem, self.ctx.lang)

    def _check_one(self, name: str) -> None:
        field = self._form_field(name)
        if field is not None:
            problem = self._problems().get(name)
            field.set_error(self._say(name, problem) if problem else None)

    def _mark(self, problems: dict[str, str]) -> None:
        for field in self.query(FormField):
            problem = problems.get(field.field_name)
            field.set_error(self._say(field.field_name, problem) if problem else None)
        order = [f.field_name for f in self.query(FormField)]
        first = min(problems, key=lambda name: order.index(name) if name in order else 999)
        widget = self._form_field(first)
        if widget is not None:
            widget.control.focus()
            widget.scroll_visible()
        self._status(self.ctx.t("intake.fix_marked", count=len(problems)))

    def _status(self, text: str) -> None:
        self.query_one("#intake-status", Static).update(text)

    def build_form(self) -> IntakeForm:
        v = self.values()
        suggested = self._suggestions or triage.suggest(
            v["subject"], v["description"], v["demand"], self._history()
        )
        return IntakeForm(
            phone=v["phone"],
            name=v["name"],
            subject=v["subject"],
            description=v["description"],
            demand=v["demand"],
            channel=Channel(v["channel"]),
            email=v["email"],
            occurred_at=self._occurred_at(v["occurred_at"]) if v["occurred_at"].strip() else None,
            place=v["place"],
            order_ref=v["order_ref"],
            product_ref=v["product_ref"],
            evidence=v["evidence"],
            category=Category(v["category"]),
            claim_type=ClaimType(v["claim_type"]),
            severity=Severity(v["severity"]),
            flags=frozenset(RiskFlag(f) for f in v["flags"]),
            primary_dept_id=v["primary_dept_id"],
            overrides=triage.overrides(suggested, self._chosen()),
        )

    def action_submit(self) -> None:
        if self._busy:
            return
        self.fire_pending()
        problems = self._problems()
        if problems:
            self._mark(problems)
            return
        self._mark_clean()
        form = self.build_form()
        vip = bool(self._customer and self._customer.vip) or RiskFlag.VIP in form.flags
        promised = self.ctx.desk.preview_promise(form.severity, vip)
        self.app.push_screen(
            ReadBackScreen(
                self.ctx, form, promised, self._customer, self._suggestions, self._departments
            ),
            self._after_readback,
        )

    def _mark_clean(self) -> None:
        for field in self.query(FormField):
            field.set_error(None)
        self._status("")

    def _after_readback(self, result: ReadBack | None) -> None:
        if result is None:
            return
        form = self.build_form()
        form.acknowledged = result.acknowledged
        self._busy = True
        self._status(self.ctx.t("readback.registering"))
        self._register(form)

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def _register(self, form: IntakeForm) -> None:
        try:
            result = self.ctx.desk.intake(self.ctx.me, form)
        except InvalidInput as exc:
            self.app.call_from_thread(self._refused, exc.problems, "")
        except (DeskError, Exception) as exc:  # keep the form and the draft; say what happened
            self.app.call_from_thread(self._refused, {}, str(exc))
        else:
            self.app.call_from_thread(self._registered, result)

    def _refused(self, problems: dict[str, str], message: str) -> None:
        self._busy = False
        if problems:
            self._mark(problems)
        else:
            self._status(self.ctx.t("common.error", message=message))
            self.notify(self.ctx.t("common.error", message=message), severity="error")

    def _registered(self, result: IntakeResult) -> None:
        self._busy = False
        self._dirty = False
        self._draft_rev += 1
        self._store_draft(self.ctx.me.login, None, self._draft_rev)
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
        self.flush_draft()
        if self._dirty:
            self.notify(
                self.ctx.t(
                    "draft.saved",
                    time=clock.now().astimezone(self.ctx.desk.settings.tz).strftime("%H:%M"),
                )
            )
        self.app.pop_screen()


def _first_reasons(texts: list[str], t: Any, most: int = 2) -> list[str]:
    """The first distinct reasons, and how many more: enough to trust, short enough to read."""
    distinct = list(dict.fromkeys(texts))
    if len(distinct) <= most:
        return distinct
    return [*distinct[:most], t("intake.suggest.more", count=len(distinct) - most)]
