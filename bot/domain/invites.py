"""Invite codes: short, unambiguous when read aloud or typed, valid in a Telegram deep link."""

from __future__ import annotations

import re
import secrets

# No 0/O, 1/I/L: codes get dictated over the phone at meetings.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
_VALID = re.compile(r"^[A-Z0-9_-]{4,64}$")  # deep-link payload: A-Z a-z 0-9 _ - up to 64


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def looks_like_invite(text: str) -> bool:
    """A stranger's message that is probably a code typed on its own (no deep link: Zalo)."""
    code = normalize_code(text)
    return code is not None and (len(code) == CODE_LENGTH or "-" in code)


def normalize_code(text: str) -> str | None:
    """The code as stored, or None when the text cannot be an invite code at all."""
    code = text.strip().upper()
    return code if _VALID.match(code) else None
