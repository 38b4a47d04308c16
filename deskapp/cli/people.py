"""`deskapp user`, `deskapp dept` and `deskapp init`: staff, departments and roles.

A thin layer over `deskapp.staff_admin`, which holds the rules and writes the audit events.
Every change names the operating-system user who ran it; `--as LOGIN` adds an admin account,
whose password is asked on the terminal (anyone who can run this with the database URL holds
the database's rights anyway: `--as` records who vouched, and refuses a non-admin).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from deskapp.cli.common import db_option, engine_for, fail, main, upgrade_hint

if TYPE_CHECKING:
    from deskapp.staff_admin import Operator, StaffAdmin

F = TypeVar("F", bound=Callable[..., Any])

as_option = click.option(
    "--as",
    "as_login",
    metavar="LOGIN",
    default=None,
    help="Also record this admin account as the one making the change "
    "(its password is asked on the terminal).",
)


def _admin(db_url: str | None, as_login: str | None) -> tuple[StaffAdmin, Operator]:
    """The use cases and who is acting; a database behind this program, a non-admin or a
    wrong password for `--as` stops here with the reason."""
    from deskapp import clock
    from deskapp.auth import AccountLocked, SignInError
    from deskapp.errors import DeskError
    from deskapp.staff_admin import Operator, StaffAdmin, authenticate_admin, os_user
    from store.engine import describe, resolve_url
    from store.migrate import SchemaBehindError, check_current

    clock.freeze_from_env()
    engine = engine_for(db_url)
    try:
        check_current(engine, command_hint=upgrade_hint(db_url))
    except SchemaBehindError as exc:
        fail(f"{describe(resolve_url(db_url))}: {exc}")
    if as_login is None:
        return StaffAdmin(engine), Operator(os_user())
    password = click.prompt(f"password for {as_login}", hide_input=True, err=True)
    try:
        return StaffAdmin(engine), authenticate_admin(engine, as_login, password)
    except (SignInError, AccountLocked) as exc:
        fail(f"--as {as_login}: {exc}")
    except DeskError as exc:
        fail(str(exc))
    raise AssertionError("unreachable")


def _run(action: Callable[[], Any]) -> Any:
    """Run a use case; a refusal becomes one line on stderr and exit status 2."""
    from deskapp.errors import DeskError

    try:
        return action()
    except DeskError as exc:
        fail(str(exc))


def _new_password(password_stdin: bool, what: str = "new password") -> str:
    """Asked twice with hidden input, or one line from stdin for scripts: never an argument
    (it would sit in the shell history and in `ps`)."""
    if password_stdin:
        line = sys.stdin.readline()
        password = line.removesuffix("\n").removesuffix("\r")
        if not password:
            fail("--password-stdin: no password on standard input")
        return password
    return str(click.prompt(what, hide_input=True, confirmation_prompt=True, err=True))


password_stdin_option = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)


# -- users ------------------------------------------------------------------------------------


@main.group()
def user() -> None:
    """Staff accounts: add, list, roles, disable, passwords, unlock."""


@user.command("add")
@click.argument("login")
@click.option("--name", required=True, help="Display name.")
@click.option("--role", "roles", required=True, metavar="R[,R…]", help="Roles, comma separated.")
@click.option("--dept", default=None, metavar="CODE", help="Department (handler, dept_manager).")
@click.option("--authority", default="0", metavar="AMOUNT", help="Compensation authority.")
@click.option("--password", "ask_password", is_flag=True, help="Ask for a password (twice).")
@click.option(
    "--lang", "language", default="", metavar="zh|en", help="The desk's language after sign-in."
)
@password_stdin_option
@as_option
@db_option
def user_add(
    login: str,
    name: str,
    roles: str,
    dept: str | None,
    authority: str,
    ask_password: bool,
    language: str,
    password_stdin: bool,
    as_login: str | None,
    db_url: str | None,
) -> None:
    """Add a staff account. Without --password or --password-stdin it has no password: it can
    sign in over SSH as its OS user, or once `deskapp user passwd` has set one."""
    admin, op = _admin(db_url, as_login)
    password = _new_password(password_stdin) if ask_password or password_stdin else None
    rec = _run(
        lambda: admin.add_staff(
            op,
            login,
            name=name,
            roles=roles,
            dept=dept,
            authority=authority,
            password=password,
            language=language,
        )
    )
    click.echo(f"added {rec.login} ({' '.join(rec.roles)}{_in(rec.department_code)})")


def _in(code: str) -> str:
    return f", {code}" if code else ""


@user.command("list")
@click.option("--active", "only_active", is_flag=True, help="Only enabled accounts.")
@db_option
def user_list(only_active: bool, db_url: str | None) -> None:
    """Every account: login, name, roles, department, authority, state."""
    admin, _ = _admin(db_url, None)
    from deskapp.display import one_line

    rows = admin.staff(include_inactive=not only_active)
    click.echo(f"{'login':<16} {'dept':<8} {'authority':>12}  {'state':<8} roles · name")
    for r in rows:
        state = "disabled" if not r.active else "locked" if r.locked else "active"
        click.echo(
            f"{r.login:<16} {r.department_code or '-':<8} {r.compensation_limit:>12}  "
            f"{state:<8} {','.join(r.roles)} · {one_line(r.display_name)}"
        )


@user.command("show")
@click.argument("login")
@db_option
def user_show(login: str, db_url: str | None) -> None:
    """One account in full (never its password)."""
    admin, _ = _admin(db_url, None)
    from deskapp.display import one_line

    r = _run(lambda: admin.show(login))
    locked = r.locked_until.isoformat() if r.locked else "no"
    for label, value in (
        ("login", r.login),
        ("name", one_line(r.display_name)),
        ("roles", ",".join(r.roles)),
        ("department", r.department_code or "-"),
        ("authority", str(r.compensation_limit)),
        ("language", r.language or "the terminal's"),
        ("active", "yes" if r.active else "no"),
        ("failed sign-ins", str(r.failed_logins)),
        ("locked until", locked),
    ):
        click.echo(f"{label + ':':<17}{value}")


def _staff_change(name: str, help_text: str, call: Callable[..., Any], done: str) -> None:
    """`user disable|enable|unlock LOGIN`: one change with no other argument."""

    @user.command(name, help=help_text)
    @click.argument("login")
    @as_option
    @db_option
    def command(login: str, as_login: str | None, db_url: str | None) -> None:
        admin, op = _admin(db_url, as_login)
        _run(lambda: call(admin, op, login))
        click.echo(f"{login}: {done}")


_staff_change(
    "disable",
    "Disable an account: no more sign-ins, and its open desk signs out within seconds.",
    lambda a, op, login: a.disable(op, login),
    "disabled",
)
_staff_change(
    "enable",
    "Enable a disabled account again.",
    lambda a, op, login: a.enable(op, login),
    "enabled",
)
_staff_change(
    "unlock",
    "Lift a lock-out after too many failed sign-ins.",
    lambda a, op, login: a.unlock(op, login),
    "unlocked",
)


@user.command("roles")
@click.argument("login")
@click.argument("roles", metavar="R[,R…]")
@as_option
@db_option
def user_roles(login: str, roles: str, as_login: str | None, db_url: str | None) -> None:
    """Replace an account's roles (effective from the person's next action)."""
    admin, op = _admin(db_url, as_login)
    rec = _run(lambda: admin.set_roles(op, login, roles))
    click.echo(f"{rec.login}: roles {','.join(rec.roles)}")


@user.command("set")
@click.argument("login")
@click.option("--name", default=None, help="New display name.")
@click.option("--dept", default=None, metavar="CODE", help="Move to this department ('-': none).")
@click.option("--authority", default=None, metavar="AMOUNT", help="Compensation authority.")
@click.option(
    "--lang",
    "language",
    default=None,
    metavar="zh|en|-",
    help="Language after sign-in ('-': the terminal's).",
)
@as_option
@db_option
def user_set(
    login: str,
    name: str | None,
    dept: str | None,
    authority: str | None,
    language: str | None,
    as_login: str | None,
    db_url: str | None,
) -> None:
    """Change an account's name, department, compensation authority or language."""
    if name is None and dept is None and authority is None and language is None:
        fail("nothing to change: give --name, --dept, --authority or --lang")
    admin, op = _admin(db_url, as_login)
    from deskapp.staff_admin import KEEP

    _run(
        lambda: admin.edit(
            op,
            login,
            name=name,
            dept=KEEP if dept is None else None if dept == "-" else dept,
            authority=authority,
            language=language,
        )
    )
    rec = admin.show(login)
    click.echo(f"{rec.login}: {rec.department_code or '-'}, authority {rec.compensation_limit}")


