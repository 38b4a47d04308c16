"""Reading and mapping export files, without a database: the variants real exports come in
(built in tmp_path from the CFPB fixture rows), line numbers of bad records, date formats
decided per file, and loose header matching."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from deskapp.importing import ImportFailed, ImportOptions
from deskapp.importing.dates import FORMATS, AmbiguousDates, detect
from deskapp.importing.mapping import choose_mapping, load_mapping, loose
from deskapp.importing.plan import Case, plan_import
from deskapp.importing.reading import read_source

DATA = Path(__file__).parent / "data" / "cfpb"
ZONE = ZoneInfo("Asia/Shanghai")
TODAY = datetime(2026, 11, 23, tzinfo=UTC)


def fixture_rows(name: str = "v2-public.csv") -> list[list[str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def write_csv(
    path: Path,
    rows: list[list[str]],
    *,
    delimiter: str = ",",
    line_end: str = "\n",
    encoding: str = "utf-8",
    bom: bool = False,
) -> Path:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=line_end).writerows(rows)
    data = out.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def plan(path: Path, **options: object) -> list[Case]:
    p = plan_import(path, ImportOptions(**options), ZONE, today=TODAY)  # type: ignore[arg-type]
    assert p.bad == []
    return p.cases


def test_public_and_intake_headers_map_alike_with_auto() -> None:
    public = plan_import(DATA / "v2-public.csv", ImportOptions(), ZONE, today=TODAY)
    intake = plan_import(DATA / "v2-intake.csv", ImportOptions(), ZONE, today=TODAY)
    assert public.mapping.name == intake.mapping.name == "cfpb"
    assert public.date_format == intake.date_format == "M/D/YY"
    assert [c.external_id for c in public.cases][:2] == ["3003003", "3003029"]
    for a, b in zip(public.cases, intake.cases, strict=True):
        assert (a.external_id, a.received_at, a.closed_at, a.subject, a.description) == (
            b.external_id,
            b.received_at,
            b.closed_at,
            b.subject,
            b.description,
        )
        assert a.channel == b.channel and a.category == b.category
    first = public.cases[0]
    # 9/24/19 in the desk's zone (Shanghai), stored as UTC.
    assert first.received_at == datetime(2019, 9, 23, 16, 0, tzinfo=UTC)
    assert first.closed  # "Closed with explanation"
    assert first.channel == "chat" and first.category == "billing"
    assert first.subject == "Attempts to collect debt not owed — Debt is not yours"
    assert first.customer_name == "匿名 Anonymous · FL 335XX"
    assert "Company: Spike Corporation" in first.evidence.splitlines()
    assert sum(not c.closed for c in public.cases) == 4  # "In progress"


def test_loose_headers_ignore_case_spaces_underscores_and_punctuation() -> None:
    assert loose("Consumer consent provided?") == loose("consumer_consent_provided")
    assert loose("ZIP code") == loose("zip-code") == loose("ＺＩＰ　Ｃｏｄｅ")
    header = ["DATE RECEIVED", "complaint-id", "Submitted Via"]
    mapping = choose_mapping("auto", header)
    bound = mapping.bind(header)
    assert bound.where["received"] == [("Date received", 0)]
    assert bound.where["external_id"] == [("Complaint ID", 1)]


def test_auto_refuses_a_file_no_mapping_fits(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [["when", "what"], ["2020-01-01", "a"]])
    with pytest.raises(ImportFailed, match="no built-in mapping fits"):
        plan_import(path, ImportOptions(), ZONE, today=TODAY)


@pytest.mark.parametrize(
    ("delimiter", "line_end", "bom"),
    [("\t", "\n", False), (",", "\r\n", False), (",", "\n", True), ("\t", "\r\n", True)],
    ids=["tab", "crlf", "bom", "tab-crlf-bom"],
)
def test_separators_line_ends_and_bom_read_the_same_cases(
    tmp_path: Path, delimiter: str, line_end: str, bom: bool
) -> None:
    rows = fixture_rows()
    path = write_csv(tmp_path / "v.txt", rows, delimiter=delimiter, line_end=line_end, bom=bom)
    source = read_source(path)
    assert source.delimiter == delimiter and source.bom is bom
    assert source.header[0] == "Date received"  # no BOM left in the first name
    assert [c.external_id for c in plan(path)] == [r[17] for r in rows[1:]]
    assert plan(path) == plan(DATA / "v2-public.csv")


def test_multi_line_quoted_narratives_keep_their_lines_and_line_numbers(tmp_path: Path) -> None:
    rows = fixture_rows()
    rows[1][5] = 'First line, with a comma.\nSecond line with "quotes".\r\n\r\nFourth.'
    rows[2][5] = "x" * 20_000 + "\n" + "y" * 100
    path = write_csv(tmp_path / "multi.csv", rows[:5], line_end="\r\n")
    cases = plan(path)
    assert cases[0].description == rows[1][5]
    assert [c.line for c in cases] == [2, 6, 8, 9]  # where each record starts
    assert len(cases[1].description) == 20_101


def test_date_formats_are_detected_per_file(tmp_path: Path) -> None:
    rows = fixture_rows()

    def with_dates(fmt: str) -> Path:
        out = [rows[0]]
        for r in rows[1:]:
            m, d, y = (int(x) for x in r[0].split("/"))
            r = list(r)
            r[0] = fmt.format(m=m, d=d, y=2000 + y)
            r[13] = ""
            out.append(r)
        return write_csv(tmp_path / "d.csv", out)

    expected = [c.received_at for c in plan(DATA / "v2-public.csv")]
    for fmt, name in (
        ("{m}/{d}/{y}", "M/D/YYYY"),
        ("{d:02d}-{m:02d}-{y}", "DD-MM-YYYY"),
        ("{y}-{m:02d}-{d:02d}", "YYYY-MM-DD"),
    ):
        p = plan_import(with_dates(fmt), ImportOptions(), ZONE, today=TODAY)
        assert p.date_format == name
        assert [c.received_at for c in p.cases] == expected


def test_ambiguous_dates_refuse_and_name_the_option(tmp_path: Path) -> None:
    rows = fixture_rows()
    out = [rows[0]]
    for r in rows[1:6]:
        r = list(r)
        r[0], r[13] = "03/04/2020", "05/06/2020"  # day and month both 12 or less
        out.append(r)
    path = write_csv(tmp_path / "amb.csv", out)
    with pytest.raises(ImportFailed, match="--date-format"):
        plan_import(path, ImportOptions(), ZONE, today=TODAY)
    with pytest.raises(AmbiguousDates):
        detect(["03/04/2020"], century_pivot=26)
    british = plan_import(path, ImportOptions(date_format="D/M/YYYY"), ZONE, today=TODAY)
    assert british.cases[0].received_at == datetime(2020, 4, 2, 16, 0, tzinfo=UTC)
    american = plan_import(path, ImportOptions(date_format="M/D/YYYY"), ZONE, today=TODAY)
    assert american.cases[0].received_at == datetime(2020, 3, 3, 16, 0, tzinfo=UTC)


def test_two_digit_years_and_times() -> None:
    fmt = FORMATS["M/D/YY"]
    assert fmt.parse("9/24/19", century_pivot=26) == datetime(2019, 9, 24)
    assert fmt.parse("9/24/99", century_pivot=26) == datetime(1999, 9, 24)
    assert FORMATS["YYYY-MM-DD"].parse("2019-09-24T14:30:05", century_pivot=26) == datetime(
        2019, 9, 24, 14, 30, 5
    )
    assert fmt.parse("2/30/19", century_pivot=26) is None  # no such day
    assert FORMATS["M/D/YYYY"].parse("9/24/19", century_pivot=26) is None


def test_malformed_records_are_listed_by_line_and_the_rest_map(tmp_path: Path) -> None:
    rows = fixture_rows()
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(rows[0])
    w.writerow(rows[1])  # line 2: fine
    w.writerow(rows[2][:-3])  # line 3: too few fields
    bad_date = list(rows[3])
    bad_date[0] = "13/45/19"
    w.writerow(bad_date)  # line 4
    long = list(rows[4])
    long[5] = "z" * 1_048_576
    w.writerow(long)  # line 5: a 1 MB narrative
    odd = list(rows[5])
    odd[12] = "Carrier pigeon"
    w.writerow(odd)  # line 6: unknown channel
    status = list(rows[6])
    status[14] = "Lost in the post"
    w.writerow(status)  # line 7: unknown status
    w.writerow(rows[7])  # line 8: invalid byte below
    w.writerow(rows[8])  # line 9: fine
    data = out.getvalue().encode("utf-8")
    company = rows[7][7].encode("utf-8")
    assert data.count(company) == 1
    data = data.replace(company, company[:3] + b"\xff" + company[3:])  # a byte no UTF-8 has
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    p = plan_import(path, ImportOptions(), ZONE, today=TODAY)
    assert p.source.encoding == "utf-8"
    reasons = {b.line: b.reason for b in p.bad}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8]
    assert "16 fields where the header has 19" in reasons[3]
    assert "'13/45/19' is not a date" in reasons[4] and "M/D/YY" in reasons[4]
    assert "1,048,576 characters" in reasons[5]
    assert "unknown channel 'Carrier pigeon'" in reasons[6]
    assert "unknown status 'Lost in the post'" in reasons[7]
    assert "0xFF" in reasons[8] and "'Company'" in reasons[8]
    assert [c.line for c in p.cases] == [2, 9]


def test_gb18030_file_with_chinese_headers_through_a_mapping_file(tmp_path: Path) -> None:
    mapping = tmp_path / "ours.toml"
    mapping.write_text(GB_MAPPING, encoding="utf-8")
    path = write_gb_file(tmp_path / "gbk.csv")
    p = plan_import(path, ImportOptions(mapping=str(mapping)), ZONE, today=TODAY)
    assert p.source.encoding == "gb18030"
    assert p.mapping.source == "crm" and p.date_format == "YYYY-MM-DD"
    assert [c.external_id for c in p.cases] == ["C-1", "C-2", "C-3"]
    first = p.cases[0]
    assert first.customer_name == "张三" and first.customer_phone == "13800138000"
    assert first.subject == "冰箱不制冷" and first.category == "quality"
    assert first.channel == "phone" and first.closed
    assert not p.cases[1].closed and p.cases[1].channel == "email"


GB_MAPPING = """
[mapping]
name = "crm"
source = "crm"
default_channel = "phone"

