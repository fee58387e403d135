"""Criteria, scale and score sheets (bộ tiêu chí, thang điểm, bảng tự chấm điểm): pure rules.

Scores are Decimals with at most two decimals, so 9,5 + 0,25 sums exactly. Total = items + bonus
(capped) − deductions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

import yaml

from .errors import FileInvalid, InvalidInput
from .yaml_text import mended_text

_NUMBER = re.compile(r"^\s*(\d{1,4})(?:[.,](\d{1,2}))?\s*$")
_CODE = re.compile(r"^[A-Za-z0-9.]{1,16}$")
ITEM, BONUS, DEDUCTION = "item", "bonus", "deduction"
TIE_BREAKS = ("first_group", "fewer_deductions", "earlier_submission")
ITEM_FIELDS = {"code", "title", "max", "guidance", "per_occurrence"}


@dataclass(frozen=True)
class Criterion:
    code: str
    title: str
    kind: str  # item | bonus | deduction
    max: Decimal
    group: str  # code of the top-level group ("B" for bonus, "T" for deductions)
    guidance: str | None = None
    section: str | None = None  # the sub-group path below the top-level group ("1. A › 1.1. B")


@dataclass(frozen=True)
class Group:
    code: str
    title: str
    items: tuple[Criterion, ...]

    @property
    def max(self) -> Decimal:
        return sum((c.max for c in self.items), Decimal(0))


@dataclass(frozen=True)
class Scale:
    name: str
    total: Decimal
    groups: tuple[Group, ...]
    bonus_cap: Decimal = Decimal(0)
    bonus: tuple[Criterion, ...] = ()
    deductions: tuple[Criterion, ...] = ()
    round: str | None = None  # the scoring round this scale is for (six-month, year-end, …)
    bands: tuple[tuple[Decimal, str], ...] = ()  # (minimum points, name), highest first
    tie_breaks: tuple[str, ...] = TIE_BREAKS

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return (*(c for g in self.groups for c in g.items), *self.bonus, *self.deductions)

    def criterion(self, code: str) -> Criterion | None:
        return next((c for c in self.criteria if c.code == code), None)


def parse_score(text: str) -> Decimal:
    """'9,5' or '9.5' → Decimal('9.5'); refuses negatives, words, exponents, >2 decimals."""
    match = _NUMBER.match(text or "")
    if match is None:
        raise InvalidInput("score.not_a_number", text=(text or "").strip()[:20])
    whole, fraction = match.groups()
    return Decimal(f"{whole}.{fraction}" if fraction else whole)


def check_score(criterion: Criterion, value: Decimal) -> Decimal:
    if value > criterion.max:
        raise InvalidInput(
            "score.above_max", code=criterion.code, value=fmt(value), max=fmt(criterion.max)
        )
    return value


def fmt(value: Decimal) -> str:
    """Vietnamese notation: decimal comma, no trailing zeros (9,5; 10; 0,25)."""
    text = f"{value.normalize():f}" if value != value.to_integral() else str(int(value))
    return text.replace(".", ",")


@dataclass(frozen=True)
class Totals:
    by_group: dict[str, Decimal]
    items: Decimal
    bonus: Decimal  # after the cap
    deductions: Decimal
    missing: tuple[str, ...] = field(default=())  # item codes not yet scored

    @property
    def total(self) -> Decimal:
        return self.items + self.bonus - self.deductions


def totals(scale: Scale, scores: dict[str, Decimal]) -> Totals:
    # Plain loops: ranking a thousand units × a hundred criteria must stay well under 50 ms.
    get, zero = scores.get, Decimal(0)
    by_group: dict[str, Decimal] = {}
    missing: list[str] = []
    for group in scale.groups:
        subtotal = zero
        for criterion in group.items:
            value = get(criterion.code)
            if value is None:
                missing.append(criterion.code)
            else:
                subtotal += value
        by_group[group.code] = subtotal
    bonus = sum((get(c.code, zero) for c in scale.bonus), zero)
    deductions = sum((get(c.code, zero) for c in scale.deductions), zero)
    return Totals(
        by_group,
        sum(by_group.values(), zero),
        min(bonus, scale.bonus_cap),
        deductions,
        tuple(missing),
    )


def parse_bulk(scale: Scale, text: str) -> dict[str, Decimal]:
    """'1.1 = 9,5' per line or separated by ';' (':' also accepted); every problem listed."""
    scores: dict[str, Decimal] = {}
    problems: list[tuple[str, dict[str, object]]] = []
    for number, line in enumerate(text.replace(";", "\n").splitlines(), start=1):
        if not line.strip():
            continue
        code, sep, value = line.partition("=") if "=" in line else line.partition(":")
        code = code.strip()
        criterion = scale.criterion(code)
        if not sep or criterion is None:
            problems.append(("score.bulk_unknown", {"line": number, "code": code[:16]}))
            continue
        try:
            scores[code] = check_score(criterion, parse_score(value))
        except InvalidInput as error:
            problems.append((error.key, {**error.params, "line": number}))
    if problems:
        raise FileInvalid(problems, "score.bulk_invalid")
    if not scores:
        raise InvalidInput("score.bulk_empty")
    return scores


def _group_items(
    raw_group: dict, top: str, section: str | None, criterion, problems, depth: int = 0
) -> list[Criterion]:
    """The items of a group and of its sub-groups (any depth), in order, each knowing the
    sub-group path it sits under; totals count them towards the top-level group."""
    items = [c for c in (criterion(i, ITEM, top) for i in raw_group.get("items") or []) if c]
    items = [replace(c, section=section) if section else c for c in items]
    for sub in raw_group.get("groups") or []:
        code = str(sub.get("code", "")).strip() if isinstance(sub, dict) else ""
        if not code or depth > 8:
            problems.append(("scale.bad_group", {}))
            continue
        label = f"{code}. {sub.get('title', '')}".strip()
        path = f"{section} › {label}" if section else label
        items += _group_items(sub, top, path, criterion, problems, depth + 1)
    return items


def parse_scale(text: str) -> Scale:
    """The scale file (format of scale-example.yaml); every problem listed at once."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise FileInvalid([("scale.not_yaml", {})], "scale.invalid") from None
    raw = data.get("scale") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        raise FileInvalid([("scale.no_scale", {})], "scale.invalid")
    problems: list[tuple[str, dict[str, object]]] = []
    seen: set[str] = set()

    def number(value, where: str) -> Decimal | None:
        try:
            parsed = Decimal(str(value))
        except (InvalidOperation, ValueError):
            parsed = None
        if parsed is None or parsed <= 0 or parsed != parsed.quantize(Decimal("0.01")):
            problems.append(("scale.bad_max", {"code": where}))
            return None
        return parsed

    def criterion(item, kind: str, group: str) -> Criterion | None:
        if not isinstance(item, dict) or not item.get("code") or not item.get("title"):
            problems.append(("scale.bad_item", {"group": group}))
            return None
        code = str(item["code"]).strip()
        if not _CODE.match(code) or code in seen:
            problems.append(
                ("scale.duplicate_code" if code in seen else "scale.bad_code", {"code": code})
            )
            return None
        seen.add(code)
        maximum = number(item.get("max"), code)
        if maximum is None:
            return None
        return Criterion(
            code,
            mended_text(item, "title", ITEM_FIELDS),
            kind,
            maximum,
            group,
            str(item["guidance"]).strip() if item.get("guidance") else None,
        )

    groups = []
    for raw_group in raw.get("groups") or []:
        code = str(raw_group.get("code", "")).strip() if isinstance(raw_group, dict) else ""
        if not code:
            problems.append(("scale.bad_group", {}))
            continue
        items = _group_items(raw_group, code, None, criterion, problems)
        groups.append(Group(code, str(raw_group.get("title", code)), tuple(items)))
    if not groups:
        problems.append(("scale.no_groups", {}))
    bonus_raw = raw.get("bonus") or {}
    bonus = tuple(c for c in (criterion(i, BONUS, "B") for i in bonus_raw.get("items") or []) if c)
    deductions = tuple(
        c
        for c in (
            criterion(i, DEDUCTION, "T") for i in (raw.get("deductions") or {}).get("items") or []
        )
        if c
    )
    total = number(raw.get("total"), "total")
    cap = number(bonus_raw["cap"], "bonus.cap") if bonus_raw.get("cap") else Decimal(0)
    declared = sum((g.max for g in groups), Decimal(0))
    if total is not None and not problems and declared != total:
        problems.append(("scale.total_mismatch", {"sum": fmt(declared), "total": fmt(total)}))
    bands = []
    for raw_band in raw.get("bands") or []:
        try:
            floor = Decimal(str(raw_band.get("min"))) if isinstance(raw_band, dict) else None
        except (InvalidOperation, ValueError):
            floor = None
        name = str(raw_band.get("name") or "").strip() if isinstance(raw_band, dict) else ""
        if floor is None or floor < 0 or not name:
            problems.append(("scale.bad_band", {}))
        else:
            bands.append((floor, name))
    tie_breaks = tuple(str(t) for t in raw.get("tie_breaks") or TIE_BREAKS)
    unknown = [t for t in tie_breaks if t not in TIE_BREAKS]
    if unknown:
        problems.append(
            ("scale.bad_tie_break", {"names": ", ".join(unknown), "known": ", ".join(TIE_BREAKS)})
        )
    round_key = str(raw["round"]).strip() if raw.get("round") else None
    if round_key is not None and not re.match(r"^[a-z0-9][a-z0-9-]{0,31}$", round_key):
        problems.append(("scale.bad_round", {"round": round_key[:32]}))
    if problems:
        raise FileInvalid(problems, "scale.invalid")
    return Scale(
        str(raw.get("name") or ""),
        total,
        tuple(groups),
        cap or Decimal(0),
        bonus,
        deductions,
        round_key,
        tuple(sorted(bands, reverse=True)),
        tie_breaks,
    )


