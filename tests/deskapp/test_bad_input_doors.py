"""Bad input through the other doors: an import file and the command line. Arbitrary text (every
Unicode plane, CJK and emoji, RTL and zero-width marks, NUL, lone surrogates, markup, ANSI/OSC
sequences, SQL fragments, very long text) is stored exactly as given or refused with a message
naming the line or the field and the limit; nothing crashes, nothing is interpreted, and the
audit chain (rows included) still verifies. `test_bad_input.py` covers the intake and the case
actions."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import select

from deskapp.cases import Desk
from deskapp.cli import main
from deskapp.importing import ImportFailed, ImportOptions, run_import
from deskapp.importing.plan import MAX_FIELD
from deskapp.seal_check import check_rows
from store.engine import read_session
from store.models import Complaint, Department, Staff
from tests.deskapp.test_bad_input import NASTY, TEXT

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "cfpb" / "v2-public.csv"
NARRATIVE = "Consumer complaint narrative"
HUGE = st.integers(min_value=-1, max_value=1).map(lambda k: "长" * (MAX_FIELD + k))
LOGINS = itertools.count(1)
SLOW = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _chain_and_rows_verify(engine: Engine) -> None:
    with read_session(engine) as s:
        chain, rows = check_rows(s)
    assert chain.ok and rows.ok, (chain, rows.problems)


def _one_record_file(path: Path, narrative: str, issue: str, ident: int) -> None:
    """The CFPB public export's header and its first record, three cells replaced."""
    with SHARED.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header, record = next(reader), next(reader)
    record[header.index(NARRATIVE)] = narrative
    record[header.index("Issue")] = issue
    record[header.index("Complaint ID")] = str(ident)
    with path.open("w", encoding="utf-8", errors="surrogatepass", newline="") as f:
        csv.writer(f).writerows([header, record])


@SLOW
@given(narrative=st.one_of(TEXT, HUGE), issue=TEXT, ident=st.integers(1, 10**12))
def test_an_import_stores_a_record_exactly_or_names_its_line_and_column(
    engine: Engine, staffed: dict[str, int], tmp_path: Path, narrative: str, issue: str, ident: int
) -> None:
    path = tmp_path / "complaints.csv"
    _one_record_file(path, narrative, issue, ident)
    desk = Desk(engine)
    before = len(_complaints(engine))
    try:
        report = run_import(
            engine,
            path,
            ImportOptions(mapping="cfpb"),
            settings=desk.settings,
            policy=desk.policy,
            calendars=desk.calendars,
            os_user="tester",
        )
    except ImportFailed as exc:  # the whole file refused (e.g. bytes that are no text)
        assert str(exc).strip()
        assert len(_complaints(engine)) == before
        return
    if report.bad:
        (bad,) = report.bad
        assert bad.line == 2
        # Named: the column and what is wrong with it (a NUL, the length and its limit, …).
        assert "column" in bad.reason or "byte" in bad.reason, bad.reason
        clean_issue = "\x00" not in issue and not any(0xD800 <= ord(c) < 0xE000 for c in issue)
        if len(narrative) > MAX_FIELD and clean_issue:  # the first problem in a row is told
            assert f"at most {MAX_FIELD:,}" in bad.reason
        assert len(_complaints(engine)) == before
    elif report.already:
        pass  # the same record (same complaint id) in an earlier example: not added twice
    else:
        (case,) = _complaints(engine)[before:]
        assert case.description == narrative.strip() or case.description == narrative
    _chain_and_rows_verify(engine)


def _complaints(engine: Engine) -> list[Complaint]:
    with read_session(engine) as s:
        return list(s.exec(select(Complaint).order_by(Complaint.id)).all())  # type: ignore[arg-type]


@SLOW
@given(name=st.one_of(TEXT, NASTY, st.text(min_size=95, max_size=110)))
def test_a_staff_name_on_the_command_line_is_stored_exactly_or_refused(
    db_url: str, engine: Engine, staffed: dict[str, int], name: str
) -> None:
    login = f"u{next(LOGINS)}"
    result = CliRunner().invoke(
        main,
        ["user", "add", login, "--name", name, "--role", "agent", "--as", "admin", "--db", db_url],
        input="demo\n",
    )
    with read_session(engine) as s:
        stored = s.exec(select(Staff).where(Staff.login == login)).first()
    if result.exit_code == 0:
        # Surrounding white space (a script's trailing "\r") is trimmed, as for every name.
        assert stored is not None and stored.display_name == name.strip()
    else:
        assert result.exit_code == 2, (result.exit_code, result.output)
        # The desk's refusal names the field ("deskapp: name: at most 100 characters"), or the
        # argument that is no text; click's names the option it could not read.
        said = result.output
        named = ("deskapp: name: ", "not valid UTF-8", "holds a NUL", "Error:")
        assert any(n in said for n in named), said
        assert "Traceback" not in result.output
        assert stored is None
    _chain_and_rows_verify(engine)


@SLOW
@given(code=st.one_of(TEXT, NASTY), name=TEXT)
def test_a_department_on_the_command_line_is_stored_exactly_or_refused(
    db_url: str, engine: Engine, staffed: dict[str, int], code: str, name: str
) -> None:
    with read_session(engine) as s:
        before = len(s.exec(select(Department)).all())
    result = CliRunner().invoke(
        main,
        ["dept", "add", code, "--name", name, "--as", "admin", "--db", db_url],
        input="demo\n",
    )
    with read_session(engine) as s:
        departments = {d.code: d.name for d in s.exec(select(Department)).all()}
    if result.exit_code == 0:
        assert departments.get(code.strip().upper()) == name or departments.get(code) == name
    else:
        assert len(departments) == before  # nothing added
        assert result.exit_code == 2, (result.exit_code, result.output)
        assert "Traceback" not in result.output and result.output.strip()
    _chain_and_rows_verify(engine)


@SLOW
@given(number=st.one_of(TEXT, NASTY))
def test_a_case_number_on_the_command_line_is_looked_up_never_interpreted(
    db_url: str, engine: Engine, staffed: dict[str, int], number: str
) -> None:
    result = CliRunner().invoke(main, ["notice", number, "--db", db_url])
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.output.startswith("deskapp: ") and "Traceback" not in result.output
