"""F9 (admins only): staff and departments from the desk — what `deskapp user` and `deskapp
dept` do, through the same rules (`deskapp.staff_admin`), each change an audited event naming
the admin at the desk.

Two lists: staff above, departments below (`tab` moves between them). Keys act on the
highlighted row of the list with focus, and only that list's keys are offered (the key bar
of an 80-column terminal has room for one list's keys, not both).
Nobody else reaches this screen: the key and the palette entry are offered to admins only,
and the screen itself closes with a refusal for anyone else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.cells import set_cell_size
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from deskapp.context import DeskContext
from deskapp.display import one_line
from deskapp.domain import Role
from deskapp.errors import DeskError, InvalidInput
from deskapp.staff_admin import DeptRecord, Operator, StaffAdmin, StaffRecord, operator_for
from screens.base import DeskScreen
from screens.dialogs.admin_form import AdminFormDialog, FormField


def _cells(text: str, width: int) -> str:
    """`text` cut or padded to `width` terminal cells (a CJK character takes two)."""
    return set_cell_size(text, width)


def may_administer(ctx: DeskContext) -> bool:
    return ctx.actor is not None and Role.ADMIN in ctx.actor.roles


class AdminScreen(DeskScreen):
    DEFAULT_CSS = """
    AdminScreen .admin-title { height: 1; padding: 0 1; background: $boost; }
    AdminScreen #admin-staff { height: 1fr; }
    AdminScreen #admin-depts { height: auto; max-height: 9; }
    AdminScreen #admin-said { height: 1; padding: 0 1; color: $success; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "add", "New", id="admin.add"),
        Binding("r", "roles", "Roles", id="admin.roles"),
        Binding("e", "edit_staff", "Edit", id="admin.edit_staff"),
        Binding("x", "toggle_active", "Disable/enable", id="admin.toggle_active"),
        Binding("u", "unlock", "Unlock", id="admin.unlock"),
        Binding("p", "password", "Password", id="admin.password"),
        Binding("m", "set_manager", "Manager", id="admin.set_manager"),
        Binding("l", "set_liaison", "Liaison", id="admin.set_liaison"),
        Binding("escape", "back", "Back", id="admin.back"),
    ]

    #: The keys of each list; the other list's keys are hidden while it has no focus.
    STAFF_ACTIONS = frozenset({"roles", "edit_staff", "unlock", "password"})
    DEPT_ACTIONS = frozenset({"set_manager", "set_liaison"})

    def __init__(self, ctx: DeskContext) -> None:
        super().__init__(ctx)
        self.admin = StaffAdmin(ctx.desk.engine)
        self.people: list[StaffRecord] = []
        self.depts: list[DeptRecord] = []

    def compose(self) -> ComposeResult:
        t = self.ctx.t
        yield from self.compose_frame()
        yield Static(Text(t("admin.staff_title")), classes="admin-title", id="admin-staff-title")
        yield OptionList(id="admin-staff")
        yield Static(Text(t("admin.dept_title")), classes="admin-title")
        yield OptionList(id="admin-depts")
        yield Static("", id="admin-said", markup=False)

    def on_mount(self) -> None:
        if not may_administer(self.ctx):
            # Reached by some other way than F9 or the palette: refuse, and leave.
            self.app.notify(self.ctx.t("admin.refused"), severity="error")
            self.app.pop_screen()
            return
        self.query_one("#admin-staff", OptionList).focus()
        self.load()

    def _depts_focused(self) -> bool:
        return self.is_mounted and self.query_one("#admin-depts", OptionList).has_focus

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.STAFF_ACTIONS:
            return not self._depts_focused()
        if action in self.DEPT_ACTIONS:
            return self._depts_focused()
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    # -- reading ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def load(self) -> None:
        people, depts = self.admin.staff(), self.admin.departments()
        self.app.call_from_thread(self._show, people, depts)

    def _show(self, people: list[StaffRecord], depts: list[DeptRecord]) -> None:
        self.people, self.depts = people, depts
        self._fill("#admin-staff", [(p.login, self._staff_line(p)) for p in people])
        self._fill("#admin-depts", [(d.code, self._dept_line(d)) for d in depts])

    def _fill(self, selector: str, rows: list[tuple[str, Text]]) -> None:
        box = self.query_one(selector, OptionList)
        highlighted = box.highlighted
        box.clear_options()
        for key, line in rows:
            box.add_option(Option(line, id=key))
        if rows:
            box.highlighted = min(highlighted or 0, len(rows) - 1)

    def _staff_line(self, p: StaffRecord) -> Text:
        t = self.ctx.t
        state = t("admin.disabled") if not p.active else t("admin.locked") if p.locked else ""
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(_cells(p.login, 12) + " ", style="bold" if p.active else "dim")
        line.append(_cells(one_line(p.display_name), 14) + " ")
        line.append(_cells(p.department_code or "-", 6) + " ")
        line.append(f"{p.compensation_limit:>10} ")
        line.append(",".join(p.roles))
        if state:
            line.append(f"  [{state}]", style="red")
        return line

    def _dept_line(self, d: DeptRecord) -> Text:
        t = self.ctx.t
        name = d.name if self.ctx.lang == "zh" else d.name_en or d.name
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(_cells(d.code, 6) + " ", style="bold" if d.active else "dim")
        line.append(_cells(one_line(name), 12) + " ")
        line.append(t("admin.manager_is", login=d.manager_login or "-") + "  ")
        line.append(t("admin.liaison_is", login=d.liaison_login or "-") + "  ")
        line.append(t("admin.members", count=d.members))
        if not d.active:
            line.append(f"  [{t('admin.disabled')}]", style="red")
        return line

    def _person(self) -> StaffRecord | None:
        box = self.query_one("#admin-staff", OptionList)
        if box.highlighted is None or not self.people:
            return None
        return self.people[box.highlighted]

    def _dept(self) -> DeptRecord | None:
        box = self.query_one("#admin-depts", OptionList)
        if box.highlighted is None or not self.depts:
            return None
        return self.depts[box.highlighted]

    # -- changing -----------------------------------------------------------------------------

    def _change(self, done: str, call: Callable[[StaffAdmin, Operator], object]) -> None:
        """Run one change that needs no form in a worker; say it was done, or why the rules
        refused it (in the status line)."""
        op = self._op()
        self._apply(done, lambda: call(self.admin, op))

    @work(thread=True, exit_on_error=False, group="db-admin")
    def _apply(self, done: str, run: Callable[[], object]) -> None:
        try:
            run()
        except DeskError as exc:
            said = self.ctx.t("admin.refused_change", message=self.ctx.explain(exc))
            self.app.call_from_thread(self.status_line.show_error, said)
        else:
            self.ctx.forget_names()  # lists elsewhere show the new names and departments
            self.app.call_from_thread(self._said, done)
        self.app.call_from_thread(self.load)

    def _said(self, message: str) -> None:
        self.status_line.clear()
        self.query_one("#admin-said", Static).update(Text(message))

    def _form(
        self,
        title: str,
        fields: list[FormField],
        save: Callable[[dict[str, str]], str],
        hint: str = "",
    ) -> None:
        """Ask in a form; `save` makes the change (in the form's worker) and says what was
        done. A refusal stays in the form with everything typed, to be corrected."""

        def submit(values: dict[str, str]) -> str | None:
            try:
                done = save(values)
            except DeskError as exc:
                return self.ctx.t("admin.refused_change", message=self.ctx.explain(exc))
            self.ctx.forget_names()  # lists elsewhere show the new names and departments
            self.app.call_from_thread(self._said, done)
            self.app.call_from_thread(self.load)
            return None

        self.app.push_screen(AdminFormDialog(title, fields, hint, submit=submit))

    def _op(self) -> Operator:
        me = self.ctx.me
        return operator_for(me.staff_id, me.login)

    def _f(self, name: str, value: str = "", *, password: bool = False) -> FormField:
        return FormField(name, self.ctx.t(f"admin.field.{name}"), value, password)

    def action_add(self) -> None:
        """A new department when the departments have focus, else a new account."""
        if self._depts_focused():
            self.action_add_dept()
        else:
            self.action_add_staff()

    def action_add_staff(self) -> None:
        t = self.ctx.t
        fields = [
            self._f("login"),
            self._f("name"),
            self._f("roles", "agent"),
            self._f("dept"),
            self._f("authority", "0"),
            self._f("language"),
            self._f("password", password=True),
        ]

        def save(v: dict[str, str]) -> str:
            added = self.admin.add_staff(
                self._op(),
                v["login"],
                name=v["name"],
                roles=v["roles"],
                dept=v["dept"].strip() or None,
                authority=v["authority"] or "0",
                password=v["password"] or None,
                language=v["language"],
            )
            return t("admin.done.added", login=added.login)

        self._form(t("admin.add_staff"), fields, save, t("admin.roles_hint"))

    def action_roles(self) -> None:
        p = self._person()
        if p is None:
            return
        t = self.ctx.t

        def save(v: dict[str, str]) -> str:
            self.admin.set_roles(self._op(), p.login, v["roles"])
            return t("admin.done.roles", login=p.login)

        title = t("admin.roles_of", login=p.login)
        self._form(title, [self._f("roles", ",".join(p.roles))], save, t("admin.roles_hint"))

    def action_edit_staff(self) -> None:
        p = self._person()
        if p is None:
            return
        t = self.ctx.t
        fields = [
            self._f("name", p.display_name),
            self._f("dept", p.department_code),
            self._f("authority", str(p.compensation_limit)),
            self._f("language", p.language),
        ]

        def save(v: dict[str, str]) -> str:
            self.admin.edit(
                self._op(),
                p.login,
                name=v["name"],
                dept=v["dept"].strip() or None,
                authority=v["authority"].strip() or "0",
                language=v["language"],
            )
            return t("admin.done.edited", login=p.login)

        self._form(t("admin.edit_of", login=p.login), fields, save)

    def action_toggle_active(self) -> None:
        t = self.ctx.t
        if self._depts_focused():
            d = self._dept()
            if d is None:
                return
            if d.active:
                self._change(
                    t("admin.done.dept_disabled", code=d.code),
                    lambda a, op: a.disable_department(op, d.code),
                )
            else:
                self._change(
                    t("admin.done.dept_enabled", code=d.code),
                    lambda a, op: a.enable_department(op, d.code),
                )
            return
        p = self._person()
        if p is None:
            return
        if p.active:
            self._change(
                t("admin.done.disabled", login=p.login), lambda a, op: a.disable(op, p.login)
            )
        else:
            self._change(
                t("admin.done.enabled", login=p.login), lambda a, op: a.enable(op, p.login)
            )

    def action_unlock(self) -> None:
        p = self._person()
        if p is not None:
            self._change(
                self.ctx.t("admin.done.unlocked", login=p.login),
                lambda a, op: a.unlock(op, p.login),
            )

    def action_password(self) -> None:
        p = self._person()
        if p is None:
            return
        t = self.ctx.t
        fields = [self._f("password", password=True), self._f("password_again", password=True)]

        def save(v: dict[str, str]) -> str:
            if v["password"] != v["password_again"]:
                raise InvalidInput({"password": t("admin.passwords_differ")})
            self.admin.set_password(self._op(), p.login, v["password"])
            return t("admin.done.password", login=p.login)

        self._form(t("admin.password_of", login=p.login), fields, save)

    def action_add_dept(self) -> None:
        t = self.ctx.t
        fields = [self._f("code"), self._f("dept_name"), self._f("dept_name_en")]

        def save(v: dict[str, str]) -> str:
            added = self.admin.add_department(
                self._op(), v["code"], name=v["dept_name"], name_en=v["dept_name_en"]
            )
            return t("admin.done.dept_added", code=added.code)

        self._form(t("admin.add_dept"), fields, save)

    def _set_head(self, which: str) -> None:
        d = self._dept()
        if d is None:
            return
        t = self.ctx.t
        current = d.manager_login if which == "manager" else d.liaison_login

        def save(v: dict[str, str]) -> str:
            login = v["login"].strip() or None
            setter = self.admin.set_manager if which == "manager" else self.admin.set_liaison
            setter(self._op(), d.code, login)
            return t(f"admin.done.{which}", code=d.code, login=login or "-")

        title = t(f"admin.{which}_of", code=d.code)
        self._form(title, [self._f("login", current)], save, t("admin.head_hint"))

    def action_set_manager(self) -> None:
        self._set_head("manager")

    def action_set_liaison(self) -> None:
        self._set_head("liaison")

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(OptionList.OptionSelected, "#admin-staff")
    def _selected(self, _: OptionList.OptionSelected) -> None:
        """enter on an account edits it."""
        self.action_edit_staff()
