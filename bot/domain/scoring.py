"""Criteria, scale and score sheets (bộ tiêu chí, thang điểm, bảng tự chấm điểm): pure rules.

Scores are Decimals with at most two decimals, so 9,5 + 0,25 sums exactly. Total = items + bonus
(capped) − deductions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from .errors import FileInvalid, InvalidInput

# "9,5", "9.5", "7 ,5", "10 điểm", "10đ": ASCII digits only (bot/domain/typed.py).
_NUMBER = re.compile(
    r"^\s*([0-9]{1,4})(?:\s*[.,]\s*([0-9]{1,2}))?\s*(?:điểm|diem|đ)?\s*$",
    re.ASCII | re.IGNORECASE,
)
# One "code = value" (or "code: value") of a line that may hold several, separated by spaces or
# commas: a value ends where the next "code =" begins ("2.1 = 10, 2.2 = 5"; "1.3=9 1.4=8,5").
_ENTRY = re.compile(r"\s*([^\s=:,;]+)\s*[=:]\s*(.*?)\s*(?=[,\s]+[^\s=:,;]+\s*[=:]|$)")
_BETWEEN = re.compile(r"[,\s]*")
ITEM, BONUS, DEDUCTION = "item", "bonus", "deduction"
TIE_BREAKS = ("first_group", "fewer_deductions", "earlier_submission")


class SheetStatus(StrEnum):
    """Where a unit's score sheet stands: draft → submitted → (returned ↔ submitted) → verified."""

    NONE = "none"  # the unit has not started a sheet (listings only, never stored)
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"  # sent back for correction: editable again
    VERIFIED = "verified"

    @property
    def editable(self) -> bool:
        return self in (SheetStatus.DRAFT, SheetStatus.RETURNED)

    @property
    def returnable(self) -> bool:
        """The secretariat may send it back (or a reopened round returns it)."""
        return self in (SheetStatus.SUBMITTED, SheetStatus.VERIFIED)


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

    def typed_criterion(self, code: str) -> Criterion | None:
        """The criterion a person typed, whatever its case ("t.1" for "T.1")."""
        return self.criterion(code) or next(
            (c for c in self.criteria if c.code.casefold() == code.casefold()), None
        )

    def criterion(self, code: str) -> Criterion | None:
        return next((c for c in self.criteria if c.code == code), None)

    def item(self, code: str) -> Criterion:
        """The criterion a card or button names; a code the scale no longer has is stale."""
        found = self.criterion(code)
        if found is None:
            raise InvalidInput("error.stale_button")
        return found


def parse_score(text: str) -> Decimal:
    """'9,5' or '9.5' → Decimal('9.5'); refuses negatives, words, exponents, >2 decimals."""
    match = _NUMBER.match((text or "").lower())  # "10 Điểm"
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
    """'1.1 = 9,5' per line, separated by ';', or several on a line ("2.1 = 10, 2.2 = 5";
    "1.3=9 1.4=8,5"); ':' also accepted; item codes in any case. Every problem listed."""
    scores: dict[str, Decimal] = {}
    problems: list[tuple[str, dict[str, object]]] = []
    for number, line in enumerate(text.replace(";", "\n").splitlines(), start=1):
        if not line.strip():
            continue
        entries = _entries(line)
        if entries is None:
            code = line.partition("=")[0].partition(":")[0].strip()
            problems.append(("score.bulk_unknown", {"line": number, "code": code[:16]}))
            continue
        for typed, value in entries:
            criterion = scale.typed_criterion(typed)
            if criterion is None:
                problems.append(("score.bulk_unknown", {"line": number, "code": typed[:16]}))
                continue
            if criterion.code in scores:  # "1.1 = 9; 1.1 = 8": which one was meant?
                problems.append(("score.bulk_repeated", {"line": number, "code": criterion.code}))
                continue
            try:
                scores[criterion.code] = check_score(criterion, parse_score(value))
            except InvalidInput as error:
                problems.append((error.key, {**error.params, "line": number}))
    if problems:
        raise FileInvalid(problems, "score.bulk_invalid")
    if not scores:
        raise InvalidInput("score.bulk_empty")
    return scores


def items_named(scale: Scale, text: str) -> list[str]:
    """The scale's item codes a text mentions, in the order mentioned ("mục 1.2 thiếu minh
    chứng; b.1 chưa có quyết định" -> ["1.2", "B.1"])."""
    found: list[str] = []
    for word in re.findall(r"[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)+", text, re.ASCII):
        criterion = scale.typed_criterion(word)
        if criterion is not None and criterion.code not in found:
            found.append(criterion.code)
    return found


def is_bulk(text: str) -> bool:
    """Whether typed text names its items ("1.1 = 9,5", "1.1: 20", several lines) rather than
    being one score for the item on the card."""
    return "\n" in text.strip() or "=" in text or _entries(text) is not None


def _entries(line: str) -> list[tuple[str, str]] | None:
    """The (code, value) pairs of one line; None when it is not made of them."""
    found, at = [], 0
    while at < len(line):
        entry = _ENTRY.match(line, at)
        if entry is None:
            return None
        found.append((entry.group(1), entry.group(2)))
        at = _BETWEEN.match(line, entry.end()).end()  # type: ignore[union-attr]
    return found or None


@dataclass(frozen=True)
class RankEntry:
    unit_code: str
    unit_name: str
    total: Decimal
    first_group: Decimal  # tie-break 1: the first (core) group's subtotal
    deductions: Decimal  # tie-break 2: fewer deduction points
    submitted_at: datetime | None  # tie-break 3: earlier submission
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
        if criterion.code in entries:
            problems.append(("score.bulk_repeated", {"line": number, "code": criterion.code}))
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