[columns]
external_id = "投诉编号"
received = "受理日期"
closed = "结案日期"
status = "状态"
channel = "渠道"
category = "类别"
subject = "主题"
description = "投诉内容"
customer_name = "客户姓名"
customer_phone = "联系电话"

[status]
closed = ["已结案"]
open = ["处理中", ""]

[channel]
"电话" = "phone"
"邮件" = "email"

[category]
"质量" = "quality"
"物流" = "delivery"
"*" = "other"
"""

GB_ROWS = [
    line.split(",")
    for line in (
        "投诉编号,受理日期,结案日期,状态,渠道,类别,主题,投诉内容,客户姓名,联系电话",
        "C-1,2026-10-08,2026-10-12,已结案,电话,质量,冰箱不制冷,买了三天就坏了,张三,13800138000",
        "C-2,2026-11-20,,处理中,邮件,物流,快递丢件,快递显示签收但没收到,李四,13900139000",
        "C-3,2026-11-21,,处理中,电话,其他,发票开错,发票抬头写错了,张三,13800138000",
    )
]


def write_gb_file(path: Path) -> Path:
    return write_csv(path, GB_ROWS, encoding="gb18030", line_end="\r\n")


def test_builtin_mapping_is_package_data() -> None:
    cfpb = load_mapping("cfpb")
    assert cfpb.source == "cfpb" and cfpb.default_status == "closed"
    assert cfpb.channel.get("postal mail") == "letter"
    assert cfpb.status.get("Closed with monetary relief") == "closed"
    assert cfpb.status.get("In progress") == "open"


def test_a_latin_export_is_read_in_the_encoding_charset_normalizer_finds(tmp_path: Path) -> None:
    rows = fixture_rows()
    for r in rows[1:]:
        r[7] = "Société Générale Crédit Lyonnais"
        r[5] = "Le relevé était erroné ; la réclamation a été déposée à l'agence."
    path = write_csv(tmp_path / "latin.csv", rows, encoding="cp1252")
    p = plan_import(path, ImportOptions(), ZONE, today=TODAY)
    assert p.source.encoding not in ("utf-8", "gb18030")
    assert p.bad == [] and len(p.cases) == 30
    assert "Company: Société Générale Crédit Lyonnais" in p.cases[0].evidence


def test_a_nul_character_and_an_over_long_id_are_bad_rows(tmp_path: Path) -> None:
    rows = fixture_rows()
    rows[1][5] = "before\x00after"
    rows[2][17] = "9" * 129
    p = plan_import(write_csv(tmp_path / "x.csv", rows[:4]), ImportOptions(), ZONE, today=TODAY)
    assert [(b.line, b.reason) for b in p.bad] == [
        (2, "column 'Consumer complaint narrative' holds a NUL character"),
        (3, "the complaint id is 129 characters (at most 128)"),
    ]
    assert [c.line for c in p.cases] == [4]


def test_a_forced_encoding_that_does_not_fit_the_header_is_refused(tmp_path: Path) -> None:
    path = write_gb_file(tmp_path / "gbk.csv")
    with pytest.raises(ImportFailed, match="header is not valid utf-8"):
        plan_import(path, ImportOptions(encoding="utf-8"), ZONE, today=TODAY)