@dataclass(frozen=True)
class RankEntry:
    unit_code: str
    unit_name: str
    total: Decimal
    first_group: Decimal  # tie-break 1: the first (core) group's subtotal
    deductions: Decimal  # tie-break 2: fewer deduction points
    submitted_at: object  # tie-break 3: earlier submission (an aware datetime, or None)
    verified: bool  # False: the self total stands until verification


# Default classification bands as shares of the scale's total; a scale may set its own.
BANDS = (
    (Decimal("0.9"), "excellent"),
    (Decimal("0.8"), "good"),
    (Decimal("0.7"), "fair"),
    (Decimal(0), "average"),
)


DEFAULT_BAND_KEYS = frozenset(name for _, name in BANDS)


def band(total: Decimal, scale_total: Decimal, custom: tuple[tuple[Decimal, str], ...] = ()) -> str:
    """A default band key (excellent, good, …), or the name of the scale's own band whose
    minimum (in points) the total reaches."""
    if custom:
        return next((name for floor, name in custom if total >= floor), custom[-1][1])
    share = total / scale_total if scale_total else Decimal(0)
    return next(name for floor, name in BANDS if share >= floor)


def rank(
    entries: list[RankEntry], tie_breaks: tuple[str, ...] = TIE_BREAKS
) -> list[tuple[int, RankEntry]]:
    """Highest total first; ties broken by the tie-breaks in order (default: the first group,
    then fewer deductions, then earlier submission); units equal on every key share a rank."""

    def key(entry: RankEntry):
        submitted = entry.submitted_at.timestamp() if entry.submitted_at else float("inf")
        parts = {
            "first_group": -entry.first_group,
            "fewer_deductions": entry.deductions,
            "earlier_submission": submitted,
        }
        return (-entry.total, *(parts[name] for name in tie_breaks))

    ordered = sorted(entries, key=lambda e: (key(e), e.unit_code))
    ranked: list[tuple[int, RankEntry]] = []
    for position, entry in enumerate(ordered, start=1):
        if ranked and key(ranked[-1][1]) == key(entry):
            ranked.append((ranked[-1][0], entry))
        else:
            ranked.append((position, entry))
    return ranked


def parse_verification(scale: Scale, text: str) -> dict[str, tuple[Decimal, str | None]]:
    """'1.1 = 20 | lý do' per line or separated by ';': the verified score and its reason."""
    entries: dict[str, tuple[Decimal, str | None]] = {}
    problems: list[tuple[str, dict[str, object]]] = []
    for number, line in enumerate(text.replace(";", "\n").splitlines(), start=1):
        if not line.strip():
            continue
        head, _, reason = line.partition("|")
        code, sep, value = head.partition("=")
        criterion = scale.criterion(code.strip())
        if not sep or criterion is None:
            problems.append(("score.bulk_unknown", {"line": number, "code": code.strip()[:16]}))
            continue
        try:
            entries[criterion.code] = (
                check_score(criterion, parse_score(value)),
                reason.strip()[:300] or None,
            )
        except InvalidInput as error:
            problems.append((error.key, {**error.params, "line": number}))
    if problems:
        raise FileInvalid(problems, "score.bulk_invalid")
    if not entries:
        raise InvalidInput("verify.empty")
    return entries
