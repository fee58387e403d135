"""Unit codes typed at a step ("AGG, BLU" or "agg blu"): checked at the step that asks, so a
wrong or empty list is answered there and never reaches a later confirmation."""

from __future__ import annotations

import re

from bot.domain.errors import InvalidInput
from bot.domain.typed import normalized

from .context import Ctx

_SEPARATORS = re.compile(r"[,;\s]+")
_ALL = frozenset({"tatca", "tatcadonvi", "toanbo", "all", "allunits"})


def means_all(text: str) -> bool:
    """ "tất cả", "Tất cả đơn vị", "all": every unit, not codes named TẤT and CẢ."""
    return normalized(text) in _ALL


async def typed_unit_codes(ctx: Ctx, text: str) -> list[str]:
    """The cluster's unit codes named in `text`, in the order typed, each once."""
    roster = await ctx.services.membership.roster(ctx.member)
    known = [u.unit.code for u in roster.units]
    if means_all(text):
        return known
    codes = list(dict.fromkeys(c.upper() for c in _SEPARATORS.split(text) if c))
    if not codes:
        raise InvalidInput("units.none_typed", example=", ".join(known[:3]))
    unknown = [c[:16] for c in codes if c not in known]
    if unknown:
        raise InvalidInput("deadline.unknown_units", codes=", ".join(unknown[:10]))
    return codes
