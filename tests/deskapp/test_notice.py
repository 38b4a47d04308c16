"""The dispatch notice (投诉处理通知单): the case facts a department needs, masked and escaped,
in both languages, and `deskapp notice` printing it (issue 6)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt
from markdown_it.token import Token
from sqlalchemy.engine import Engine

from deskapp.cases import Desk, IntakeForm
from deskapp.cli import main
from deskapp.display import visible
from deskapp.domain import Category, RiskFlag, Severity
from deskapp.errors import NotFound
from deskapp.notice import cell, notice_catalog, quote, render_notice
from tests.conftest import case_rows

SHANGHAI = ZoneInfo("Asia/Shanghai")

#: Customer text that would break a naive Markdown template, or drive a terminal.
NASTY_SUBJECT = "# 漏水 | 地板 `泡坏` <b>急</b>"
NASTY_DESCRIPTION = (
    "第一次使用就漏水。\n"
    "# 不是标题\n"
    "- 不是列表\n"
    "1. 也不是编号\n"
    "    四个空格也不是代码\n"
    "```\n"
    "| a | b |\n"
    "\x1b[31m红字\x1b[0m \u202eevil\n"
    "\n"
    "第二段 **不加粗** [不是链接](http://x) &amp; \\ 结束\\"
)
NASTY_DEMAND = "---\n换新 > 退款 ~~划掉~~ _下划线_"


@pytest.fixture
def desk(engine: Engine, staffed: dict[str, int]) -> Desk:
    return Desk(engine)


@pytest.fixture
def number(desk: Desk, staffed: dict[str, int]) -> str:
    """A severity-A case dispatched to QA with Logistics assisting, then transferred."""
    form = IntakeForm(
        phone="13800138000",
        name="王小明",
        subject=NASTY_SUBJECT,
        description=NASTY_DESCRIPTION,
        demand=NASTY_DEMAND,
        place="上海|浦东",
        order_ref="SO-2026-001",
        product_ref="WM-100",
        evidence="照片 3 张",
        occurred_at=datetime(2026, 11, 22, 12, 30, tzinfo=UTC),
        category=Category.OTHER,
        severity=Severity.A,
        flags=frozenset({RiskFlag.MEDIA}),
    )
    agent = desk.actor("agent")
    number = desk.intake(agent, form).number
    desk.act(agent, number, "accept", expected_version=None)
    desk.act(
        agent,
        number,
        "dispatch",
        expected_version=None,
        department_id=staffed["dept:QA"],
        assisting=[staffed["dept:LOG"]],
        reason="请 | 尽快",
    )
    return number


def parse(text: str) -> list[Token]:
    return MarkdownIt("commonmark").enable("table").parse(text)


def rendered_text(tokens: list[Token]) -> str:
    """The text a reader sees: every inline's plain content, escapes resolved."""
    out = []
    for tok in tokens:
        for child in tok.children or []:
            if child.type in ("text", "code_inline"):
                out.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                out.append("\n")
    return "".join(out)


def test_notice_carries_the_case_facts_in_chinese(desk: Desk, number: str) -> None:
    text = render_notice(desk, number, "zh")
    assert text.startswith("# 投诉处理通知单\n")
    assert (
        f"{number} · 发往 品质部 · 生成于 2026-11-23 10:00（时间均为 Asia/Shanghai 时间）" in text
    )
    for row in (
        f"| 投诉编号 | {number} |",
        "| 严重程度 | A 紧急 |",
        "| 投诉类别 | 其他 |",
        "| 受理渠道 | 电话 |",
        "| 登记时间 | 2026-11-23 10:00 |",
        "| 首问负责人 | Ada Agent |",
        "| 风险标记 | 媒体风险 |",
        "| 当前状态 | 已分派 |",
        "| 发生时间 | 2026-11-22 20:30 |",
        "| 订单号 | SO-2026-001 |",
        "| 主责部门 | 品质部 |",
        "| 协办部门 | 物流部 |",
        "| 联络人 | Hal Handler |",
    ):
        assert row in text, row
    assert "## 派单说明" in text and "Ada Agent 于 2026-11-23 10:00 派单。" in text


