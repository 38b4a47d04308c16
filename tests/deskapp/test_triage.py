"""Triage suggestions from the complaint's words and the customer's history."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskapp.domain import Category, ClaimType, RiskFlag, Severity
from deskapp.triage import (
    CustomerHistory,
    Reason,
    Suggestions,
    TriageRulesError,
    default_rules,
    load_rules,
    overrides,
    suggest,
)

KNOWN_DEPARTMENTS = {"QA", "PROD", "LOG", "SALES", "PUR", "CS"}
R = RiskFlag


def flags(s: Suggestions) -> set[RiskFlag]:
    return set(s.flags.value)


def words(s: Suggestions, which: str) -> set[str]:
    reasons = getattr(s, which).reasons
    return {r.args["word"] for r in reasons if r.key == "triage.reason.keyword"}


# --- the shipped rules ---------------------------------------------------------------------------


def test_shipped_rules_load_and_name_known_departments() -> None:
    rules = default_rules()
    assert len(rules.rules) >= 15
    named = {r.department for r in rules.rules if r.department} | set(rules.departments.values())
    assert named <= KNOWN_DEPARTMENTS
    for rule in rules.rules:
        assert rule.words, rule.name


@pytest.mark.parametrize(
    ("subject", "description", "demand", "category", "severity", "department", "flag_set", "claim"),
    [
        (
            "冰箱漏水",
            "买了三个月就坏了，找了好几次都没人管",
            "换新",
            Category.QUALITY,
            Severity.B,
            "QA",
            set(),
            ClaimType.GENERAL,
        ),
        (
            "快递延误",
            "说好周一送货，到现在还没到",
            "尽快送到",
            Category.DELIVERY,
            Severity.C,
            "LOG",
            set(),
            ClaimType.GENERAL,
        ),
        (
            "客服态度恶劣",
            "客服不耐烦，还挂电话",
            "道歉",
            Category.ATTITUDE,
            Severity.C,
            "CS",
            set(),
            ClaimType.GENERAL,
        ),
        (
            "重复扣款",
            "同一笔订单扣款两次，发票也开错了",
            "退还多扣的钱",
            Category.BILLING,
            Severity.C,
            "SALES",
            set(),
            ClaimType.GENERAL,
        ),
        (
            "产品质量问题",
            "热水器漏水，我已经找了律师，准备起诉",
            "赔偿损失",
            Category.QUALITY,
            Severity.A,
            "QA",
            {R.LEGAL},
            ClaimType.COMPENSATION,
        ),
        (
            "要曝光你们",
            "不解决我就发微博、找记者",
            "给个说法",
            Category.OTHER,
            Severity.A,
            None,
            {R.MEDIA},
            ClaimType.GENERAL,
        ),
        (
            "已投诉到12315",
            "我已经打了12315，也找了消协",
            "退款",
            Category.OTHER,
            Severity.A,
            None,
            {R.REGULATOR},
            ClaimType.GENERAL,
        ),
        (
            "取消订单",
            "交期一拖再拖，我们要取消订单",
            "退款",
            Category.DELIVERY,
            Severity.A,
            "PROD",
            set(),
            ClaimType.GENERAL,
        ),
        (
            "原材料问题",
            "外壳材质太差，原材料明显不合格",
            "",
            Category.QUALITY,
            Severity.C,
            "PUR",
            set(),
            ClaimType.GENERAL,
        ),
        (
            "Parcel never arrived",
            "The courier says it was delivered but I never received it. This is late.",
            "Deliver it or refund me",
            Category.DELIVERY,
            Severity.A,
            "LOG",
            set(),
            ClaimType.GENERAL,
        ),
        (
            "Charged twice",
            "I was charged twice for one order and the invoice is wrong",
            "Reimburse the extra charge",
            Category.BILLING,
            Severity.C,
            "SALES",
            set(),
            ClaimType.COMPENSATION,
        ),
        (
            "Rude agent",
            "Your customer service was rude and hung up on me",
            "An apology",
            Category.ATTITUDE,
            Severity.C,
            "CS",
            set(),
            ClaimType.GENERAL,
        ),
        (
            "Defective heater",
            "It is broken again; my lawyer says I should sue, and a journalist is interested",
            "Compensation",
            Category.QUALITY,
            Severity.A,
            "QA",
            {R.LEGAL, R.MEDIA},
            ClaimType.COMPENSATION,
        ),
        (
            "Whole batch faulty",
            "Every unit in the whole batch is defective; production stopped, a big loss",
            "",
            Category.QUALITY,
            Severity.B,
            "QA",
            {R.BATCH},
            ClaimType.GENERAL,
        ),
        (
            "Hello",
            "Just a question",
            "",
            Category.OTHER,
            Severity.C,
            None,
            set(),
            ClaimType.GENERAL,
        ),
    ],
)
def test_suggestions_from_text(
    subject: str,
    description: str,
    demand: str,
    category: Category,
    severity: Severity,
    department: str | None,
    flag_set: set[RiskFlag],
    claim: ClaimType,
) -> None:
    s = suggest(subject, description, demand, None)
    assert s.category.value == category
    assert s.severity.value == severity
    assert s.department.value == department
    assert flags(s) == flag_set
    assert s.claim_type.value == claim


@pytest.mark.parametrize(
    "text",
    [
        "I have an issue with my order",  # sue
        "The tissue box was fine; pursue it",  # sue
        "Chocolate arrived, platelet, latest model",  # late
        "The multimedia speaker",  # media
        "Thanks for the courtesy",  # court
        "Please press the button",  # press
        "The suede jacket",  # sue
    ],
)
def test_english_keywords_match_whole_words_only(text: str) -> None:
    s = suggest("", text, "", None)
    assert s.severity.value == Severity.C
    assert not flags(s)
    assert s.category.value == Category.OTHER


def test_a_trailing_star_matches_endings_and_phrases_cross_spaces() -> None:
    s = suggest("", "My lawyers will be in touch", "", None)
    assert R.LEGAL in flags(s)
    assert words(s, "flags") == {"lawyers"}
    s = suggest("", "We CANCELLED   OUR\norder", "", None)
    assert s.severity.value == Severity.A
    assert words(s, "severity") == {"cancelled our order"}


def test_matching_ignores_case_width_and_curly_apostrophes() -> None:
    assert R.LEGAL in flags(suggest("", "I WILL SUE", "", None))
    assert R.REGULATOR in flags(suggest("", "已经打了１２３１５", "", None))  # full-width digits
    assert suggest("", "It doesn’t work", "", None).category.value == Category.QUALITY


def test_numbers_and_english_words_are_whole_inside_chinese_text() -> None:
    assert R.REGULATOR in flags(suggest("", "我要打12315投诉你们", "", None))
    assert R.LEGAL in flags(suggest("", "我要sue你们", "", None))
    assert R.REGULATOR not in flags(suggest("", "订单号 123156", "", None))


def test_reasons_name_the_word_and_the_field_in_either_language() -> None:
    s = suggest("要找律师", "", "", None)
    reason = s.severity.reasons[0]
    assert reason == Reason("triage.reason.keyword", {"word": "律师", "field": "subject"})
    assert reason.text("zh") == "主题中出现“律师”"
    assert reason.text("en") == "“律师” in Subject"
    assert s.department.reasons[0].text("en") == "No keyword matched; the default"
    q = suggest("", "漏水", "", None)
    assert q.department.reasons[0].text("zh") == "产品质量类问题的默认主责部门"
    for which in ("category", "severity", "department", "flags", "claim_type"):
        for r in getattr(q, which).reasons:
            assert r.text("zh") and r.text("en")


def test_each_word_is_reported_once_with_the_first_field_it_appeared_in() -> None:
    s = suggest("律师", "律师 律师", "律师", None)
    assert [r.args for r in s.flags.reasons] == [{"word": "律师", "field": "subject"}]


# --- history -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "plain", "repeated"),
    [
        ("你好", Severity.C, Severity.B),
        ("又坏了", Severity.B, Severity.A),
        ("我要起诉", Severity.A, Severity.A),
    ],
)
def test_a_repeat_raises_severity_one_level(text: str, plain: Severity, repeated: Severity) -> None:
    assert suggest("", text, "", None).severity.value == plain
    s = suggest("", text, "", CustomerHistory(is_vip=False, repeat=True, recent_cases=2))
    assert s.severity.value == repeated
    raised = [r for r in s.severity.reasons if r.key == "triage.reason.repeat"]
    assert bool(raised) == (plain != Severity.A)  # "one level up" only when it did go up
    if raised:
        assert raised[0].text("zh") == "重复投诉（近期 2 起），严重度上调一级"
    assert R.REPEAT in flags(s)


def test_vip_takes_the_fast_lane() -> None:
    s = suggest("", "你好", "", CustomerHistory(is_vip=True, repeat=False, recent_cases=0))
    assert flags(s) == {R.VIP}
    assert s.severity.value == Severity.C
    assert [r.text("en") for r in s.flags.reasons] == ["VIP customer: fast lane"]


# --- precedence, with a rules file of our own ----------------------------------------------------


RULES = """
[departments]
quality = "QA"
delivery = "LOG"

