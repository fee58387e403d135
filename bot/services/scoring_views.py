"""What the scoring services show: a unit's sheet, the ranking, a verifier's review, the export;
and reading them from the database."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from bot.domain.errors import NotFound
from bot.domain.models import Period, Unit
from bot.domain.policy import Action
from bot.domain.scale_file import parse_scale
from bot.domain.scoring import (
    RankEntry,
    Scale,
    SheetStatus,
    Totals,
    band,
    rank,
    totals,
)
from bot.messages import Reply
from storage.scoring import ScoringRound
from storage.uow import UnitOfWork

from .membership import Caller

SHEET_ROUTE = "/app/score"  # where the web server serves the whole sheet (a Mini App)
SHEETS_ROUTE = "/app/sheets"  # every unit's sheet side by side, read-only

DEFAULT_ROUND = "year-end"


@dataclass(frozen=True)
class SheetView:
    """A unit's score sheet as its representative sees it."""

    round: ScoringRound
    scale: Scale
    status: SheetStatus
    scores: dict[str, Decimal]
    submitted_at: datetime | None
    notes: dict[str, str]
    evidence: dict[str, str]
    unchanged_since_return: bool = False

    @property
    def totals(self) -> Totals:
        return totals(self.scale, self.scores)

    @property
    def editable(self) -> bool:
        return self.status.editable


@dataclass(frozen=True)
class Ranked:
    rank: int
    entry: RankEntry
    band: str


@dataclass(frozen=True)
class Ranking:
    round: ScoringRound
    scale: Scale
    rows: list[Ranked]
    not_submitted: list[str]  # unit codes


@dataclass(frozen=True)
class Difference:
    code: str
    title: str
    own: Decimal | None
    verified: Decimal
    reason: str | None


@dataclass(frozen=True)
class Review:
    """A submitted sheet as the verifier sees it: self scores, verified scores and reasons."""

    round: ScoringRound
    scale: Scale
    unit: Unit
    status: SheetStatus
    own: dict[str, Decimal]
    verified: dict[str, Decimal]
    reasons: dict[str, str]
    sheet_id: int

    @property
    def differences(self) -> list[Difference]:
        return [
            Difference(
                c.code,
                c.title,
                self.own.get(c.code),
                self.verified[c.code],
                self.reasons.get(c.code),
            )
            for c in self.scale.criteria
            if c.code in self.verified and self.verified[c.code] != self.own.get(c.code)
        ]

    @property
    def own_totals(self) -> Totals:
        return totals(self.scale, self.own)

    @property
    def final_totals(self) -> Totals:
        return totals(self.scale, {**self.own, **self.verified})


@dataclass(frozen=True)
class SheetLine:
    unit: Unit
    status: SheetStatus
    total: Decimal | None


@dataclass(frozen=True)
class SheetExport:
    unit: Unit
    status: SheetStatus
    own: dict[str, Decimal]
    verified: dict[str, Decimal]
    reasons: dict[str, str]
    own_total: Decimal
    final_total: Decimal
    notes: dict[str, str]
    evidence: dict[str, str]


@dataclass(frozen=True)
class Export:
    round: ScoringRound
    scale: Scale
    sheets: list[SheetExport]
    ranking: Ranking
    unstarted: tuple[Unit, ...] = ()  # units with no sheet at all


class ScoringNotices(Protocol):
    def verified(self, locale: str, review: Review) -> Reply: ...

    def returned(self, locale: str, round_title: str, reason: str, item: str) -> Reply: ...

    def cross_assigned(self, locale: str, round_title: str, units: list[Unit]) -> Reply: ...

    def sheet_reminder(self, locale: str, round_title: str, unscored: int) -> Reply:
        """The secretariat's nudge to a unit that has not submitted its sheet."""
        ...

    def verification_answer(
        self, locale: str, unit: Unit, accepted: bool, comment: str | None, may_reverify: bool
    ) -> Reply: ...


async def current_round(
    uow: UnitOfWork, cluster_id: int, period: Period | None
) -> tuple[ScoringRound, Scale]:
    rounds = [
        r
        for r in await uow.scoring.rounds(cluster_id)
        if period is not None and r.period_id == period.id
    ]
    if not rounds:
        raise NotFound("score.no_round")
    latest = rounds[-1]
    return latest, scale_of(latest.scale_yaml)


@functools.lru_cache(maxsize=64)
def scale_of(text: str) -> Scale:
    """Each version of a scale is read once (typed scores read it on every entry)."""
    return parse_scale(text)


async def load_sheet(uow: UnitOfWork, by: Caller, now: datetime) -> SheetView:
    """The caller's own unit's sheet in the current round; an empty draft until something is
    saved (reading never writes)."""
    unit = by.for_own_unit(Action.SCORE_OWN_UNIT)
    scoring_round, scale = await current_round(uow, by.cluster.id, by.period)
    row = await uow.scoring.sheet_of(scoring_round.id, unit.id)
    if row is None:
        return SheetView(scoring_round, scale, SheetStatus.DRAFT, {}, None, {}, {})
    stored = await uow.scoring.scores(row.id)
    scores = {code: v for code, v in stored.own.items() if scale.criterion(code)}
    return SheetView(
        scoring_round,
        scale,
        row.status,
        scores,
        row.submitted_at,
        stored.notes,
        stored.evidence,
        row.status == SheetStatus.RETURNED and row.edits_since_return == 0,
    )


async def ranking_of(uow: UnitOfWork, cluster_id: int, period: Period | None) -> Ranking:
    scoring_round, scale = await current_round(uow, cluster_id, period)
    units = {u.id: u for u in await uow.units.in_cluster(cluster_id)}
    entries, done = [], set()
    for sheet in await uow.scoring.sheets(scoring_round.id):
        if sheet.status == SheetStatus.DRAFT:
            continue
        result = totals(scale, (await uow.scoring.scores(sheet.id)).final)
        unit = units[sheet.unit_id]
        done.add(unit.id)
        first = result.by_group.get(scale.groups[0].code, Decimal(0))
        entries.append(
            RankEntry(
                unit.code,
                unit.name,
                result.total,
                first,
                result.deductions,
                sheet.submitted_at,
                sheet.status == SheetStatus.VERIFIED,
            )
        )
    rows = [
        Ranked(r, e, band(e.total, scale.total, scale.bands))
        for r, e in rank(entries, scale.tie_breaks)
    ]
    missing = [u.code for u in units.values() if u.id not in done]
    return Ranking(scoring_round, scale, rows, missing)


async def unit_ranks(uow: UnitOfWork, cluster_id: int) -> dict[int, int]:
    """unit id -> rank in the current round (empty when nothing is ranked yet): the ballot
    count breaks a tie at the cut with it."""
    return {unit: rank for unit, (rank, _) in (await unit_standing(uow, cluster_id)).items()}


async def unit_standing(uow: UnitOfWork, cluster_id: int) -> dict[int, tuple[int, Decimal]]:
    """unit id -> (rank, total) in the current round; empty when nothing is ranked yet."""
    period = await uow.periods.current(cluster_id)
    try:
        ranking = await ranking_of(uow, cluster_id, period)
    except NotFound:
        return {}
    by_code = {u.code: u.id for u in await uow.units.in_cluster(cluster_id)}
    return {by_code[r.entry.unit_code]: (r.rank, r.entry.total) for r in ranking.rows}