def test_notice_lists_every_open_milestone_due_in_the_desk_zone(desk: Desk, number: str) -> None:
    _, milestones, _ = case_rows(desk, number)
    open_ones = sorted((m for m in milestones if m.is_open), key=lambda m: m.due_at)
    assert {m.kind for m in open_ones} == {"contact", "resolve"}
    text = render_notice(desk, number, "en")
    labels = {"contact": "First contact", "resolve": "Resolve"}
    section = text.split("## Due times")[1].split("##")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[1:] == [
        f"| {labels[m.kind]} | {m.due_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} |" for m in open_ones
    ]


def test_notice_in_english_and_after_a_transfer(
    desk: Desk, number: str, staffed: dict[str, int]
) -> None:
    desk.act(
        desk.actor("manager"),
        number,
        "transfer",
        expected_version=None,
        department_id=staffed["dept:LOG"],
        reason="运输途中破损",
    )
    text = render_notice(desk, number, "en")
    assert text.startswith("# Complaint handling notice\n")
    for row in (
        "| Severity | A urgent |",
        "| Channel | Phone |",
        "| Registered | 2026-11-23 10:00 |",
        "| First owner | Ada Agent |",
        "| Primary department | Logistics |",
        "| Liaison | Lou Logistics |",
    ):
        assert row in text, row
    assert "## Reason for the transfer" in text
    assert "Transferred from Quality by Meg Manager at 2026-11-23 10:00." in text
    assert "> 运输途中破损" in text
    assert "## Dispatch note" not in text


def test_customer_is_masked(desk: Desk, number: str) -> None:
    for lang in ("zh", "en"):
        text = render_notice(desk, number, lang)
        assert "13800138000" not in text and "王小明" not in text
        assert "138\\*\\*\\*\\*8000" in text and "王\\*\\*" in text
    seen = rendered_text(parse(render_notice(desk, number, "zh")))
    assert "138****8000" in seen and "王**" in seen


def test_customer_text_cannot_change_the_layout(desk: Desk, number: str) -> None:
    for lang in ("zh", "en"):
        text = render_notice(desk, number, lang)
        assert "\x1b" not in text and "\u202e" not in text
        tokens = parse(text)
        kinds = {t.type for t in tokens}
        # Nothing but our own headings, tables, paragraphs and quotes: no lists, code blocks,
        # rules, HTML blocks.
        assert kinds <= {
            "heading_open",
            "heading_close",
            "inline",
            "paragraph_open",
            "paragraph_close",
            "blockquote_open",
            "blockquote_close",
            *(
                f"{part}_{edge}"
                for part in ("table", "thead", "tbody", "tr", "th", "td")
                for edge in ("open", "close")
            ),
        }, kinds
        headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
        catalog = notice_catalog()
        ours = {catalog.text(f"notice.{k}", lang) for k in ("title",)} | {
            catalog.text(f"notice.section.{k}", lang)
            for k in (
                "case",
                "customer",
                "happened",
                "description",
                "evidence",
                "demand",
                "deadlines",
                "departments",
                "dispatch",
            )
        }
        assert set(headings) == ours
        # Every table row has exactly two cells.
        rows, cells = 0, 0
        for t in tokens:
            rows += t.type == "tr_open"
            cells += t.type in ("td_open", "th_open")
        assert cells == 2 * rows
        inline = [c for t in tokens for c in t.children or []]
        assert not [c for c in inline if c.type not in ("text", "softbreak", "hardbreak")]
        seen = rendered_text(tokens)
        # What the customer wrote is all there, as text (control characters made visible).
        assert NASTY_SUBJECT in seen and "上海|浦东" in seen and "请 | 尽快" in seen
        for line in NASTY_DESCRIPTION.split("\n"):
            shown = visible(line).strip()
            assert shown in seen, shown
        assert "␛[31m红字␛[0m ⟨U+202E⟩evil" in seen
        assert "换新 > 退款 ~~划掉~~ _下划线_" in seen and "---" in seen


