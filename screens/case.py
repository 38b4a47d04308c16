"""The case screen: everything about one complaint, and the next step in its handling by key.

Opened by `enter` on a queue row or by number from the command palette. The header says where
the case stands (status, owner, department, assignee, escalation, every milestone with its live
countdown); the panels hold the customer (masked unless this person works the case), what
happened and what the customer asks, the plan, the notes and evidence, the timeline, and the
script for the stage the case is in.

The action keys are the workflow's actions (`deskapp.workflow`); each is offered only when
this person may take it on this case in this state (`check_action` asks the same rules the use
case enforces again on save). An action opens `CaseActionDialog`, which saves with the version
shown here, so a change made meanwhile by someone else is refused and shown, not overwritten.

The screen is live: a thread polls the change feed once a second (woken by NOTIFY on
PostgreSQL) and re-reads the case when anyone else changes it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from deskapp import clock, permissions, presence, sla
from deskapp.case_view import CaseDetail, assignable, load_case, stages_for
from deskapp.cases import Attached, Contact, case_facts
from deskapp.changes import Change, ChangeFeed
from deskapp.context import DeskContext
from deskapp.countdown import Tone, countdown
from deskapp.display import one_line
from deskapp.domain import (
    Category,
    CustomerTier,
    MilestoneKind,
    RemedyType,
    RiskFlag,
    RootCause,
    Severity,
    Status,
)
from deskapp.errors import DeskError, NotFound
from deskapp.i18n import enum_label, field_label
from deskapp.masking import contact_for, sees_contact
from deskapp.records import LetterRecord
from screens.base import DeskScreen
from screens.case_keys import ACTION_KEYS
from screens.dialogs.attach import AttachDialog
from screens.dialogs.case_action import NOTE, CaseActionDialog
from screens.dialogs.letter import LetterDialog, letter_offered
from widgets.evidence_list import attachment_lines
from widgets.letter_list import LetterList
from widgets.prose import Prose, safe_line, safe_text
from widgets.script_panel import ScriptPanel

TONE_STYLE = {
    Tone.ON_TRACK: "green",
    Tone.AT_RISK: "bold yellow",
    Tone.BREACHED: "bold red",
    Tone.PAUSED: "cyan",
    Tone.AFTER_HOURS: "italic dim",
    Tone.NONE: "dim",
}
#: Seconds between presence stamps' checks when no news wakes the screen's thread.
POLL_EVERY = 1.0


class CaseScreen(DeskScreen):
    DEFAULT_CSS = """
    CaseScreen #case-head { height: auto; padding: 0 1; background: $boost; }
    CaseScreen #case-milestones { height: auto; padding: 0 1; }
    CaseScreen #case-main { height: 1fr; }
    CaseScreen #case-body { width: 3fr; padding: 0 1; }
    CaseScreen #case-script { width: 2fr; max-height: 100%; height: auto; }
    CaseScreen .case-section { text-style: bold; color: $accent; margin-top: 1; }
    CaseScreen #case-status { height: auto; padding: 0 1; color: $warning; }
    CaseScreen #case-presence { height: auto; padding: 0 1; color: $warning; text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(
                key, f"act('{action}')", action.replace("_", " ").capitalize(), id=f"case.{action}"
            )
            for action, key in ACTION_KEYS
        ),
        Binding("w", "reveal", "Reveal contact", id="case.reveal"),
        Binding("n", "note", "Note", id="case.note"),
        Binding("F", "attach", "Attach file", id="case.attach"),
        Binding("s", "letter", "Letter", id="case.letter"),
        Binding("escape", "back", "Back", id="case.back"),
    ]

    def __init__(self, ctx: DeskContext, number: str, then: str | None = None) -> None:
        """`then`: a workflow action to open once the case is on screen (the breach board's
        reassign and escalate keys), if this person may take it now."""
        super().__init__(ctx)
        self.number = number
        self._then = then
        self.detail: CaseDetail | None = None
        self.offered: frozenset[str] = frozenset()
        #: The unmasked contact after a (recorded) reveal; kept while the screen is open.
        self.revealed: Contact | None = None
        self._milestones_shown: Text | None = None
        #: Set once the latest read of the case is on screen (tests wait for it: `settle`).
        self.idle = threading.Event()
        self._stop = threading.Event()
        self._wake = threading.Event()
        #: Cases the change feed named since the thread last looked (read and cleared under
        #: `_news_lock`).
        self._named: set[int] = set()
        self._news_lock = threading.Lock()

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static(Text(self.ctx.t("common.loading")), id="case-head")
        yield Static(Text(""), id="case-milestones")
        yield Static(Text(""), id="case-status")
        yield Static(Text(""), id="case-presence")
        with Horizontal(id="case-main"):
            with VerticalScroll(id="case-body"):
                yield Static(Text(""), id="case-customer")
                yield Static(Text(""), id="case-facts")
                yield Static(Text(self.ctx.t("case.plan")), classes="case-section")
                yield Static(Text(""), id="case-plan")
                yield Static(Text(self.ctx.t("letter.section")), classes="case-section -letters")
                yield LetterList(Text(""), id="case-letters", classes="-letters")
                yield Static(Text(self.ctx.t("case.notes")), classes="case-section")
                yield Static(Text(""), id="case-notes")
                yield Static(Text(self.ctx.t("case.timeline")), classes="case-section")
                yield Static(Text(""), id="case-timeline")
            yield ScriptPanel(self.ctx.t("script.title"), id="case-script")

    def on_mount(self) -> None:
        self.query_one("#case-body").focus()  # arrows and page keys scroll the case
        threading.Thread(target=self._watch, name="case-db", daemon=True).start()
        self.set_interval(1.0, self._tick)

    def on_resize(self) -> None:
        self._tick()

    def on_unmount(self) -> None:
        self._stop.set()
        self._wake.set()

    def _news(self, changes: list[Change]) -> None:
        """On the change feed's thread: note what changed and wake this screen's thread."""
        with self._news_lock:
            self._named |= ChangeFeed.affected(changes)
        self._wake.set()

    def _take_news(self) -> set[int]:
        with self._news_lock:
            named, self._named = self._named, set()
        return named
        self._wake.set()

    # -- reading ------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the case again now (after a save here; other desks' saves arrive by the feed)."""
        self.idle.clear()
        self._wake.set()

    def _watch(self) -> None:
        """Read the case, then re-read it whenever the change feed names it."""
        # Subscribed before the first read: a change committed in between is not missed.
        unsubscribe = self.ctx.changes.subscribe(self._news)
        case_id: int | None = None
        try:
            case_id = self._watch_loop()
        finally:
            unsubscribe()
            if case_id is not None:
                with contextlib.suppress(Exception):  # a stale stamp expires by itself anyway
                    presence.leave(self.ctx.desk.engine, case_id, self.ctx.me.staff_id)

    def _watch_loop(self) -> int | None:
        """Until the screen goes; returns the case shown (to leave its presence)."""
        desk = self.ctx.desk
        fresh = True
        me = self.ctx.me.staff_id
        case_id: int | None = None
        stamped = -presence.STAMP_EVERY
        while not self._stop.is_set():
            try:
                case_id = self.detail.complaint.id if self.detail is not None else None
                named = self._take_news()
                if not fresh and case_id is not None:
                    fresh = case_id in named
                if fresh:
                    detail = load_case(desk, self.number, self.ctx.lang)
                    self.app.call_from_thread(self._show, detail)
                    fresh = False
                    case_id = detail.complaint.id
                if case_id is not None and time.monotonic() - stamped >= presence.STAMP_EVERY:
                    now = clock.now()
                    presence.stamp(desk.engine, case_id, me, now)
                    here = presence.others(desk.engine, case_id, me, now)
                    self.app.call_from_thread(self._show_presence, here)
                    stamped = time.monotonic()
            except NotFound:
                self.app.call_from_thread(self._not_found)
                return case_id
            except Exception as exc:  # locked or gone: keep what is shown, say so, try again
                if self._stop.is_set():
                    return case_id
                message = self.ctx.t("queue.stale", error=self.ctx.explain(exc, 80))
                with contextlib.suppress(Exception):
                    self.app.call_from_thread(self._read_failed, message)
            woken = self._wake.wait(POLL_EVERY)
            if woken:
                self._wake.clear()
                fresh = fresh or not self.idle.is_set()
        return case_id

    def _show_presence(self, names: list[str]) -> None:
        text = self.ctx.t("case.also_here", names=", ".join(names)) if names else ""
        self.query_one("#case-presence", Static).update(safe_line(text))

    def _not_found(self) -> None:
        self.query_one("#case-head", Static).update(
            Text(self.ctx.t("case.not_found", number=self.number))
        )
        self.idle.set()

    def _status(self, message: str) -> None:
        self.query_one("#case-status", Static).update(safe_text(message))

    def _read_failed(self, message: str) -> None:
        """Said, and done for now: the thread tries again at the next wake (tests wait for
        `idle`; a failed read used to leave them waiting out their timeout)."""
        self._status(message)
        self.idle.set()

    # -- showing ------------------------------------------------------------------------------

    def _show(self, detail: CaseDetail) -> None:
        self.detail = detail
        self.offered = frozenset(detail.offered(self.ctx.me, self.ctx.desk.rules))
        if self._then is not None:
            action, self._then = self._then, None
            if action in self.offered:
                self.call_after_refresh(self.action_act, action)
            else:
                label = self.ctx.t(f"action.{action}")
                self.notify(self.ctx.t("case.not_offered", action=label), severity="warning")
        self._status("")
        self.query_one("#case-head", Static).update(self._head(detail))
        self._tick()
        self.query_one("#case-customer", Static).update(self._customer(detail))
        self.query_one("#case-facts", Static).update(self._facts(detail))
        self.query_one("#case-plan", Static).update(self._plan(detail))
        self.query_one("#case-notes", Static).update(self._notes(detail))
        masked = self.revealed is None and not sees_contact(self.ctx.me, detail.complaint)
        self.query_one(LetterList).show(detail.letters, self.ctx, masked=masked)
        self.query(".-letters").set(display=bool(detail.letters))
        self.query_one("#case-timeline", Static).update(self._timeline(detail))
        scripts = self._scripts(detail)
        panel = self.query_one("#case-script", ScriptPanel)
        panel.show(scripts)
        panel.display = bool(scripts)  # a closed case has nothing left to say
        self.refresh_bindings()
        self.idle.set()

    def _head(self, d: CaseDetail) -> RenderableType:
        t, lang, c = self.ctx.t, self.ctx.lang, d.complaint
        line = Text(t("case.title", number=c.number), style="bold")
        line.append("  ")
        line.append(
            enum_label(Severity(c.severity), lang),
            style="bold red" if c.severity == "A" else "bold",
        )
        line.append(f"  {enum_label(Status(c.status), lang)}")
        for flag in c.flags.split():
            line.append(f"  [{enum_label(RiskFlag(flag), lang)}]", style="bold magenta")
        if c.escalation_level:
            line.append("  " + t("case.escalation", level=c.escalation_level), style="bold red")
        dept = d.department(c.primary_dept_id) or t("case.not_dispatched")
        assist = ", ".join(d.department(a) for a in d.assisting)
        said = t("case.first_owner", name=d.who(c.first_owner_id))
        said += "  ·  " + t("case.department", name=dept)
        if assist:
            said += " " + t("case.assisting", names=assist)
        said += "  ·  " + t("case.assignee", name=d.who(c.assignee_id) or t("queue.unassigned"))
        return Group(line, safe_line(said, no_wrap=True, overflow="ellipsis"))

    def _tick(self) -> None:
        """The milestones line: open ones count down live, met ones say when and if on time.
        Packed into lines by whole milestones, so a narrow screen never splits one."""
        d = self.detail
        if d is None:
            return
        t, lang, desk = self.ctx.t, self.ctx.lang, self.ctx.desk
        tz = desk.settings.tz
        now = clock.now()
        items: list[Text] = []
        for m in d.milestones:
            if m.cancelled:
                continue
            item = Text(enum_label(MilestoneKind(m.kind), lang) + " ", style="bold")
            if m.met_at is not None:
                on_time = m.met_at <= m.due_at
                when = m.met_at.astimezone(tz).strftime("%m-%d %H:%M")
                said = t("case.met_on_time" if on_time else "case.met_late", time=when)
                item.append(said, style="dim" if on_time else "red")
            else:
                cd = countdown(
                    due_at=m.due_at,
                    warn_at=sla.warn_at(m, desk.policy.warn_fraction, desk.calendars),
                    calendar=m.calendar,
                    status=d.complaint.status if m.paused_at is None else "pending_customer",
                    now=now,
                    calendars=desk.calendars,
                    lang=lang,
                    paused_word=t("queue.paused"),
                )
                item.append(cd.text.strip(), style=TONE_STYLE[cd.tone])
            items.append(item)
        line = self.query_one("#case-milestones", Static)
        width = max(20, (line.size.width or self.size.width) - 2)
        packed = _pack(items, width)
        if packed != self._milestones_shown:  # most seconds change nothing: send nothing
            self._milestones_shown = packed
            line.update(packed)

    def _contact(self, d: CaseDetail) -> tuple[str, str]:
        """The customer's name and phone as this person may see them: masked unless they work
        the case or revealed them (the script's salutation follows the same rule)."""
        if self.revealed is not None:
            return self.revealed.name, self.revealed.phone
        shown = contact_for(self.ctx.me, d.complaint, d.customer.name, d.customer.phone)
        return shown.name, shown.phone

    def _customer(self, d: CaseDetail) -> RenderableType:
        t, cu = self.ctx.t, d.customer
        name, phone = self._contact(d)
        text = Text(t("case.customer") + "  ", style="bold")
        text.append(one_line(name), style="")
        text.append(f"  {one_line(phone)}", style="")
        if cu.tier == CustomerTier.VIP.value:
            text.append("  VIP", style="bold magenta")
        return text

    def _facts(self, d: CaseDetail) -> RenderableType:
        lang, c, t = self.ctx.lang, d.complaint, self.ctx.t
        facts = Table(box=None, show_header=False, padding=(0, 1, 0, 0), expand=True)
        facts.add_column(style="bold", no_wrap=True)
        facts.add_column(ratio=1)
        facts.add_row(Text(t("case.category")), Text(enum_label(Category(c.category), lang)))
        for name in ("subject", "description", "demand", "place", "order_ref", "product_ref"):
            value = getattr(c, name)
            if value:
                facts.add_row(Text(field_label(name, lang)), Prose(value))
        if d.evidence:
            facts.add_row(Text(t("case.evidence")), Prose("\n".join(d.evidence)))
        if d.attachments:
            files = attachment_lines(d.attachments, self.ctx.desk.settings.tz, t)
            facts.add_row(Text("" if d.evidence else t("case.evidence")), files)
        if c.reject_reason:
            facts.add_row(Text(t("case.reject_reason")), Prose(c.reject_reason))
        return facts

    def _plan(self, d: CaseDetail) -> RenderableType:
        t, lang, c = self.ctx.t, self.ctx.lang, d.complaint
        if not (c.remedy or c.root_cause):
            return Text(t("case.no_plan"), style="dim")
        plan = Table(box=None, show_header=False, padding=(0, 1, 0, 0), expand=True)
        plan.add_column(style="bold", no_wrap=True)
        plan.add_column(ratio=1)
        if c.root_cause:
            cause = Text()
            if c.root_cause_category:
                cause.append(enum_label(RootCause(c.root_cause_category), lang) + "\n", "bold")
            for n, why in enumerate(c.root_cause.splitlines(), start=1):
                cause.append(f"{n}. {one_line(why)}\n")
            cause.rstrip()
            plan.add_row(Text(t("case.root_cause")), Prose(cause))
        if c.remedy:
            remedy = safe_text(c.remedy)
            if c.remedy_types:
                kinds = ", ".join(enum_label(RemedyType(k), lang) for k in c.remedy_types.split())
                remedy = Text.assemble((kinds, "bold"), " — ", safe_text(c.remedy))
            plan.add_row(Text(t("case.remedy")), Prose(remedy))
        if c.compensation_amount:
            plan.add_row(Text(t("case.compensation")), Text(f"{c.compensation_amount}"))
        plan.add_row(Text(t("case.proposed_by")), safe_line(d.who(c.plan_proposed_by_id)))
        checks = [t("case.legal_cleared") if c.legal_cleared else t("case.legal_pending")]
        if c.compensation_amount:
            approver = d.who(c.compensation_approved_by_id)
            checks.append(
                t("case.approved_by", name=approver) if approver else t("case.approval_pending")
            )
        plan.add_row(Text(t("case.checks")), safe_line(" · ".join(checks)))
        return plan

    def _notes(self, d: CaseDetail) -> RenderableType:
        t, tz = self.ctx.t, self.ctx.desk.settings.tz
        if not d.notes:
            return Text(t("case.no_notes"), style="dim")
        table = Table(box=None, show_header=False, padding=(0, 1, 0, 0), expand=True)
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(ratio=1)
        for n in d.notes:
            kind = t("case.note_customer") if n.customer_facing else t("case.note_internal")
            style = "bold cyan" if n.customer_facing else "bold"
            table.add_row(
                safe_line(f"{n.at.astimezone(tz):%m-%d %H:%M} {n.who}"),
                Text(kind, style=style),
                Prose(n.body),
            )
        return table

    def _timeline(self, d: CaseDetail) -> RenderableType:
        tz = self.ctx.desk.settings.tz
        table = Table(box=None, show_header=False, padding=(0, 1, 0, 0), expand=True)
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(ratio=1)
        for e in d.timeline:
            what = Text(self._event_label(e.kind), style="bold")
            for name, before, after in e.changes:  # before and after can be customer text
                said = f"{self._field_name(name)}: {one_line(before)} → {one_line(after)}"
                what.append(f"\n  {said}", style="")
            if e.text:
                what.append("\n  ")
                what.append(safe_text(e.text, style="italic"))
            table.add_row(Text(f"{e.at.astimezone(tz):%m-%d %H:%M}"), safe_line(e.who), Prose(what))
        return table

    def _event_label(self, kind: str) -> str:
        key = f"action.{kind}" if f"action.{kind}" in self.ctx.catalog else f"event.{kind}"
        return self.ctx.t(key) if key in self.ctx.catalog else kind

    def _field_name(self, name: str) -> str:
        key = f"case.field.{name}"
        return self.ctx.t(key) if key in self.ctx.catalog else name

    def _scripts(self, d: CaseDetail) -> list[tuple[str, str]]:
        from deskapp.wording import promise_words

        t, lang, c = self.ctx.t, self.ctx.lang, d.complaint
        tier = CustomerTier.VIP if d.customer.tier == CustomerTier.VIP.value else None
        due = min((m.due_at for m in d.milestones if m.is_open and not m.cancelled), default=None)
        values: dict[str, str | None] = {
            "customer_name": self._contact(d)[0] or None,
            "agent_name": self.ctx.me.display_name,
            "case_number": c.number,
            "department": d.department(c.primary_dept_id) or None,
            "remedy": c.remedy or None,
            "reason": c.reject_reason or None,
            "summary": c.remedy or c.subject,
            "reply_by": promise_words(due, clock.now(), self.ctx.desk.settings.tz, lang)
            if due
            else None,
        }
        scripts = []
        for stage in stages_for(c):
            body = self.ctx.scripts.render(
                stage,
                lang,
                values,
                category=Category(c.category),
                severity=Severity(c.severity),
                tier=tier,
                missing=lambda _name: t("script.pending"),
            )
            scripts.append((t(f"script.stage.{stage}"), body))
        return scripts

    # -- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "act":
            return bool(parameters) and parameters[0] in self.offered
        d, me = self.detail, self.ctx.actor
        if action == "letter":
            return letter_offered(self.ctx, d)
        if action in ("reveal", "note", "attach"):
            if d is None or me is None:
                return False
            if action == "reveal" and (self.revealed or sees_contact(me, d.complaint)):
                return False  # nothing hidden to reveal
            wanted = {"reveal": "reveal_contact", "note": "add_note"}.get(action, "attach_evidence")
            return permissions.allows(wanted, me.facts(), case_facts(d.complaint))
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def action_reveal(self) -> None:
        try:
            contact = self.ctx.desk.reveal_contact(self.ctx.me, self.number)
        except DeskError as exc:
            refused = self.ctx.t("case_action.refused", why=self.ctx.explain(exc))
            self.app.call_from_thread(self._status, refused)
            return
        self.app.call_from_thread(self._reveal, contact)

    def _reveal(self, contact: Contact) -> None:
        self.revealed = contact
        if self.detail is not None:
            self.query_one("#case-customer", Static).update(self._customer(self.detail))
            self.query_one("#case-script", ScriptPanel).show(self._scripts(self.detail))
        self.notify(self.ctx.t("case.revealed"))
        self.refresh_bindings()

    def action_note(self) -> None:
        if self.detail is not None:
            self._open(NOTE, None)

    def action_letter(self) -> None:
        def done(letter: LetterRecord | None) -> None:
            if letter is not None:
                self.notify(LetterDialog.said(self.ctx, letter))
                self.reload()

        if self.detail is not None:
            self.app.push_screen(LetterDialog(self.ctx, self.detail), done)

    def action_attach(self) -> None:
        def done(file: Attached | None) -> None:
            if file is not None:
                self.notify(self.ctx.t("case.attached", name=file.file_name, sha=file.sha256[:12]))
                self.reload()

        self.app.push_screen(AttachDialog(self.ctx, self.number), done)

    def action_act(self, action: str) -> None:
        if self.detail is None or action not in self.offered:
            return
        if action == "assign":
            self._open_assign(self.detail)
        else:
            self._open(action, None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def _open_assign(self, detail: CaseDetail) -> None:
        people = assignable(self.ctx.desk, detail.complaint.primary_dept_id)
        self.app.call_from_thread(self._open, "assign", people)

    def _open(self, action: str, people: list[tuple[int, str]] | None) -> None:

        assert self.detail is not None

        def done(saved: bool | None) -> None:
            if saved:
                self.notify(self.ctx.t("case_action.saved", action=self.ctx.t(f"action.{action}")))
                self.reload()

        self.app.push_screen(
            CaseActionDialog(self.ctx, self.detail, action, assignable=people), done
        )

    def action_back(self) -> None:
        self.app.pop_screen()


def _pack(items: list[Text], width: int, gap: str = "   ") -> Text:
    """Items side by side, a new line when the next would not fit; none is ever split."""
    packed = Text(no_wrap=True, overflow="ellipsis")
    used = 0
    for item in items:
        size = item.cell_len
        if used and used + len(gap) + size > width:
            packed.append("\n")
            used = 0
        elif used:
            packed.append(gap)
            used += len(gap)
        packed.append_text(item)
        used += size
    return packed