[[rule]]
name = "quality"
zh = ["漏水", "坏了"]
category = "quality"

[[rule]]
name = "delivery"
zh = ["快递", "送货"]
category = "delivery"

[[rule]]
name = "supplier"
zh = ["原料"]
category = "quality"
department = "PUR"

[[rule]]
name = "loss"
zh = ["损失"]
severity = "B"

[[rule]]
name = "claim"
zh = ["赔偿"]
claim_type = "compensation"
"""


@pytest.fixture
def custom(tmp_path: Path) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    return path


def test_category_is_the_rule_with_most_hits_ties_to_the_earlier(custom: Path) -> None:
    rules = load_rules(custom)
    assert suggest("", "快递 漏水", "", None, rules).category.value == Category.QUALITY
    assert suggest("", "快递 送货 漏水", "", None, rules).category.value == Category.DELIVERY
    assert suggest("", "快递 漏水 漏水", "", None, rules).category.value == Category.QUALITY


def test_department_follows_the_winning_rule_then_the_category(custom: Path) -> None:
    rules = load_rules(custom)
    s = suggest("", "原料", "", None, rules)
    assert (s.category.value, s.department.value) == (Category.QUALITY, "PUR")
    assert s.department.reasons[0] == Reason("triage.reason.rule_department", {"rule": "supplier"})
    s = suggest("", "原料 漏水 坏了", "", None, rules)
    assert (s.category.value, s.department.value) == (Category.QUALITY, "QA")
    s = suggest("", "快递", "", None, rules)
    assert s.department.value == "LOG"
    assert suggest("", "损失", "", None, rules).department.value is None


def test_claim_type_and_severity_from_rules(custom: Path) -> None:
    rules = load_rules(custom)
    s = suggest("", "", "赔偿损失", None, rules)
    assert s.claim_type.value == ClaimType.COMPENSATION
    assert s.severity.value == Severity.B
    assert s.category.value == Category.OTHER


# --- overrides -----------------------------------------------------------------------------------


def test_overrides_records_only_what_the_agent_changed() -> None:
    s = suggest("", "热水器漏水，我要找律师，还要找记者", "赔偿", None)
    chosen = s.as_choices()
    assert chosen == {
        "category": "quality",
        "severity": "A",
        "department": "QA",
        "flags": "legal media",
        "claim_type": "compensation",
    }
    assert overrides(s, chosen) == {}
    assert overrides(s, {"flags": "media legal"}) == {}  # a set, in any order
    changed = dict(chosen, severity="B", department="PROD", flags="legal")
    assert overrides(s, changed, {"severity": "customer withdrew the threat"}) == {
        "severity": {"suggested": "A", "chosen": "B", "reason": "customer withdrew the threat"},
        "department": {"suggested": "QA", "chosen": "PROD"},
        "flags": {"suggested": "legal media", "chosen": "legal"},
    }


def test_overrides_refuses_unknown_fields() -> None:
    with pytest.raises(ValueError, match="not a triage field: 'colour'"):
        overrides(suggest("", "", "", None), {"colour": "red"})


# --- bad rules files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[rule]]\nname = "x"\nzh = ["律师"]\nseverity = "D"\n',
            r":2: rule 'x': unknown severity 'D'",
        ),
        (
            '[[rule]]\nname = "x"\nzh = ["律师"]\nflags = ["lega"]\n',
            r"rule 'x': unknown flag 'lega'",
        ),
        ('[[rule]]\nname = "x"\nzh = ["律师"]\ncategory = "q"\n', r"rule 'x': unknown category"),
        ('[[rule]]\nname = "x"\nzh = ["律师"]\n', r"rule 'x': has no effect"),
        ('[[rule]]\nname = "x"\nseverity = "A"\n', r"rule 'x': has no keywords"),
        ('[[rule]]\nname = "x"\nen = ["s*ue"]\nseverity = "A"\n', r"rule 'x': bad keyword 's\*ue'"),
        ('[[rule]]\nname = "x"\nen = ["*"]\nseverity = "A"\n', r"rule 'x': bad keyword"),
        ('[[rule]]\nname = "x"\nen = "sue"\nseverity = "A"\n', r"rule 'x': en must be a list"),
        ('[[rule]]\nname = "x"\nen = ["sue"]\nseverty = "A"\n', r"rule 'x': unknown key severty"),
        (
            '[[rule]]\nname = "x"\nen = ["sue"]\ndepartment = "QA"\n',
            r"rule 'x': names a department but no category",
        ),
        (
            '[[rule]]\nname = "x"\nen = ["sue"]\ncategory = "quality"\ndepartment = "qa dept"\n',
            r"rule 'x': department must be a code",
        ),
        (
            '[[rule]]\nname = "x"\nen = ["a"]\nseverity = "A"\n\n'
            '[[rule]]\nname = "x"\nen = ["b"]\nseverity = "A"\n',
            r"rule 'x': the name is used twice",
        ),
        ('[[rule]]\nen = ["sue"]\nseverity = "A"\n', r"rule #1 needs a name"),
        ('[departments]\nqualty = "QA"\n', r"\[departments\]: unknown category 'qualty'"),
        ("[other]\n", r"unknown section other"),
        ("[[rule]\n", r"not valid TOML"),
    ],
)
def test_a_bad_rules_file_names_file_and_rule(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "my_rules.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(TriageRulesError, match=message) as caught:
        load_rules(path)
    assert "my_rules.toml" in str(caught.value)


# --- robustness and speed ------------------------------------------------------------------------

HOSTILE = st.sampled_from(
    [
        "[bold red]律师[/]",
        "[@click=app.quit]x[/]",
        "\x1b[2J\x1b[H",
        "\x1b]52;c;ZXZpbA==\x07",
        "{word} {field} %s \\",
        "(?P<x>.*)",
        "\u202e\u200b\ufeff",
        "\ud7ff\U0010ffff",
        "ǅŉß İ",
    ]
)
TEXT = st.lists(st.one_of(st.text(), HOSTILE), max_size=6).map("".join)
HISTORY = st.none() | st.builds(
    CustomerHistory, st.booleans(), st.booleans(), st.integers(min_value=0, max_value=50)
)


@settings(max_examples=300, deadline=None)
@given(subject=TEXT, description=TEXT, demand=TEXT, history=HISTORY)
def test_suggest_never_raises_and_respects_history(
    subject: str, description: str, demand: str, history: CustomerHistory | None
) -> None:
    s = suggest(subject, description, demand, history)
    floor = Severity.B if history is not None and history.repeat else Severity.C
    assert s.severity.value.rank >= floor.rank
    if history is not None and history.is_vip:
        assert R.VIP in s.flags.value
    for which in ("category", "severity", "department", "flags", "claim_type"):
        for reason in getattr(s, which).reasons:
            assert reason.text("zh") and reason.text("en")
    assert suggest(subject, description, demand, history) == s


def test_fast_enough_for_every_keystroke() -> None:
    description = ("客户说冰箱漏水，快递员态度很差。The courier was rude and it leaks. " * 60)[
        :5000
    ]
    suggest("warm up", description, "", None)
    start = time.perf_counter()
    for _ in range(10):
        suggest("冰箱漏水", description, "退货并赔偿", None)
    per_call = (time.perf_counter() - start) / 10
    assert per_call < 0.05, f"{per_call * 1000:.1f} ms per call"
