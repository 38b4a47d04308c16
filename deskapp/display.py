"""How text that came from outside the desk is shown: as what it is, never as what it does.

A complaint, a note, an imported row or a database value can hold escape sequences (`ESC [2J`
clears a terminal, `ESC ] 0;…BEL` retitles it, `ESC ] 52` writes the clipboard), other control
characters, or the bidirectional overrides that make text read differently from what it is.
The store keeps such text exactly as it was typed; everything that *shows* it passes it through
`visible` first, which turns every such character into a visible, harmless stand-in:

- C0 controls and DEL become their Unicode control pictures (ESC → ␛, BEL → ␇, NUL → ␀);
- C1 controls, bidirectional embeddings, overrides and isolates, and lone surrogates (which no
  terminal encoding can carry) become `⟨U+XXXX⟩`;
- line ends (CR LF, CR, NEL, U+2028, U+2029) become newlines and tabs become spaces, so the
  writer's lines survive; `one_line` turns the newlines into spaces for a single row.

Markup is a separate matter: widgets show this text as plain text (`rich.text.Text`, or
`markup=False`), never parsed as markup, so `[bold]` or `[@click=…]` stay literal.
"""

from __future__ import annotations

import re

TAB = "    "
_LINE_ENDS = re.compile("\r\n|[\r\x85\u2028\u2029]")
#: Everything `visible` replaces, but the newline (and the tab, handled first).
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _stand_in(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"⟨U+{code:04X}⟩"


def visible(text: str) -> str:
    """`text` with every control character shown as a harmless stand-in; newlines kept."""
    text = _LINE_ENDS.sub("\n", text).replace("\t", TAB)
    return _UNSAFE.sub(_stand_in, text)


def one_line(text: str) -> str:
    """`visible`, on one row: each line break becomes a space (other spacing is kept)."""
    return visible(text).replace("\n", " ")


def is_safe(text: str) -> bool:
    """No character a terminal would act on (newlines aside): what `visible` guarantees."""
    return _UNSAFE.search(text.replace("\t", " ")) is None and "\r" not in text


def _one_for_one(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


_UNSAFE_OR_LINE_END = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def visible_in_place(text: str) -> str:
    """`visible` for an editing line: one stand-in per character (C1, bidirectional controls
    and lone surrogates become �), so every position in the text keeps its index and a
    cursor drawn at an index stays on the character it belongs to."""
    return _UNSAFE_OR_LINE_END.sub(_one_for_one, text)
