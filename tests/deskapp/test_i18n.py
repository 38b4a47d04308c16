"""The message catalog: both languages complete, placeholders agreeing, and mistakes caught when
the file loads rather than on an agent's screen."""

from __future__ import annotations

import dataclasses
import inspect
import subprocess
import sys
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

import pytest

from deskapp import domain
from deskapp.cases import IntakeForm
from deskapp.errors import InvalidInput
from deskapp.i18n import (
    ENUM_SECTIONS,
    LANGUAGES,
    Catalog,
    CatalogError,
    default_catalog,
    enum_label,
    field_label,
    language_of,
    localise_problem,
    problem_code,
    resolve_language,
    validation_text,
)
from deskapp.validation import LIMITS, check_fields


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "messages.toml"
    path.write_text(body, encoding="utf-8")
    return path


# --- the shipped catalog -------------------------------------------------------------------------


def test_shipped_catalog_loads_with_every_language() -> None:
    catalog = default_catalog()
    assert len(catalog) > 150
    for key in catalog:
        for lang in LANGUAGES:
            assert catalog.text(key, lang, **dict.fromkeys(catalog.fields(key), "x"))


def test_every_domain_enum_has_labels_in_both_languages() -> None:
    enums = [
        obj
        for _, obj in inspect.getmembers(domain, inspect.isclass)
        if issubclass(obj, StrEnum) and obj is not StrEnum
    ]
    assert set(enums) == set(ENUM_SECTIONS), "a domain enum has no catalog section"
    for enum in enums:
        for member in enum:
            labels = {lang: enum_label(member, lang) for lang in LANGUAGES}
            assert all(labels.values()), member
    assert enum_label(domain.Severity.A, "zh") == "A 紧急"
    assert enum_label(domain.Channel.WALK_IN, "en") == "Walk-in / store"


def test_every_intake_field_has_a_label() -> None:
    for field in dataclasses.fields(IntakeForm):
        for lang in LANGUAGES:
            assert field_label(field.name, lang)
    assert field_label("demand", "zh") == "诉求"


@pytest.mark.parametrize(
    "key",
    [
        "signin.title",
        "signin.username",
        "signin.password",
        "signin.bad_credentials",
        "signin.demo_notice",
        "signin.os_user_missing",
        "header.my_open",
        "header.at_risk",
        "header.breached",
        "header.desk_time",
        "key.help",
        "key.new_complaint",
        "key.queue",
        "key.breach_board",
        "key.palette",
        "key.save",
        "key.back",
        "key.quit",
        "key.copy_script",
        "key.accept_suggestions",
        "dialog.quit_unsaved",
        "intake.title",
        "readback.title",
        "readback.intro",
        "registered.message",
        "draft.resume_title",
        "draft.resume_body",
        "triage.reason.keyword",
        "triage.reason.repeat",
        "triage.reason.vip",
        "wording.today",
    ],
)
def test_the_screens_strings_are_there(key: str) -> None:
    assert key in default_catalog()


def test_text_fills_placeholders_literally() -> None:
    catalog = default_catalog()
    assert (
        catalog.text("registered.message", "zh", number="TS-20261123-0001", promise="今天 15:30 前")
        == "已登记为 TS-20261123-0001，承诺今天 15:30 前答复客户。"
    )
    assert catalog.text("lock.signed_out", "en", minutes=15).startswith("Too many wrong")
    # Values are not formatted again, so customer text with braces or markup stays as typed.
    hostile = "{number} [bold red]x[/] \x1b[2J"
    assert hostile in catalog.text("intake.customer_known", "zh", name=hostile)


def test_text_refuses_missing_values_unknown_keys_and_languages() -> None:
    catalog = default_catalog()
    with pytest.raises(CatalogError, match=r"registered\.message: no value for promise"):
        catalog.text("registered.message", "en", number="TS-1")
    with pytest.raises(CatalogError, match=r"no message 'intake\.nope'"):
        catalog.text("intake.nope", "en")
    with pytest.raises(CatalogError, match="unknown language 'fr'"):
        catalog.text("intake.title", "fr")


def test_the_same_key_reads_the_same_in_either_toml_layout(tmp_path: Path) -> None:
    inline = Catalog.load(write(tmp_path, '[a]\nb = { zh = "甲{n}", en = "A{n}" }\n'))
    tables = Catalog.load(write(tmp_path, '[a.b]\nzh = "甲{n}"\nen = "A{n}"\n'))
    assert inline.text("a.b", "zh", n=1) == tables.text("a.b", "zh", n=1) == "甲1"


# --- load-time errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[intake]\ntitle = { zh = "登记" }\n', r"intake\.title: missing the en text"),
        ('[intake]\ntitle = { en = "Register" }\n', r"intake\.title: missing the zh text"),
        (
            '[header]\nopen = { zh = "未结 {count}", en = "Open {n}" }\n',
            r"header\.open: placeholders differ between languages: zh \{count\}; en \{n\}",
        ),
        (
            '[header]\nopen = { zh = "未结", en = "Open {count}" }\n',
            r"header\.open: placeholders differ",
        ),
        ('[a]\nb = { zh = "甲", en = "A", eng = "A" }\n', r"a\.b: unknown language eng"),
        ('[a]\nb = "just one text"\n', r"a\.b must be a table of languages"),
        ('[a]\nb = { zh = "", en = "A" }\n', r"a\.b: the zh text must be a non-empty string"),
        ('[a]\nb = { zh = "{}", en = "{}" }\n', r"a\.b \(zh\): placeholder \{\} must be a plain"),
        (
            '[a]\nb = { zh = "{x.y}", en = "{x.y}" }\n',
            r"a\.b \(zh\): placeholder \{x\.y\} must be a plain",
        ),
        ('[a]\nb = { zh = "甲 {", en = "A" }\n', r"a\.b \(zh\): .*literal brace"),
        ("[a\n", r"not valid TOML"),
    ],
)
def test_a_broken_catalog_fails_to_load_naming_the_key(
    tmp_path: Path, body: str, message: str
) -> None:
    with pytest.raises(CatalogError, match=message):
        Catalog.load(write(tmp_path, body))


