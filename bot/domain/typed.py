"""What people type and what buttons carry: numbers and codes are ASCII only.

`²`, `９`, `٩` and `𝟗` all pass `str.isdigit()`, match `\\d` and are accepted by `Decimal`, and
`int("²")` raises. Every typed number, code and button field is read through here (or through a
pattern compiled with `re.ASCII`), so anything else is refused with a clear message.
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal

ASCII_DIGITS = frozenset("0123456789")
MAX_DIGITS = 9  # ids and counts: no typed number needs more


def ascii_digits(text: str) -> bool:
    """Only the digits 0–9, at least one."""
    return bool(text) and all(c in ASCII_DIGITS for c in text)


def whole_number(text: str, low: int = 0, high: int = 10**MAX_DIGITS - 1) -> int | None:
    """A whole number typed or carried in a button, within [low, high]; None otherwise."""
    text = text.strip()
    if not ascii_digits(text) or len(text) > MAX_DIGITS:
        return None
    value = int(text)
    return value if low <= value <= high else None


_DECIMAL = re.compile(r"^-?[0-9]{1,12}(?:[.,][0-9]{1,12})?$")


def exact_decimal(value: object) -> Decimal | None:
    """A finite number from a file (a YAML int or float, or text such as `9,5`), exactly; None
    for anything else: `.nan`, `.inf`, `1e309`, exponents, non-ASCII digits, booleans."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = repr(value)  # shortest text that round-trips: 5.5 -> "5.5"
    text = str(value).strip()
    if not _DECIMAL.match(text):
        return None
    return Decimal(text.replace(",", "."))


def normalized(label: str) -> str:
    """Letters and digits only, without diacritics, case-folded: people type "tiep" for
    "Tiếp ›" on a phone."""
    decomposed = unicodedata.normalize("NFD", label.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if c.isalnum() and c.isascii()).casefold()
