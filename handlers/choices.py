"""A voter's (or the chair's) picks travel in the button data as a bit mask of positions, so a
half-filled ballot is never stored anywhere; every press is re-checked on the server."""

from __future__ import annotations

MAX_POSITIONS = 40


def encode_mask(positions: frozenset[int]) -> str:
    return format(sum(1 << p for p in positions), "x")


def decode_mask(text: str) -> frozenset[int] | None:
    """The positions, or None for anything malformed (a forged button)."""
    if not text or len(text) > MAX_POSITIONS // 4 or any(c not in "0123456789abcdef" for c in text):
        return None
    value = int(text, 16)
    return frozenset(p for p in range(MAX_POSITIONS) if value >> p & 1)


def toggled(positions: frozenset[int], position: int) -> frozenset[int]:
    return positions ^ {position}
