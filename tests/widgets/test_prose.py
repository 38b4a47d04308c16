"""Paragraphs wrap the way Chinese is set: never inside a number or a case number, never with
closing punctuation at the head of a line."""

from __future__ import annotations

import io
import itertools

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from deskapp.display import is_safe
from widgets.prose import Prose, break_units, wrap_offsets

SCRIPT = (
    "您好，我是客服小王。您的投诉已经登记，编号是TS-20261123-0001。我们会在60分钟内"
    "（11月24日 14:30前）给您答复，请您保持电话138-0013-8000畅通。“好的”，谢谢！"
)
KEEP_WHOLE = ("TS-20261123-0001", "14:30", "138-0013-8000", "60分钟", "11月", "24日")
CLOSING = "。，、；：！？）」』】》”’"


def lines_of(text: str, width: int) -> list[str]:
    cuts = [0, *wrap_offsets(text, width), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(cuts)]


def narrowest(text: str) -> int:
    """The widest unbreakable unit: below it something must be folded."""
    from rich.cells import cell_len

    return max(cell_len(u.rstrip()) for u in break_units(text))


def test_numbers_times_and_case_numbers_are_never_split() -> None:
    assert narrowest(SCRIPT) == 18  # "TS-20261123-0001。"
    for width in range(narrowest(SCRIPT), 80):
        lines = lines_of(SCRIPT, width)
        assert "".join(lines) == SCRIPT
        for whole in KEEP_WHOLE:
            assert any(whole in line for line in lines), (width, whole, lines)


def test_closing_punctuation_never_starts_a_line_nor_opening_ends_one() -> None:
    for width in range(narrowest(SCRIPT), 80):
        lines = lines_of(SCRIPT, width)
        assert not any(line[0] in CLOSING for line in lines[1:]), (width, lines)
        assert not any(line.rstrip()[-1] in "（「“" for line in lines[:-1]), (width, lines)


def test_english_breaks_at_spaces_and_keeps_addresses_whole() -> None:
    text = "Write to lily.chen@example.com or call +1 (415) 555-0100 before 10:30 tomorrow."
    for width in range(22, 70):
        lines = lines_of(text, width)
        assert any("lily.chen@example.com" in line for line in lines)
        assert any("10:30" in line for line in lines)
        assert all(len(line.rstrip()) <= width for line in lines)


def test_units_wider_than_the_line_are_folded() -> None:
    assert lines_of("TS-20261123-0001", 6) == ["TS-202", "61123-", "0001"]


def render(renderable: object, width: int) -> list[str]:
    console = Console(width=width, file=io.StringIO(), color_system=None, legacy_windows=False)
    console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out.splitlines()


def test_prose_keeps_styles_and_paragraphs() -> None:
    text = Text("标题", style="bold")
    text.append("\n" + SCRIPT)
    shown = render(Prose(text), 30)
    assert shown[0] == "标题"
    assert "".join(shown[1:]).replace(" ", "") == SCRIPT.replace(" ", "")


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80)
PIECES = st.one_of(
    st.text(CJK, min_size=1, max_size=6),
    st.sampled_from(["TS-20261123-0001", "14:30", "138-0013-8000", "。", "，", "（", "）", " "]),
    st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=9),
)


@given(st.lists(PIECES, max_size=30).map("".join), st.integers(min_value=4, max_value=50))
def test_any_mix_keeps_every_character_and_fits_unless_a_unit_cannot(text: str, width: int) -> None:
    lines = lines_of(text, width)
    assert "".join(lines) == text
    if text.strip() and narrowest(text) <= width:
        assert all(cell_len(line.rstrip()) <= width for line in lines), lines


@given(st.text(st.characters(codec=None, exclude_categories=())), st.integers(1, 60))
def test_prose_of_anything_renders_only_safe_text(text: str, width: int) -> None:
    assert all(is_safe(line) for line in render(Prose(text), width))
