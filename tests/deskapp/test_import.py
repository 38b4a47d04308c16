"""`deskapp import` on both backends: what lands in the tables, what stays out of the live
queue, the breach board and alerts, re-imports, bad records, all-or-nothing, dry runs, the
audit chain and the command itself."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import col, func, select

from deskapp.alerts import MyCasesWatch
from deskapp.cases import Desk
from deskapp.importing import ImportOptions, ImportReport, run_import
from deskapp.live_queue import QueueReader
from deskapp.seal_check import check_rows
from deskapp.seals import SEAL_KINDS
from store.engine import read_session
from store.models import CaseEvent, Complaint, Customer, Milestone, Staff
from store.queue import QueueFilter
from tests.deskapp.test_import_reading import DATA, GB_MAPPING, fixture_rows, write_gb_file

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def run(engine: Engine, path: Path, **options: object) -> ImportReport:
    desk = Desk(engine)
    return run_import(
        engine,
        path,
        ImportOptions(**options),  # type: ignore[arg-type]
        settings=desk.settings,
        policy=desk.policy,
        calendars=desk.calendars,
        os_user="tester",
    )


def counts(engine: Engine) -> tuple[int, int, int, int]:
    with read_session(engine) as s:
        return (
            s.exec(select(func.count()).select_from(Complaint)).one(),
            s.exec(select(func.count()).select_from(Customer)).one(),
            s.exec(select(func.count()).select_from(Milestone)).one(),
            s.exec(
                select(func.count())
                .select_from(CaseEvent)
                .where(col(CaseEvent.kind).not_in(SEAL_KINDS))
            ).one(),
        )


def chain_ok(engine: Engine) -> int:
    """The chain and every sealed row verify; how many events the import and the desk wrote
    (the row seals that close each transaction left out)."""
    with read_session(engine) as s:
        result, rows = check_rows(s)
    assert result.ok, result
    assert rows.ok, rows.problems
    return counts(engine)[3]


def test_cfpb_export_imports_history_closed_and_open_cases_live(
    engine: Engine, staffed: dict[str, int]
) -> None:
    report = run(engine, DATA / "v2-public.csv")
    assert (report.imported, report.closed_cases, report.open_cases, report.bad) == (30, 26, 4, [])
    assert chain_ok(engine) == 31  # one batch event and one per case
    with read_session(engine) as s:
        cases = s.exec(select(Complaint).order_by(col(Complaint.id))).all()
        importer = s.exec(select(Staff).where(Staff.login == "import")).one()
        assert not importer.active and importer.password_hash == ""
        first = next(c for c in cases if c.external_id == "3003003")
        assert (first.source, first.external_id, first.status, first.is_open) == (
            "cfpb",
            "3003003",
            "closed",
            False,
        )
        assert first.number == "TS-20190924-0001"  # numbered by its own received day
        assert first.created_at == datetime(2019, 9, 23, 16, 0, tzinfo=UTC)
        assert first.next_due_at is None and first.first_owner_id == importer.id
        milestones = s.exec(select(Milestone).where(Milestone.complaint_id == first.id)).all()
        assert milestones and all(not m.is_open and m.met_at is not None for m in milestones)
        customer = s.get(Customer, first.customer_id)
        assert customer is not None and customer.phone == ""
        assert customer.name == "匿名 Anonymous · FL 335XX"
        live = [c for c in cases if c.is_open]
        assert {c.status for c in live} == {"new"} and len(live) == 4
        for c in live:
            ms = s.exec(select(Milestone).where(Milestone.complaint_id == c.id)).all()
            assert {m.started_at for m in ms} == {c.created_at}  # from its own received date
            assert c.next_due_at == min(m.due_at for m in ms)
        events = s.exec(
            select(CaseEvent)
            .where(col(CaseEvent.kind).not_in(SEAL_KINDS))
            .order_by(col(CaseEvent.id))
        ).all()
        assert events[0].kind == "import_batch" and '"os_user":"tester"' in events[0].payload
        assert {e.kind for e in events[1:]} == {"imported"}

    # The live queue and the breach board show the four open cases, never the history.
    queue = QueueReader(engine, QueueFilter()).top(NOW)
    assert queue.total == 4
    assert {r.id for r in queue.rows} == {c.id for c in live}
    board = QueueReader(engine, QueueFilter(states=frozenset({"at_risk", "breached"}))).top(NOW)
    assert {r.id for r in board.rows} <= {c.id for c in live}

    # The snake_case variant is the same complaints: nothing added.
    again = run(engine, DATA / "v2-intake.csv")
    assert (again.imported, again.already) == (0, 30)
    assert counts(engine)[0] == 30
    assert chain_ok(engine) == 31


def test_every_record_of_an_export_without_ids_imports_once(
    engine: Engine, staffed: dict[str, int]
) -> None:
    report = run(engine, DATA / "complaints-subset.csv")
    # 280 records, two of which read exactly alike: both are complaints, both import.
    assert (report.records, report.imported, report.bad, report.duplicates) == (280, 280, [], [])
    assert report.closed_cases == 280  # no status column: the cfpb mapping says history
    assert any("no status column" in n for n in report.notes)
    before = counts(engine)
    again = run(engine, DATA / "complaints-subset.csv")
    assert (again.imported, again.already) == (0, 280)
    assert counts(engine) == before
    opened = run(engine, DATA / "complaints-subset.csv", default_status="open")
    assert opened.imported == 0  # the same records, whatever they would be now
    chain_ok(engine)


def _bad_file(tmp_path: Path) -> Path:
    rows = fixture_rows()
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(rows[0])
    w.writerow(rows[1])
    w.writerow(rows[2][:5])  # line 3: wrong field count
    late = list(rows[3])
    late[0] = "99/99/19"
    w.writerow(late)  # line 4: bad date
    w.writerow(rows[4])
    path = tmp_path / "bad.csv"
    path.write_bytes(out.getvalue().encode("utf-8"))
    return path


def test_bad_records_are_listed_and_the_rest_import(
    engine: Engine, staffed: dict[str, int], tmp_path: Path
) -> None:
    report = run(engine, _bad_file(tmp_path))
    assert [(b.line, b.reason.split(" ")[0]) for b in report.bad] == [(3, "5"), (4, "Date")]
    assert report.imported == 2 and not report.ok
    assert counts(engine)[0] == 2
    chain_ok(engine)


def test_all_or_nothing_writes_nothing_when_a_record_is_bad(
    engine: Engine, staffed: dict[str, int], tmp_path: Path
) -> None:
    before = counts(engine)
    report = run(engine, _bad_file(tmp_path), all_or_nothing=True)
    assert report.refused and report.imported == 0 and len(report.bad) == 2
    assert counts(engine) == before
    good = run(engine, DATA / "v2-public.csv", all_or_nothing=True)
    assert good.imported == 30 and good.ok
    chain_ok(engine)


def test_dry_run_writes_nothing_and_says_what_it_would_do(
    engine: Engine, staffed: dict[str, int]
) -> None:
    before = counts(engine)
    report = run(engine, DATA / "v2-public.csv", dry_run=True)
    assert (report.imported, report.would_import, len(report.sample)) == (0, 30, 3)
    assert counts(engine) == before
    with read_session(engine) as s:  # not even the import account
        assert s.exec(select(Staff).where(Staff.login == "import")).first() is None


def test_gbk_file_with_an_owner_keeps_customers_by_phone_and_alerts_only_open_cases(
    engine: Engine, staffed: dict[str, int], tmp_path: Path
) -> None:
    mapping = tmp_path / "crm.toml"
    mapping.write_text(GB_MAPPING, encoding="utf-8")
    watch = MyCasesWatch(engine, staffed["agent"])
    assert watch.poll(NOW) == []  # takes stock
    report = run(engine, write_gb_file(tmp_path / "crm.csv"), mapping=str(mapping), owner="agent")
    assert (report.imported, report.closed_cases, report.open_cases) == (3, 1, 2)
    with read_session(engine) as s:
        cases = s.exec(select(Complaint).order_by(col(Complaint.id))).all()
        assert {c.first_owner_id for c in cases} == {staffed["agent"]}
        assert cases[0].customer_id == cases[2].customer_id  # the same phone, one customer
        customer = s.get(Customer, cases[0].customer_id)
        assert customer is not None and (customer.name, customer.phone) == ("张三", "13800138000")
        assert cases[0].subject == "冰箱不制冷" and cases[0].category == "quality"
    alerts = watch.poll(NOW)
    open_numbers = {c.number for c in cases if c.is_open}
    assert {a.number for a in alerts} <= open_numbers
    chain_ok(engine)


def test_the_command_reports_and_exits_by_outcome(
    engine: Engine, db_url: str, staffed: dict[str, int], tmp_path: Path
) -> None:
    from deskapp.cli import main

    runner = CliRunner()
    dry = runner.invoke(main, ["import", "--db", db_url, "--dry-run", str(DATA / "v2-public.csv")])
    assert dry.exit_code == 0, dry.output
    assert "would import 30 (4 open, 26 closed)" in dry.output
    assert "line 2: 3003003 · received 2019-09-24 · closed 2019-09-24" in dry.output
    bad = runner.invoke(main, ["import", "--db", db_url, str(_bad_file(tmp_path))])
    assert bad.exit_code == 1
    assert "line 3: 5 fields where the header has 19" in bad.output
    assert "imported 2" in bad.output
    ambiguous = tmp_path / "amb.csv"
    rows = fixture_rows()
    rows[1][0] = rows[1][13] = "1/2/19"
    ambiguous.write_text(
        "\n".join(",".join(f'"{v}"' for v in r) for r in [rows[0], rows[1]]), encoding="utf-8"
    )
    refused = runner.invoke(main, ["import", "--db", db_url, str(ambiguous)])
    assert refused.exit_code == 2 and "--date-format" in refused.output
    verify = runner.invoke(main, ["audit", "verify", "--db", db_url])
    assert verify.exit_code == 0 and "intact" in verify.output


def test_tab_separated_crlf_bom_variant_keeps_narratives_exactly(
    engine: Engine, staffed: dict[str, int], tmp_path: Path
) -> None:
    from tests.deskapp.test_import_reading import write_csv

    rows = fixture_rows()
    rows[1][5] = '第一行，含逗号, and "quotes".\r\nSecond line\ttabbed.\n\nFourth: ' + "长" * 20_000
    rows[2][5] = "z" * 1_048_576  # a 1 MB field: this record is refused, the others import
    path = write_csv(tmp_path / "v.tsv", rows, delimiter="\t", line_end="\r\n", bom=True)
    report = run(engine, path)
    assert [b.line for b in report.bad] == [6]  # record 1 spans lines 2-5
    assert "1,048,576 characters" in report.bad[0].reason
    assert report.imported == 29
    with read_session(engine) as s:
        stored = s.exec(select(Complaint).where(Complaint.external_id == rows[1][17])).one()
    assert stored.description == rows[1][5]
    chain_ok(engine)


def test_two_imports_of_one_file_at_once_write_each_case_once(
    engine: Engine, staffed: dict[str, int]
) -> None:
    """Each batch checks the ids under the audit head's lock (BEGIN IMMEDIATE on SQLite), so
    an import running beside another of the same file skips what the other wrote."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: run(engine, DATA / "v2-public.csv", batch=7), range(2)))
    assert sum(r.imported for r in reports) == 30
    assert counts(engine)[0] == 30
    chain_ok(engine)