def test_escaping_helpers() -> None:
    assert cell("a\n|b\r\n  c") == "a \\|b c"
    assert cell("# x") == "\\# x" and cell("1. x") == "1\\. x" and cell("+ x") == "\\+ x"
    assert quote("") == [] and quote("\n\n") == []
    assert quote("one\ntwo\n\n\nthree") == ["> one\\", "> two", ">", "> three"]
    assert quote("    indented") == ["> indented"]


def test_unknown_case_is_not_found(desk: Desk) -> None:
    with pytest.raises(NotFound):
        render_notice(desk, "TS-20261123-9999", "zh")


def test_notice_of_an_undispatched_case(desk: Desk) -> None:
    form = IntakeForm(
        phone="13900000000", name="Lily Chen", subject="s", description="d", demand="x"
    )
    number = desk.intake(desk.actor("agent"), form).number
    text = render_notice(desk, number, "en")
    assert f"{number} · to — · issued" in text
    assert "| Primary department | — |" in text and "| Liaison | — |" in text
    assert "| Name | L\\*\\*\\* C\\*\\*\\* |" in text
    assert "## Dispatch note" not in text and "## Evidence" not in text


# -- the command ----------------------------------------------------------------------------------


def test_cli_prints_the_notice(desk: Desk, number: str, db_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["notice", number, "--lang", "en", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert result.output == render_notice(desk, number, "en")
    lower = runner.invoke(main, ["notice", number.lower(), "--lang", "zh", "--db", db_url])
    assert lower.exit_code == 0 and lower.output == render_notice(desk, number, "zh")


def test_cli_unknown_number_and_language(desk: Desk, db_url: str) -> None:
    runner = CliRunner()
    missing = runner.invoke(main, ["notice", "TS-20261123-9999", "--db", db_url])
    assert missing.exit_code == 2
    assert "no complaint TS-20261123-9999" in missing.output
    bad = runner.invoke(main, ["notice", "TS-20261123-0001", "--lang", "fr", "--db", db_url])
    assert bad.exit_code == 2 and "fr" in bad.output


# -- evidence files ---------------------------------------------------------------------------


def test_notice_lists_the_files_with_their_whole_hash(
    desk: Desk, number: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(desk.settings.evidence, "directory", tmp_path / "evidence")
    photo = tmp_path / "漏水|照片.jpg"
    photo.write_bytes(b"\xff\xd8" * 40_000)
    first = desk.attach_file(desk.actor("agent"), number, photo, note="客户 | 微信发来")
    second = desk.attach_bytes(desk.actor("handler"), number, "call.m4a", b"\x00" * 300)
    text = render_notice(desk, number, "zh")
    section = text.split("### 证据文件\n")[1].split("##")[0]
    assert "| 文件 | SHA-256 |" in section
    assert (
        f"| 漏水\\|照片.jpg（80 KB，image/jpeg） — 客户 \\| 微信发来 | {first.sha256} |" in section
    )
    assert f"| call.m4a（300 B，audio/mp4） | {second.sha256} |" in section
    english = render_notice(desk, number, "en")
    assert "### Evidence files" in english and "| File | SHA-256 |" in english
    assert f"| call.m4a (300 B, audio/mp4) | {second.sha256} |" in english
    tokens = parse(text)
    rows = sum(t.type == "tr_open" for t in tokens)
    assert sum(t.type in ("td_open", "th_open") for t in tokens) == 2 * rows
    assert "漏水|照片.jpg（80 KB，image/jpeg） — 客户 | 微信发来" in rendered_text(tokens)
