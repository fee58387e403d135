"""Self-scoring use cases (tự chấm điểm): the secretariat sets a round's scale; a unit fills its
sheet item by item or in bulk, sees the summary and submits; everyone sees the ranking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.config import Settings
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.policy import Action
from bot.domain.scoring import (
    RankEntry,
    Scale,
    Totals,
    band,
    check_score,
    parse_scale,
    parse_score,
    rank,
    totals,
)
from scheduler.clock import Clock
from storage.db import Database
from storage.repositories import ScoringRound, UnitOfWork

from .membership import Caller

DEFAULT_ROUND = "year-end"
EDITABLE = ("draft", "returned")


@dataclass(frozen=True)
class SheetView:
    """A unit's score sheet as its representative sees it."""

    round: ScoringRound
    scale: Scale
    status: str  # draft | submitted | returned | verified
    scores: dict[str, Decimal]
    submitted_at: datetime | None

    @property
    def totals(self) -> Totals:
        return totals(self.scale, self.scores)

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE


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


class Scoring:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db, self.clock, self.settings = db, clock, settings

    async def import_scale(
        self, by: Caller, text: str, key: str = DEFAULT_ROUND, title: str | None = None
    ) -> tuple[ScoringRound, Scale]:
        """Set the scale of a round of the current period; frozen once any unit submitted."""
        by.require(Action.IMPORT_CRITERIA)
        scale = parse_scale(text)
        if by.period is None:
            raise InvalidInput("score.no_period")
        async with UnitOfWork(self.db) as uow:
            existing = await uow.scoring.round_by_key(by.period.id, key)
            if existing and await uow.scoring.any_submitted(existing.id):
                raise InvalidInput("scale.frozen", round=existing.title)
            await uow.scoring.save_round(
                by.cluster.id, by.period.id, key, title or scale.name or key, text, self.clock.now()
            )
            await uow.audit.record(
                self.clock.now(),
                "scale.imported",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=key,
                detail={"criteria": len(scale.criteria)},
            )
            return await uow.scoring.round_by_key(by.period.id, key), scale

    async def current(self, by: Caller) -> tuple[ScoringRound, Scale]:
        by.require(Action.VIEW_CRITERIA)
        async with UnitOfWork(self.db) as uow:
            return await self._current(uow, by)

    async def _current(self, uow: UnitOfWork, by: Caller) -> tuple[ScoringRound, Scale]:
        rounds = [
            r
            for r in await uow.scoring.rounds(by.cluster.id)
            if by.period is not None and r.period_id == by.period.id
        ]
        if not rounds:
            raise NotFound("score.no_round")
        latest = rounds[-1]
        return latest, parse_scale(latest.scale_yaml)

    async def sheet(self, by: Caller) -> SheetView:
        by.require(Action.SCORE_OWN_UNIT, unit_id=by.member.unit_id)
        async with UnitOfWork(self.db) as uow:
            return await self._sheet(uow, by)

    async def _sheet(self, uow: UnitOfWork, by: Caller) -> SheetView:
        scoring_round, scale = await self._current(uow, by)
        row = await uow.scoring.sheet(scoring_round.id, by.member.unit_id, self.clock.now())
        stored = await uow.scoring.scores(row.id)
        scores = {
            code: Decimal(v["self_value"])
            for code, v in stored.items()
            if v["self_value"] is not None and scale.criterion(code)
        }
        return SheetView(scoring_round, scale, row.status, scores, row.submitted_at)

    async def set_scores(self, by: Caller, typed: dict[str, str | Decimal]) -> SheetView:
        """Save one or more scores; every value is checked before any is stored."""
        by.require(Action.SCORE_OWN_UNIT, unit_id=by.member.unit_id)
        async with UnitOfWork(self.db) as uow:
            view = await self._sheet(uow, by)
            if not view.editable:
                raise InvalidInput("score.read_only")
            checked = {}
            for code, value in typed.items():
                criterion = view.scale.criterion(code)
                if criterion is None:
                    raise InvalidInput("score.bulk_unknown", line=1, code=code)
                number = value if isinstance(value, Decimal) else parse_score(value)
                checked[code] = check_score(criterion, number)
            row = await uow.scoring.sheet(view.round.id, by.member.unit_id, self.clock.now())
            for code, number in checked.items():
                await uow.scoring.set_score(row.id, code, str(number), self.clock.now())
            return await self._sheet(uow, by)

    async def submit(self, by: Caller) -> SheetView:
        by.require(Action.SCORE_OWN_UNIT, unit_id=by.member.unit_id)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            view = await self._sheet(uow, by)
            if not view.editable:
                raise InvalidInput("score.read_only")
            missing = view.totals.missing
            if missing:
                raise InvalidInput(
                    "score.incomplete", count=len(missing), codes=", ".join(missing[:10])
                )
            row = await uow.scoring.sheet(view.round.id, by.member.unit_id, now)
            await uow.scoring.set_status(row.id, "submitted", now, submitted=True)
            # Deadlines linked to this round are done the moment the sheet is in.
            for deadline in await uow.deadlines.open_for_round(by.cluster.id, view.round.key):
                if by.member.unit_id in deadline.unit_ids:
                    await uow.deadlines.complete(deadline.id, by.member.unit_id, by.member.id, now)
            await uow.audit.record(
                now,
                "sheet.submitted",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=view.round.key,
                detail={"unit_id": by.member.unit_id, "total": str(view.totals.total)},
            )
            return await self._sheet(uow, by)

    async def ranking(self, by: Caller) -> Ranking:
        by.require(Action.VIEW_RANKING)
        async with UnitOfWork(self.db) as uow:
            scoring_round, scale = await self._current(uow, by)
            units = {u.id: u for u in await uow.units.in_cluster(by.cluster.id)}
            entries, done = [], set()
            for sheet in await uow.scoring.sheets(scoring_round.id):
                if sheet.status == "draft":
                    continue
                stored = await uow.scoring.scores(sheet.id)
                verified = {
                    c: Decimal(v["verified_value"])
                    for c, v in stored.items()
                    if v["verified_value"] is not None
                }
                own = {
                    c: Decimal(v["self_value"])
                    for c, v in stored.items()
                    if v["self_value"] is not None
                }
                result = totals(scale, {**own, **verified})
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
                        sheet.status == "verified",
                    )
                )
        rows = [Ranked(r, e, band(e.total, scale.total)) for r, e in rank(entries)]
        missing = [u.code for u in units.values() if u.id not in done]
        return Ranking(scoring_round, scale, rows, missing)
