"""The one form in which phone numbers are stored and compared.

The same customer calls from "138-0013-8000", "+86 138 0013 8000" and "13800138000"; repeat
detection and the customer lookup only work if all three are one number. The rule (also in
docs/design-deltas.md, "Phone numbers"):

1. Full-width characters become ASCII (NFKC); everything but digits and a leading "+" goes
   (spaces, dashes, dots, slashes, brackets).
2. A leading "00" (the international dialling prefix) becomes "+".
3. China's country code is dropped: "+86" before a mobile number (starting with 1) leaves the
   11-digit national number; before a landline's area code the trunk "0" comes back
   ("+86 21 1234 5678" → "02112345678"), the way the number is dialled at home.
4. Any other international number keeps "+" and its country code ("+1 (415) 555-0100" →
   "+14155550100").

It lives in the store because it is how the data is kept (like instants kept in UTC): the
migration that normalised existing rows and the use cases that write new ones share it.
"""

from __future__ import annotations

import unicodedata

CHINA = "86"


def normal_phone(raw: str) -> str:
    """`raw` in the stored form; "" when it holds no digit."""
    text = unicodedata.normalize("NFKC", raw).strip()
    digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    if not digits:
        return ""
    international = text.startswith("+")
    if not international and digits.startswith("00") and len(digits) > 4:
        digits, international = digits[2:], True
    if not international:
        return digits
    if digits.startswith(CHINA) and len(digits) > len(CHINA) + 5:
        national = digits[len(CHINA) :]
        return national if national.startswith(("0", "1")) else "0" + national
    return "+" + digits
