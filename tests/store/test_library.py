"""The case library (案例库): closed cases found again by their words, Chinese without word
breaks and English alike, ranked the same way on SQLite (FTS5 trigram) and PostgreSQL
(pg_trgm) (issue 15)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from deskapp import library as lib
from deskapp.cases import Desk, IntakeForm
from deskapp.cli import main
from store import library
from store.engine import write_session
from tests.deskapp.test_cases import CAUSE, NO_CLAIM, Flow, who


@pytest.fixture
def desk(engine: Engine, staffed: dict[str, int]) -> Desk:
    return Desk(engine)


def test_the_searchable_text_needs_no_word_breaks() -> None:
    assert library.tokens("冰箱门边漏水，The fridge LEAKS！") == [
        *("冰箱", "箱门", "门边", "边漏", "漏水"),
        *("the", "fridge", "leaks"),
    ]
    assert library.search_text("冰箱 漏水") == " 冰箱 漏水 "
    assert library.tokens("ＴＶ２台") == ["tv2", "台"]  # full-width folded (NFKC)


def closed_case(
    engine: Engine, desk: Desk, n: int, subject: str, remedy: str, satisfaction: int
) -> int:
    """A case registered, then written closed with its remedy and verdict."""
    form = IntakeForm(
        phone=f"1390000{n:04d}",
        name="客户",
        subject=subject,
        description=subject,
        demand="处理",
    )
    result = desk.intake(who(desk, "agent"), form)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE complaint SET status = 'closed', is_open = :no, remedy = :remedy,"
                " root_cause_category = 'manufacturing', root_cause = :cause,"
                " satisfaction = :sat WHERE id = :id"
            ),
            {
                "no": False,
                "remedy": remedy,
                "cause": f"原因{n}",
                "sat": satisfaction,
                "id": result.complaint_id,
            },
        )
    return result.complaint_id


@pytest.fixture
def shelves(engine: Engine, desk: Desk) -> dict[str, int]:
    ids = {
        "both": closed_case(engine, desk, 1, "冰箱门边漏水", "上门更换门封条", 4),
        "both_happier": closed_case(engine, desk, 2, "冰箱底部漏水严重", "换新机", 5),
        "fridge_only": closed_case(engine, desk, 3, "冰箱不制冷", "更换压缩机", 5),
        "leak_only": closed_case(engine, desk, 4, "洗衣机漏水", "更换进水阀", 3),
        "english": closed_case(engine, desk, 5, "The fridge leaks water", "New door seal", 4),
        "unrelated": closed_case(engine, desk, 6, "快递三天没送到", "补发并致歉", 5),
    }
    assert lib.rebuild(desk) == 6
    return ids


def test_words_found_whole_rank_first_then_satisfaction(
    desk: Desk, shelves: dict[str, int]
) -> None:
    found = lib.similar(desk, "冰箱 漏水", limit=10)
    order = [m.complaint_id for m in found]
    assert order[:2] == [shelves["both_happier"], shelves["both"]]  # both words, then 5 > 4
    assert set(order[2:]) == {shelves["fridge_only"], shelves["leak_only"]}
    assert order[2] == shelves["fridge_only"]  # one word each: the happier customer first
    assert shelves["unrelated"] not in order and shelves["english"] not in order
    assert (found[0].matched, found[0].asked) == (2, 2)
    assert found[0].remedy == "换新机" and found[0].number.startswith("TS-")


def test_english_words_match_by_their_start_and_the_case_itself_is_left_out(
    desk: Desk, shelves: dict[str, int]
) -> None:
    found = lib.similar(desk, "leak fridge")
    assert [m.complaint_id for m in found] == [shelves["english"]]
    assert lib.similar(desk, "leak fridge", exclude=shelves["english"]) == []
    assert lib.similar(desk, "冰") == [] and lib.similar(desk, "  ") == []


def test_an_unsegmented_query_finds_the_same_cases(desk: Desk, shelves: dict[str, int]) -> None:
    found = [m.complaint_id for m in lib.similar(desk, "冰箱漏水")]
    # One word of four pairs: none holds it whole, so more of its pairs first.
    assert set(found[:2]) == {shelves["both"], shelves["both_happier"]}


def test_closing_enters_a_case_and_reopening_takes_it_out(
    engine: Engine, desk: Desk, staffed: dict[str, int]
) -> None:
    flow = Flow(desk, desk.intake(who(desk, "agent"), _washer()).number)
    flow.do("agent", "accept")
    flow.do("agent", "dispatch", department_id=staffed["dept:QA"])
    flow.do("handler", "start_investigation")
    flow.do("handler", "record_root_cause", **CAUSE)
    flow.do("handler", "propose_plan", remedy="上门更换密封圈")
    flow.do("handler", "resolve")
    flow.do("agent", "confirm")
    flow.do("agent", "give_feedback", told_by="phone")
    assert lib.similar(desk, "洗衣机 漏水") == []  # resolved is not yet a lesson
    flow.do("agent2", "revisit", satisfaction=5)
    flow.do("agent", "close")
    (found,) = lib.similar(desk, "洗衣机 漏水")
    assert (found.number, found.remedy, found.satisfaction) == (flow.number, "上门更换密封圈", 5)
    assert found.root_cause == "密封圈装配缺陷"
    flow.do("supervisor", "reopen", reason="又漏了")
    assert lib.similar(desk, "洗衣机 漏水") == []
    with write_session(engine) as s:  # and a rebuild agrees: only closed cases
        assert library.rebuild(s) == 0


def _washer() -> IntakeForm:
    return IntakeForm(
        phone="13800138000",
        name="王小明",
        subject="洗衣机漏水",
        description="新洗衣机第一次用就漏水",
        demand=NO_CLAIM,
    )


def test_deskapp_library_search_prints_the_matches(
    db_url: str, desk: Desk, shelves: dict[str, int]
) -> None:
    result = CliRunner().invoke(main, ["library", "search", "冰箱 漏水", "--db", db_url])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert "2/2" in first and "冰箱底部漏水严重" in first and "5/5" in first
    assert "remedy: 换新机" in result.output
    result = CliRunner().invoke(main, ["library", "search", "微波炉", "--db", db_url])
    assert result.output.strip() == "no similar closed case"


def test_the_demo_and_an_import_fill_the_library(engine: Engine, staffed: dict[str, int]) -> None:
    """Both write cases in bulk, past `Desk.act`: their closed cases join the library too."""
    from deskapp import demo
    from store.models import CaseLibrary, Complaint
    from tests.deskapp.test_import import run
    from tests.deskapp.test_import_reading import DATA

    demo.generate(engine, cases=60, seed=3, workers=1)
    with write_session(engine) as s:
        closed = s.exec(select(func.count()).where(Complaint.status == "closed")).one()
        shelved = s.exec(select(func.count()).select_from(CaseLibrary)).one()
    assert closed > 20 and shelved == closed
    report = run(engine, DATA / "v2-public.csv")
    with write_session(engine) as s:
        shelved_now = s.exec(select(func.count()).select_from(CaseLibrary)).one()
    assert shelved_now == shelved + report.closed_cases == shelved + 26
