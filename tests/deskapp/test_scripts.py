"""Script prompts: the right wording for the case, and template mistakes caught at load time
with the file and line."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from deskapp import clock
from deskapp.domain import Category, CustomerTier, Severity
from deskapp.i18n import LANGUAGES
from deskapp.scripts import (
    PLACEHOLDERS,
    SHIPPED_DIR,
    STAGES,
    MissingValues,
    ScriptError,
    ScriptLibrary,
    default_library,
)
from deskapp.wording import promise_words

VALUES = {
    "salutation": "尊敬的王小明",
    "customer_name": "王小明",
    "case_number": "TS-20261123-0001",
    "reply_by": "今天 15:30 前",
    "agent_name": "王丽",
    "department": "品质部",
    "remedy": "免费更换新机",
    "reason": "产品已超过保修期两年",
    "summary": "冰箱漏水，要求换新",
}


def line_of(path: Path, number: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[number - 1]


# --- the shipped scripts -------------------------------------------------------------------------


def test_every_stage_has_a_fallback_in_every_language() -> None:
    library = default_library()
    for lang in LANGUAGES:
        for stage in STAGES:
            template = library.pick(stage, lang)
            assert (template.category, template.severity, template.tier) == (None, None, None)


def test_both_languages_offer_the_same_variants() -> None:
    library = default_library()

    def variants(lang: str) -> set[tuple[object, ...]]:
        return {(t.stage, t.category, t.severity, t.tier) for t in library.templates(lang)}

    assert variants("zh") == variants("en")
    assert len(variants("zh")) >= 20


def test_every_shipped_template_fills_completely() -> None:
    library = default_library()
    for lang in LANGUAGES:
        for template in library.templates(lang):
            assert template.placeholders <= PLACEHOLDERS
            text = template.fill(**VALUES)
            assert "{" not in text and "}" not in text, template.source
            assert text == text.strip()


def test_source_points_at_the_entry(tmp_path: Path) -> None:
    template = default_library().pick("greeting", "zh", tier=CustomerTier.VIP)
    path, number = template.source.rsplit(":", 1)
    assert Path(path) == SHIPPED_DIR / "zh.toml"
    assert line_of(Path(path), int(number)).strip() == "[[script]]"
    assert line_of(Path(path), int(number) + 2).strip() == 'tier = "vip"'


@pytest.mark.parametrize(
    ("category", "severity", "tier", "expected"),
    [
        (None, None, None, (None, None, None)),
        (Category.QUALITY, None, None, (Category.QUALITY, None, None)),
        (Category.QUALITY, Severity.C, CustomerTier.STANDARD, (Category.QUALITY, None, None)),
        (Category.POLICY, Severity.B, None, (None, None, None)),
        (Category.DELIVERY, Severity.A, None, (None, Severity.A, None)),
        (None, None, CustomerTier.VIP, (None, None, CustomerTier.VIP)),
        (Category.BILLING, None, CustomerTier.VIP, (None, None, CustomerTier.VIP)),
        (Category.QUALITY, Severity.A, CustomerTier.VIP, (None, Severity.A, CustomerTier.VIP)),
    ],
)
def test_the_most_specific_greeting_wins(
    category: Category | None,
    severity: Severity | None,
    tier: CustomerTier | None,
    expected: tuple[object, ...],
) -> None:
    for lang in LANGUAGES:
        t = default_library().pick("greeting", lang, category, severity, tier)
        assert (t.category, t.severity, t.tier) == expected


def test_a_promise_read_to_the_customer(frozen_clock: object) -> None:
    now = clock.now()
    tz = ZoneInfo("Asia/Shanghai")
    due = now + timedelta(hours=5, minutes=30)
    zh = default_library().render(
        "promise",
        "zh",
        {"case_number": "TS-20261123-0001", "reply_by": promise_words(due, now, tz, "zh")},
        severity=Severity.A,
    )
    assert "编号是TS-20261123-0001" in zh and "今天 15:30 前与您联系" in zh
    en = default_library().render(
        "promise",
        "en",
        {"case_number": "TS-20261123-0001", "reply_by": promise_words(due, now, tz, "en")},
    )
    assert "We will get back to you by 15:30 today;" in en


def test_salutations_never_guess_a_gender() -> None:
    library = default_library()
    assert library.salutation("王小明", "zh") == "尊敬的王小明"
    assert library.salutation(" 王小明 ", "zh", CustomerTier.VIP) == "尊敬的贵宾王小明"
    assert library.salutation("", "zh") == "尊敬的客户"
    assert library.salutation("  ", "zh", CustomerTier.VIP) == "尊敬的贵宾客户"
    assert library.salutation("Wang  Xiaoming", "en") == "Dear Wang Xiaoming"
    assert library.salutation("", "en", CustomerTier.VIP) == "Dear valued customer"
    text = library.render(
        "readback", "zh", {"customer_name": "王小明", "summary": "冰箱漏水"}, tier=CustomerTier.VIP
    )
    assert text.startswith("尊敬的贵宾王小明，我跟您核对一下")


def test_a_missing_value_is_an_error_naming_it() -> None:
    template = default_library().pick("reject", "en")
    with pytest.raises(MissingValues, match=r"en\.toml:\d+: the reject script needs") as caught:
        template.fill(salutation="Dear Wang", case_number="TS-1")
    assert caught.value.names == {"reason"}
    assert template.fill(salutation="x", case_number="y", reason="z", remedy="unused")


def test_a_preview_marks_what_is_not_known_yet() -> None:
    text = default_library().render(
        "promise",
        "zh",
        {"reply_by": "明天 10:00 前", "case_number": None},
        missing=lambda name: f"〈{name}〉",
    )
    assert "编号是〈case_number〉" in text and "明天 10:00 前" in text


def test_customer_text_is_inserted_literally() -> None:
    hostile = "[bold red]王[/] {case_number} [@click=app.quit]x[/] \x1b[2J \x1b]52;c;eA==\x07"
    values = {"customer_name": hostile, "summary": hostile}
    text = default_library().render("readback", "zh", values)
    assert text.startswith(f"尊敬的{hostile}，") and f"\n{hostile}\n" in text
    assert "TS-" not in text


def test_unknown_stage_or_language() -> None:
    with pytest.raises(ScriptError, match="unknown stage 'hello'"):
        default_library().pick("hello", "zh")
    with pytest.raises(ScriptError, match="no scripts in language 'fr'"):
        default_library().pick("greeting", "fr")


# --- administrators' files -----------------------------------------------------------------------

HEAD = """\
[salutation]
standard = "Dear {customer_name}"
vip = "Dear {customer_name}"
unnamed = "Dear customer"
unnamed_vip = "Dear customer"
"""


def minimal(extra: str = "", skip: str = "") -> str:
    """A valid file: salutations and one general template per stage, then `extra`."""
    needs = {"reject": " {reason}", "promise": " {reply_by}", "decline": " {reason}"}
    entries = "".join(
        f'\n[[script]]\nstage = "{stage}"\nbody = "Our {stage}.{needs.get(stage, "")}"\n'
        for stage in STAGES
        if stage != skip
    )
    return HEAD + entries + extra


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_in_a_script_folder_replaces_the_shipped_one(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write(first, "en.toml", minimal())
    write(second, "en.toml", minimal().replace("Our greeting.", "Second greeting."))
    write(second, "zh.toml", minimal().replace("Our greeting.", "第二个目录"))
    library = ScriptLibrary.load([first, second])
    assert library.pick("greeting", "en").body == "Our greeting."
    assert library.pick("greeting", "zh").body == "第二个目录"
    assert library.source("en") == first / "en.toml"
    # Replaced, not merged: the shipped VIP variant is gone from English.
    assert library.pick("greeting", "en", tier=CustomerTier.VIP).body == "Our greeting."


def test_unknown_placeholder_names_file_and_line(tmp_path: Path) -> None:
    extra = (
        '\n[[script]]\nstage = "greeting"\nseverity = "A"\n'
        'body = """\nHello {salutation},\nyour {cas_number} is urgent.\n"""\n'
    )
    path = write(tmp_path, "en.toml", minimal(extra))
    with pytest.raises(ScriptError) as caught:
        ScriptLibrary.load([tmp_path])
    message = str(caught.value)
    match = re.match(
        rf"{re.escape(str(path))}:(\d+): unknown placeholder \{{cas_number\}}", message
    )
    assert match, message
    assert line_of(path, int(match.group(1))).startswith("body = ")
    assert "in the greeting script" in message


@pytest.mark.parametrize(
    ("extra", "key", "message"),
    [
        ('\n[[script]]\nstage = "greting"\nbody = "x"\n', "stage", "stage must be one of"),
        (
            '\n[[script]]\nstage = "greeting"\nseverity = "D"\nbody = "x"\n',
            "severity",
            "unknown severity 'D'",
        ),
        (
            '\n[[script]]\nstage = "greeting"\ncategory = "food"\nbody = "x"\n',
            "category",
            "unknown category 'food'",
        ),
        (
            '\n[[script]]\nstage = "greeting"\ntier = "gold"\nbody = "x"\n',
            "tier",
            "unknown tier 'gold'",
        ),
        (
            '\n[[script]]\nstage = "greeting"\nlanguage = "en"\nbody = "x"\n',
            "language",
            "unknown key",
        ),
        ('\n[[script]]\nstage = "greeting"\ntier = "vip"\nbody = "  "\n', "body", "has no body"),
        (
            '\n[[script]]\nstage = "reject"\nseverity = "A"\nbody = "No."\n',
            "body",
            r"a reject script must say \{reason\}",
        ),
        (
            '\n[[script]]\nstage = "promise"\ntier = "vip"\nbody = "Soon."\n',
            "body",
            r"a promise script must say \{reply_by\}",
        ),
        (
            '\n[[script]]\nstage = "plan"\ntier = "vip"\nbody = "{0}"\n',
            "body",
            "must be a plain name",
        ),
        (
            '\n[[script]]\nstage = "plan"\ntier = "vip"\nbody = "{remedy.__class__}"\n',
            "body",
            "must be a plain name",
        ),
        (
            '\n[[script]]\nstage = "plan"\ntier = "vip"\nbody = "a { b"\n',
            "body",
            "literal brace",
        ),
    ],
)
def test_a_bad_template_names_its_line(tmp_path: Path, extra: str, key: str, message: str) -> None:
    path = write(tmp_path, "zh.toml", minimal(extra))
    with pytest.raises(ScriptError, match=message) as caught:
        ScriptLibrary.load([tmp_path])
    found = re.match(rf"{re.escape(str(path))}:(\d+):", str(caught.value))
    assert found, str(caught.value)
    assert line_of(path, int(found.group(1))).startswith(key)


def test_duplicate_selectors_name_both_entries(tmp_path: Path) -> None:
    extra = '\n[[script]]\nstage = "greeting"\nbody = "again"\n'
    path = write(tmp_path, "en.toml", minimal(extra))
    with pytest.raises(ScriptError, match="same stage and selectors as") as caught:
        ScriptLibrary.load([tmp_path])
    lines = [int(n) for n in re.findall(rf"{re.escape(str(path))}:(\d+)", str(caught.value))]
    assert len(lines) == 2 and all(line_of(path, n) == "[[script]]" for n in lines)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (minimal(skip="revisit"), "no revisit script without category, severity or tier"),
        (minimal().replace('unnamed_vip = "Dear customer"\n', ""), r"needs unnamed_vip"),
        (
            minimal().replace(
                'standard = "Dear {customer_name}"', 'standard = "Dear {agent_name}"'
            ),
            r"standard may use only \{customer_name\}",
        ),
        (
            minimal().replace('unnamed = "Dear customer"', 'unnamed = "Dear {customer_name}"'),
            "unnamed may not use placeholders",
        ),
        (minimal().replace("[salutation]", "[salutations]"), "unknown section salutations"),
        (minimal() + "\n[[script]\n", "not valid TOML"),
    ],
)
def test_a_bad_file_names_the_file(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "en.toml", text)
    with pytest.raises(ScriptError, match=message) as caught:
        ScriptLibrary.load([tmp_path])
    assert str(tmp_path / "en.toml") in str(caught.value)


def test_line_numbers_survive_tricky_strings(tmp_path: Path) -> None:
    # A body mentioning [[script]] and a comment with quotes must not shift the count.
    extra = (
        "\n# a \"quoted\" comment with ''' in it\n"
        '[[script]]\nstage = "plan"\ntier = "vip"\nbody = """\n'
        '[[script]]\nstage = "x"\n"""\n'
        "\n[[script]]\nstage = 'feedback'\ntier = 'vip'\nbody = '''\nbad {oops}\n'''\n"
    )
    path = write(tmp_path, "en.toml", minimal(extra))
    with pytest.raises(ScriptError, match="unknown placeholder") as caught:
        ScriptLibrary.load([tmp_path])
    number = int(re.match(rf"{re.escape(str(path))}:(\d+):", str(caught.value)).group(1))  # type: ignore[union-attr]
    assert line_of(path, number) == "body = '''"
    assert line_of(path, number + 1) == "bad {oops}"


