"""The scale file (thang điểm, format of scale-example.yaml) read into a `Scale`; every problem in
the file is listed at once."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from .errors import FileInvalid
from .scoring import BONUS, DEDUCTION, ITEM, TIE_BREAKS, Criterion, Group, Scale, fmt
from .typed import exact_decimal
from .yaml_file import read_yaml
from .yaml_text import mended_text

ITEM_FIELDS = {"code", "title", "max", "guidance", "per_occurrence"}
MAX_DEPTH = 8  # sub-groups nest at most this deep
_CODE = re.compile(r"^[A-Za-z0-9.]{1,16}$")
_ROUND = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")

Problem = tuple[str, dict[str, object]]


def parse_scale(text: str) -> Scale:
    data = read_yaml(text, "scale.invalid")
    raw = data.get("scale") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        raise FileInvalid([("scale.no_scale", {})], "scale.invalid")
    return _ScaleReader().scale(raw)


class _ScaleReader:
    """Reads one scale mapping, collecting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.seen: set[str] = set()

    def scale(self, raw: dict) -> Scale:
        groups = self.groups(raw.get("groups") or [])
        bonus_raw = raw.get("bonus") or {}
        bonus = self.items(bonus_raw.get("items") or [], BONUS, "B")
        deductions = self.items((raw.get("deductions") or {}).get("items") or [], DEDUCTION, "T")
        total = self.number(raw.get("total"), "total")
        cap = self.number(bonus_raw["cap"], "bonus.cap") if bonus_raw.get("cap") else None
        declared = sum((g.max for g in groups), Decimal(0))
        if total is not None and not self.problems and declared != total:
            self.problems.append(
                ("scale.total_mismatch", {"sum": fmt(declared), "total": fmt(total)})
            )
        bands, tie_breaks, round_key = self.bands(raw), self.tie_breaks(raw), self.round(raw)
        if self.problems or total is None:
            raise FileInvalid(self.problems, "scale.invalid")
        return Scale(
            str(raw.get("name") or ""),
            total,
            groups,
            cap or Decimal(0),
            bonus,
            deductions,
            round_key,
            bands,
            tie_breaks,
        )

    def number(self, value: object, where: str) -> Decimal | None:
        """A positive maximum with at most two decimals."""
        parsed = exact_decimal(value)
        if parsed is None or parsed <= 0 or parsed != parsed.quantize(Decimal("0.01")):
            self.problems.append(("scale.bad_max", {"code": where}))
            return None
        return parsed

    def criterion(self, item: object, kind: str, group: str) -> Criterion | None:
        if not isinstance(item, dict) or not item.get("code") or not item.get("title"):
            self.problems.append(("scale.bad_item", {"group": group}))
            return None
        code = str(item["code"]).strip()
        if not _CODE.match(code) or code in self.seen:
            key = "scale.duplicate_code" if code in self.seen else "scale.bad_code"
            self.problems.append((key, {"code": code}))
            return None
        self.seen.add(code)
        maximum = self.number(item.get("max"), code)
        if maximum is None:
            return None
        guidance = str(item["guidance"]).strip() if item.get("guidance") else None
        title = mended_text(item, "title", ITEM_FIELDS) or str(item["title"])
        return Criterion(code, title, kind, maximum, group, guidance)

    def items(self, raw_items: list, kind: str, group: str) -> tuple[Criterion, ...]:
        found = (self.criterion(item, kind, group) for item in raw_items)
        return tuple(c for c in found if c is not None)

    def groups(self, raw_groups: list) -> tuple[Group, ...]:
        groups = []
        for raw_group in raw_groups:
            code = str(raw_group.get("code", "")).strip() if isinstance(raw_group, dict) else ""
            if not code:
                self.problems.append(("scale.bad_group", {}))
                continue
            items = self.group_items(raw_group, code, None, 0)
            groups.append(Group(code, str(raw_group.get("title", code)), tuple(items)))
        if not groups:
            self.problems.append(("scale.no_groups", {}))
        return tuple(groups)

    def group_items(
        self, raw_group: dict, top: str, section: str | None, depth: int
    ) -> list[Criterion]:
        """The items of a group and of its sub-groups (any depth up to MAX_DEPTH), in order,
        each knowing the sub-group path it sits under; totals count them towards the top-level
        group."""
        items = list(self.items(raw_group.get("items") or [], ITEM, top))
        items = [replace(c, section=section) if section else c for c in items]
        for sub in raw_group.get("groups") or []:
            code = str(sub.get("code", "")).strip() if isinstance(sub, dict) else ""
            if not code or depth >= MAX_DEPTH:
                self.problems.append(("scale.bad_group", {}))
                continue
            label = f"{code}. {sub.get('title', '')}".strip()
            path = f"{section} › {label}" if section else label
            items += self.group_items(sub, top, path, depth + 1)
        return items

    def bands(self, raw: dict) -> tuple[tuple[Decimal, str], ...]:
        bands = []
        for raw_band in raw.get("bands") or []:
            floor = exact_decimal(raw_band.get("min")) if isinstance(raw_band, dict) else None
            name = str(raw_band.get("name") or "").strip() if isinstance(raw_band, dict) else ""
            if floor is None or floor < 0 or not name:
                self.problems.append(("scale.bad_band", {}))
            else:
                bands.append((floor, name))
        return tuple(sorted(bands, reverse=True))

    def tie_breaks(self, raw: dict) -> tuple[str, ...]:
        tie_breaks = tuple(str(t) for t in raw.get("tie_breaks") or TIE_BREAKS)
        unknown = [t for t in tie_breaks if t not in TIE_BREAKS]
        if unknown:
            known = ", ".join(TIE_BREAKS)
            self.problems.append(
                ("scale.bad_tie_break", {"names": ", ".join(unknown), "known": known})
            )
        return tie_breaks

    def round(self, raw: dict) -> str | None:
        round_key = str(raw["round"]).strip() if raw.get("round") else None
        if round_key is not None and not _ROUND.match(round_key):
            self.problems.append(("scale.bad_round", {"round": round_key[:32]}))
        return round_key