@user.command("passwd")
@click.argument("login")
@password_stdin_option
@as_option
@db_option
def user_passwd(login: str, password_stdin: bool, as_login: str | None, db_url: str | None) -> None:
    """Set an account's password (asked twice, hidden; or --password-stdin). Also unlocks."""
    admin, op = _admin(db_url, as_login)
    _run(lambda: admin.show(login))  # an unknown login is said before the password is asked
    password = _new_password(password_stdin)
    _run(lambda: admin.set_password(op, login, password))
    click.echo(f"{login}: password set")


# -- departments ------------------------------------------------------------------------------


@main.group()
def dept() -> None:
    """Departments: add, list, manager, liaison, disable."""


@dept.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Name in Chinese (the desk's home language).")
@click.option("--name-en", default="", help="Name in English.")
@as_option
@db_option
def dept_add(code: str, name: str, name_en: str, as_login: str | None, db_url: str | None) -> None:
    """Add a department."""
    admin, op = _admin(db_url, as_login)
    rec = _run(lambda: admin.add_department(op, code, name=name, name_en=name_en))
    click.echo(f"added department {rec.code}")


@dept.command("list")
@db_option
def dept_list(db_url: str | None) -> None:
    """Every department with its manager, liaison and active members."""
    admin, _ = _admin(db_url, None)
    from deskapp.display import one_line

    click.echo(f"{'code':<8} {'manager':<14} {'liaison':<14} {'staff':>5}  state    name")
    for d in admin.departments():
        click.echo(
            f"{d.code:<8} {d.manager_login or '-':<14} {d.liaison_login or '-':<14} "
            f"{d.members:>5}  {'active' if d.active else 'disabled':<8} "
            f"{one_line(d.name)} / {one_line(d.name_en)}"
        )


def _dept_head(name: str, help_text: str, which: str) -> None:
    @dept.command(name, help=help_text)
    @click.argument("code")
    @click.argument("login", required=False)
    @click.option("--none", "clear", is_flag=True, help="Clear it.")
    @as_option
    @db_option
    def command(
        code: str, login: str | None, clear: bool, as_login: str | None, db_url: str | None
    ) -> None:
        if (login is None) == (not clear):
            fail("name a LOGIN, or --none to clear it")
        admin, op = _admin(db_url, as_login)
        setter = admin.set_manager if which == "manager" else admin.set_liaison
        rec = _run(lambda: setter(op, code, None if clear else login))
        now = rec.manager_login if which == "manager" else rec.liaison_login
        click.echo(f"{rec.code}: {which} {now or '(none)'}")


_dept_head(
    "set-manager", "Set a department's manager (an active member with dept_manager).", "manager"
)
_dept_head("set-liaison", "Set who receives a department's dispatch notices.", "liaison")


@dept.command("disable")
@click.argument("code")
@as_option
@db_option
def dept_disable(code: str, as_login: str | None, db_url: str | None) -> None:
    """Stop offering a department for dispatch (refused while active staff belong to it)."""
    admin, op = _admin(db_url, as_login)
    rec = _run(lambda: admin.disable_department(op, code))
    click.echo(f"{rec.code}: disabled")


@dept.command("enable")
@click.argument("code")
@as_option
@db_option
def dept_enable(code: str, as_login: str | None, db_url: str | None) -> None:
    """Offer a disabled department again."""
    admin, op = _admin(db_url, as_login)
    rec = _run(lambda: admin.enable_department(op, code))
    click.echo(f"{rec.code}: enabled")


# -- the first run ----------------------------------------------------------------------------


@main.command()
@click.option("--login", default=None, help="The first admin's login (asked if not given).")
@click.option("--name", default=None, help="The first admin's display name.")
@click.option("--dept", "dept_code", default=None, metavar="CODE", help="First department code.")
@click.option("--dept-name", default=None, help="First department's name (Chinese).")
@click.option("--dept-name-en", default=None, help="First department's name (English).")
@password_stdin_option
@db_option
def init(
    login: str | None,
    name: str | None,
    dept_code: str | None,
    dept_name: str | None,
    dept_name_en: str | None,
    password_stdin: bool,
    db_url: str | None,
) -> None:
    """Set up a real desk: migrate, then create the first department and admin (no demo
    data). Refused when the desk already has staff."""
    from deskapp import clock
    from deskapp.staff_admin import Operator, StaffAdmin, os_user
    from store.engine import describe, resolve_url
    from store.migrate import upgrade as do_upgrade

    clock.freeze_from_env()
    engine = engine_for(db_url)
    do_upgrade(engine)
    where = describe(resolve_url(db_url))
    admin = StaffAdmin(engine)
    if admin.has_staff():
        fail(f"{where}: this desk already has staff; use `deskapp user add` instead")
    login = login or click.prompt("first admin's login", err=True)
    name = name or click.prompt("first admin's name", err=True)
    dept_code = dept_code or click.prompt("first department's code", err=True)
    dept_name = dept_name or click.prompt("first department's name (Chinese)", err=True)
    if dept_name_en is None:
        dept_name_en = click.prompt("its English name", default="", err=True)
    password = _new_password(password_stdin, f"password for {login}")
    rec = _run(
        lambda: admin.initialise(
            Operator(os_user()),
            login=login,
            name=name,
            password=password,
            dept_code=dept_code,
            dept_name=dept_name,
            dept_name_en=dept_name_en or "",
        )
    )
    click.echo(f"{where}: desk initialised; admin {rec.login} in {rec.department_code}")
