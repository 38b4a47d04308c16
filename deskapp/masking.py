"""Personal data as a role that does not need it sees it (DESIGN.md §1 "Trust").

Enough stays visible to tell customers apart on a call-back list (the phone's first three and
last four digits, the family name's first character) and nothing more.
"""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) <= 7:
        return "*" * (len(digits) - 4) + digits[-4:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str) -> str:
    """`王小明` → `王**`; `Lily Chen` → `L*** C***`: each word keeps its first character."""
    words = name.split()
    if not words:
        return ""
    if len(words) == 1:
        word = words[0]
        return word[:1] + "*" * min(max(len(word) - 1, 1), 3)
    return " ".join(w[:1] + "*" * min(max(len(w) - 1, 1), 3) for w in words)
