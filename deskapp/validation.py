"""Field rules for what people type, shared by the intake form and the use cases.

Each check returns a message or None, so a form can mark a field in place while the use case
refuses the same input if a screen let it through.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

import pendulum

PHONE = re.compile(r"^\+?[0-9][0-9 \-()]{4,24}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

LIMITS = {
    "name": 100,
    "phone": 32,
    "email": 200,
    "subject": 200,
    "place": 200,
    "order_ref": 64,
    "product_ref": 64,
    "description": 20_000,
    "demand": 5_000,
    "evidence": 5_000,
    "note": 5_000,
    "attach_note": 500,
    "override_reason": 2_000,
    # What the case actions take as text.
    "reason": 5_000,
    "comment": 5_000,
    "outcome": 5_000,
    "remedy": 5_000,
    "whys": 2_000,
    "report": 20_000,
    "rectification": 2_000,
    "rectify_by": 10,
    # A written confirmation (deskapp.cases.letters).
    "letter_body": 20_000,
}

REQUIRED = ("phone", "name", "subject", "description", "demand")
#: What no database here can keep: NUL (PostgreSQL refuses it in text) and lone surrogates
#: (no UTF-8 for them). Nobody types them; a paste or an import can carry them.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def check_phone(value: str) -> str | None:
    digits = sum(ch.isdigit() for ch in value)
    if not PHONE.match(value.strip()) or not 5 <= digits <= 20:
        return "phone number: digits, spaces, '-' or a leading '+', 5 to 20 digits"
    return None


def check_email(value: str) -> str | None:
    if value and not EMAIL.match(value.strip()):
        return "e-mail address looks wrong (name@example.com)"
    return None


def check_length(name: str, value: str) -> str | None:
    """Too long for the field, or holding a character that cannot be stored."""
    limit = LIMITS.get(name)
    if limit is not None and len(value) > limit:
        return f"at most {limit} characters ({len(value)} typed)"
    found = _UNSTORABLE.search(value)
    if found:
        return f"contains a character that cannot be stored (U+{ord(found.group()):04X})"
    return None


def check_params(params: Mapping[str, object]) -> dict[str, str]:
    """The text a case action was given: each within its limit and storable."""
    problems: dict[str, str] = {}
    for name, value in params.items():
        texts = value if isinstance(value, list | tuple) else [value]
        for text in texts:
            if isinstance(text, str) and (why := check_length(name, text)):
                problems[name] = why
                break
    return problems


def check_fields(values: dict[str, str]) -> dict[str, str]:
    """All problems at once, in form order, keyed by field name."""
    problems: dict[str, str] = {}
    for name in REQUIRED:
        if not values.get(name, "").strip():
            problems[name] = "required"
    phone = values.get("phone", "")
    if "phone" not in problems and (why := check_phone(phone)):
        problems["phone"] = why
    if why := check_email(values.get("email", "")):
        problems["email"] = why
    for name, value in values.items():
        if name not in problems and (why := check_length(name, value)):
            problems[name] = why
    return problems


def parse_occurred_at(text: str, timezone: str) -> datetime | None:
    """When something happened, as a person types it ("2026-11-20 09:30", "11/20 9:30"), in
    the desk's zone; None when it cannot be read as a time (the form says so in place)."""
    try:
        parsed = pendulum.parse(text.strip(), tz=timezone, strict=False)
    except (ValueError, pendulum.parsing.exceptions.ParserError):
        return None
    if not isinstance(parsed, pendulum.DateTime):
        return None
    return datetime.fromisoformat(parsed.in_tz("UTC").isoformat())
