"""Text from outside the desk is shown as what it is: every character a terminal would act on
becomes a visible stand-in, nothing else changes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskapp.display import is_safe, one_line, visible


@pytest.mark.parametrize(
    ("given_text", "shown"),
    [
        ("\x1b]0;pwned\x07", "␛]0;pwned␇"),  # retitle the terminal
        ("\x1b[2J", "␛[2J"),  # clear the screen
        ("\x1b]52;c;aGk=\x07", "␛]52;c;aGk=␇"),  # write the clipboard
        ("a\x00b\x7fc", "a␀b␡c"),
        ("\x9b31m", "⟨U+009B⟩31m"),  # a C1 CSI
        ("\u202eevil", "⟨U+202E⟩evil"),  # a right-to-left override
        ("a\r\nb\rc\x85d\u2028e", "a\nb\nc\nd\ne"),
        ("a\tb", "a    b"),
        ("\ud800", "⟨U+D800⟩"),  # a lone surrogate no terminal encoding carries
        ("[bold red]boom[/] 王小明 😀 العربية", "[bold red]boom[/] 王小明 😀 العربية"),
        ("👩\u200d💻 e\u0301", "👩\u200d💻 e\u0301"),  # joiners and combining marks stay
    ],
)
def test_what_a_terminal_would_act_on_is_made_visible(given_text: str, shown: str) -> None:
    assert visible(given_text) == shown
    assert is_safe(shown)


def test_one_line_folds_the_lines() -> None:
    assert one_line("first\n  second\r\nthird\t!") == "first   second third    !"


@given(st.text(st.characters(codec=None, exclude_categories=())))
def test_anything_becomes_safe_and_keeps_every_other_character(text: str) -> None:
    shown = visible(text)
    assert is_safe(shown) and is_safe(one_line(text))
    assert visible(shown) == shown  # showing it again changes nothing
    kept = [ch for ch in text if ch.isprintable() and ch not in "\u202a\u202b\u202c\u202d\u202e"]
    assert all(ch in shown for ch in kept)
    assert shown.count("\n") == visible(text.replace("\r\n", "\n")).count("\n")