def test_literal_braces_are_allowed(tmp_path: Path) -> None:
    catalog = Catalog.load(write(tmp_path, '[a]\nb = { zh = "{{甲}}", en = "{{A}}" }\n'))
    assert catalog.text("a.b", "en") == "{A}"


def test_a_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"nowhere\.toml"):
        Catalog.load(tmp_path / "nowhere.toml")


# --- which language ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "configured", "env", "expected"),
    [
        ("en", "zh", {"LANG": "zh_CN.UTF-8"}, "en"),
        ("zh-CN", "en", {}, "zh"),
        (None, "en", {"LANG": "zh_CN.UTF-8"}, "en"),
        (None, "zh_TW", {"LANG": "en_US.UTF-8"}, "zh"),
        (None, None, {"LANG": "zh_CN.UTF-8"}, "zh"),
        (None, None, {"LANG": "en_GB.UTF-8"}, "en"),
        (None, None, {"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        (None, None, {"LC_ALL": "", "LC_MESSAGES": "zh_CN", "LANG": "en_US"}, "zh"),
        (None, None, {"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
        (None, None, {"LANG": "de_DE.UTF-8"}, "en"),
        (None, "", {"LANG": "zh_SG"}, "zh"),
        (None, None, {}, "en"),
    ],
)
def test_resolve_language_precedence(
    option: str | None, configured: str | None, env: dict[str, str], expected: str
) -> None:
    assert resolve_language(option, configured, env) == expected


def test_an_unknown_chosen_language_is_an_error_not_english() -> None:
    with pytest.raises(ValueError, match="--lang names language 'fr'"):
        resolve_language("fr", "zh", {})
    with pytest.raises(ValueError, match="the configuration names language 'jp'"):
        resolve_language(None, "jp", {})


def test_language_of() -> None:
    assert language_of("zh_CN.UTF-8") == "zh"
    assert language_of("EN-us") == "en"
    assert language_of("english") is None
    assert language_of("zhx") is None


# --- validation messages -------------------------------------------------------------------------


def every_validation_message() -> list[tuple[str, str]]:
    """Every kind of problem deskapp.validation and deskapp.cases can report."""
    found: list[tuple[str, str]] = []
    found += check_fields({}).items()
    found += check_fields(
        {
            "phone": "abc",
            "name": "x" * (LIMITS["name"] + 1),
            "subject": "s",
            "description": "d",
            "demand": "d",
            "email": "not-an-email",
            "place": "a\x00b",
        }
    ).items()
    from deskapp.cases.steps import amount as _amount

    for bad in ("lots", "-1", "NaN", "Infinity"):
        with pytest.raises(InvalidInput) as caught:
            _amount(bad)
        found += caught.value.problems.items()
    assert _amount(Decimal("1")) == Decimal("1.00")
    found += evidence_messages()
    return found


def evidence_messages() -> list[tuple[str, str]]:
    """What a file to attach can be refused for, before any database (deskapp.evidence)."""
    import tempfile

    from deskapp.config import EvidenceSettings
    from deskapp.evidence import check_path, check_size

    found: list[tuple[str, str]] = []
    settings = EvidenceSettings(max_bytes=10)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "tool.exe").write_bytes(b"MZ")
        (folder / "empty.jpg").write_bytes(b"")
        for path in (Path("  "), *(folder / n for n in ("x.jpg", ".", "tool.exe", "empty.jpg"))):
            with pytest.raises(InvalidInput) as caught:
                check_path(path, settings)
            found += caught.value.problems.items()
    with pytest.raises(InvalidInput) as caught:
        check_size(11, settings)
    found += caught.value.problems.items()
    found += [("path", "cannot be read: permission denied")]  # root can read anything
    # The refusal that needs the case (deskapp.cases.evidence), as it words it.
    found += [("path", "already attached to this case as 照片.jpg (#12)")]
    return found


def test_every_validation_message_has_a_code_and_both_languages() -> None:
    problems = every_validation_message()
    codes = set()
    for field, message in problems:
        found = problem_code(message)
        assert found is not None, f"no catalog code for {field}: {message!r}"
        codes.add(found[0])
        zh = localise_problem(field, message, "zh")
        en = localise_problem(field, message, "en")
        assert zh != message and en
    assert codes == {
        "required",
        "phone_format",
        "email_format",
        "too_long",
        "not_a_number",
        "negative",
        "unstorable",
        "no_file",
        "not_a_file",
        "unreadable",
        "too_large",
        "type_not_allowed",
        "empty_file",
        "already_attached",
    }


def test_too_long_keeps_its_numbers() -> None:
    assert localise_problem("name", "at most 100 characters (101 typed)", "zh") == (
        "最多 100 个字符（已输入 101 个）"
    )
    assert validation_text("name", "too_long", "en", limit=5, typed=9) == (
        "At most 5 characters (9 typed)"
    )
    assert (
        default_catalog().text("validation.field_problem", "zh", field="电话", problem="必填")
        == "电话：必填"
    )


def test_an_unknown_problem_is_shown_as_written() -> None:
    assert localise_problem("phone", "a brand new check", "zh") == "a brand new check"


# --- no terminal UI in the rules -----------------------------------------------------------------


def test_the_wording_modules_do_not_import_textual() -> None:
    modules = ["deskapp.i18n", "deskapp.triage", "deskapp.scripts", "deskapp.wording"]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'rich', 'screens', 'widgets'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