def test_an_inline_array_layout_names_entries_by_number(tmp_path: Path) -> None:
    entries = ", ".join(
        f'{{ stage = "{stage}", body = "{{reason}} {{reply_by}}" }}' for stage in STAGES
    )
    bad = '{ stage = "plan", tier = "vip", body = "{nope}" }'
    write(tmp_path, "en.toml", f"script = [{entries}, {bad}]\n" + HEAD)
    entry = len(STAGES) + 1
    where = rf"en\.toml \(entry {entry}\): unknown placeholder \{{nope\}}"
    with pytest.raises(ScriptError, match=where):
        ScriptLibrary.load([tmp_path])


def test_a_file_written_before_the_decline_stage_borrows_its_reject(tmp_path: Path) -> None:
    """A deployment's own script file from before the decline stage still loads: declining
    uses its rejection wording. A file that has decline scripts needs a general one."""
    folder = tmp_path / "older"
    write(folder, "en.toml", minimal(skip="decline"))
    library = ScriptLibrary.load([folder])
    assert library.pick("decline", "en").stage == "reject"
    assert library.render("decline", "en", {"customer_name": "Li", "reason": "R"}) == (
        "Our reject. R"
    )
    write(folder, "en.toml", minimal(skip="decline", extra=VIP_DECLINE))
    with pytest.raises(ScriptError, match="no decline script without category"):
        ScriptLibrary.load([folder])


def test_the_shipped_decline_script_tells_the_reason_and_the_way_to_appeal() -> None:
    library = default_library()
    zh = library.render("decline", "zh", {"customer_name": "王小明", "case_number": "TS-1",
                                           "reason": "经检测属人为损坏"})  # fmt: skip
    assert "经检测属人为损坏" in zh and "复核" in zh and "TS-1" in zh
    en = library.render("decline", "en", {"customer_name": "Li", "case_number": "TS-1",
                                          "reason": "the seal was cut"})  # fmt: skip
    assert "the seal was cut" in en and "review the case again" in en


VIP_DECLINE = """
[[script]]
stage = "decline"
tier = "vip"
body = "Our VIP decline. {reason}"
"""
