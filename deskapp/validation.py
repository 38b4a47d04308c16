"""Field rules for what people type, shared by the intake form and the use cases.

Each check returns a message or None, so a form can mark a field in place while the use case
refuses the same input if a screen let it through.
"""

from __future__ import annotations

import re

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
}

REQUIRED = ("phone", "name", "subject", "description", "demand")


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
    limit = LIMITS.get(name)
    if limit is not None and len(value) > limit:
        return f"at most {limit} characters ({len(value)} typed)"
    return None


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
