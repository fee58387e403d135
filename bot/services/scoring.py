"""Self-scoring use cases (tự chấm điểm): the secretariat sets a round's scale; a unit fills its
sheet item by item or in bulk, sees the summary and submits; everyone sees the ranking; the
secretariat exports the workbook."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from decimal import Decimal

from bot.clock import Clock
from bot.config import Settings
from bot.domain.errors import InvalidInput
from bot.domain.policy import Action
from bot.domain.scale_file import parse_scale
from bot.domain.scoring import (
    Scale,
    SheetStatus,
    check_score,
    parse_score,
    totals,
)
from bot.messages import Attachment
from storage.db import Database
from storage.scoring import ScoringRound
from storage.uow import UnitOfWork

from .membership import Caller
from .scoring_views import (
    DEFAULT_ROUND,
    Export,
    Ranking,
    ScoringNotices,
    SheetExport,
    SheetView,
    current_round,
    load_sheet,
    ranking_of,
)

MAX_EVIDENCE_MB = 20


class Scoring:
    def __init__(
        self, db: Database, clock: Clock, settings: Settings, notices: ScoringNotices
    ) -> None:
        self.db, self.clock, self.settings, self.notices = db, clock, settings, notices

    async def import_scale(
        self, by: Caller, text: str, key: str | None = None, title: str | None = None
    ) -> tuple[ScoringRound, Scale]:
        """Set the scale of a round of the current period (the file's `round`, else year-end);
        frozen once any unit submitted. The round imported last is the one units score."""
        by.require(Action.IMPORT_CRITERIA)
        scale = await asyncio.to_thread(parse_scale, text)  # other chats go on meanwhile
        key = key or scale.round or DEFAULT_ROUND
        if by.period is None:
            raise InvalidInput("score.no_period")
        async with UnitOfWork(self.db) as uow:
            existing = await uow.scoring.round_by_key(by.period.id, key)
            if existing and await uow.scoring.any_submitted(existing.id):
                raise InvalidInput("scale.frozen", round=existing.title)
            saved = await uow.scoring.save_round(
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
            return saved, scale

    async def current(self, by: Caller) -> tuple[ScoringRound, Scale]:
        by.require(Action.VIEW_CRITERIA)
        async with UnitOfWork(self.db) as uow:
            return await current_round(uow, by.cluster.id, by.period)

    async def sheet(self, by: Caller) -> SheetView:
        async with UnitOfWork(self.db) as uow:
            return await load_sheet(uow, by, self.clock.now())

    async def annotate(
        self, by: Caller, code: str, note: str | None = None, evidence: Attachment | None = None
    ) -> SheetView:
        """A note or an evidence file (minh chứng) for one item of the unit's editable sheet."""
        unit = by.for_own_unit(Action.SCORE_OWN_UNIT)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            view = await load_sheet(uow, by, self.clock.now())
            if not view.editable:
                raise InvalidInput("score.read_only")
            if view.scale.criterion(code) is None:
                raise InvalidInput("error.stale_button")
            row = await uow.scoring.sheet(view.round.id, unit.id, now)
            if note is not None:
                await uow.scoring.set_note(row.id, code, " ".join(note.split())[:500] or None)
            if evidence is not None:
                if not evidence.data or evidence.byte_size > MAX_EVIDENCE_MB * 1024 * 1024:
                    raise InvalidInput("import.too_large", limit=MAX_EVIDENCE_MB * 1024)
                file_id = await uow.files.add(
                    evidence.file_name, evidence.mime_type, evidence.data, now
                )
                await uow.scoring.set_evidence(row.id, code, file_id)
            await uow.audit.record(
                now,
                "sheet.annotated",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=code,
                detail={
                    "note": note is not None,
                    "evidence": evidence.file_name if evidence else None,
                },
            )
            return await load_sheet(uow, by, self.clock.now())

    async def set_scores(
        self,
        by: Caller,
        typed: Mapping[str, str | Decimal],
        notes: Mapping[str, str] | None = None,
    ) -> SheetView:
        """Save one or more scores (and notes); every value is checked before any is stored."""
        unit = by.for_own_unit(Action.SCORE_OWN_UNIT)
        async with UnitOfWork(self.db) as uow:
            view = await load_sheet(uow, by, self.clock.now())
            if not view.editable:
                raise InvalidInput("score.read_only")
            checked = {}
            for code, value in typed.items():
                criterion = view.scale.criterion(code)
                if criterion is None:
                    raise InvalidInput("score.bulk_unknown", line=1, code=code)
                number = value if isinstance(value, Decimal) else parse_score(value)
                checked[code] = check_score(criterion, number)
            row = await uow.scoring.sheet(view.round.id, unit.id, self.clock.now())
            for code, number in checked.items():
                await uow.scoring.set_score(row.id, code, str(number), self.clock.now())
            for code, note in (notes or {}).items():
                if view.scale.criterion(code) is not None:
                    await uow.scoring.set_note(row.id, code, note[:500])
            return await load_sheet(uow, by, self.clock.now())

    async def submit(self, by: Caller) -> SheetView:
        unit = by.for_own_unit(Action.SCORE_OWN_UNIT)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            view = await load_sheet(uow, by, self.clock.now())
            if not view.editable:
                raise InvalidInput("score.read_only")
            missing = view.totals.missing
            if missing:
                raise InvalidInput(
                    "score.incomplete", count=len(missing), codes=", ".join(missing[:10])
                )
            row = await uow.scoring.sheet(view.round.id, unit.id, now)
            await uow.scoring.set_status(row.id, SheetStatus.SUBMITTED, now, submitted=True)
            # Deadlines linked to this round are done the moment the sheet is in.
            for deadline in await uow.deadlines.open_for_round(by.cluster.id, view.round.key):
                if unit.id in deadline.unit_ids:
                    await uow.deadlines.complete(deadline.id, unit.id, by.member.id, now)
            await uow.audit.record(
                now,
                "sheet.submitted",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=view.round.key,
                detail={"unit_id": unit.id, "total": str(view.totals.total)},
            )
            return await load_sheet(uow, by, self.clock.now())

    async def ranking(self, by: Caller) -> Ranking:
        by.require(Action.VIEW_RANKING)
        async with UnitOfWork(self.db) as uow:
            return await ranking_of(uow, by.cluster.id, by.period)

    async def export(self, by: Caller) -> Export:
        """Everything the secretariat's workbook shows, for units that have a sheet."""
        by.require(Action.EXPORT)
        return await self._sheets(by)

    async def side_by_side(self, by: Caller) -> Export:
        """Every unit's sheet, for those who follow the round (/sheets on the web): read-only."""
        by.require(Action.VIEW_SHEETS)
        return await self._sheets(by)

    async def _sheets(self, by: Caller) -> Export:
        ranking = await self.ranking(by)
        async with UnitOfWork(self.db) as uow:
            scoring_round, scale = await current_round(uow, by.cluster.id, by.period)
            sheets, unstarted = [], []
            for unit in await uow.units.in_cluster(by.cluster.id):
                row = await uow.scoring.sheet_of(scoring_round.id, unit.id)
                if row is None:
                    unstarted.append(unit)
                    continue
                stored = await uow.scoring.scores(row.id)
                sheets.append(
                    SheetExport(
                        unit,
                        row.status,
                        stored.own,
                        stored.verified,
                        stored.reasons,
                        totals(scale, stored.own).total,
                        totals(scale, stored.final).total,
                        stored.notes,
                        stored.evidence,
                    )
                )
        return Export(scoring_round, scale, sheets, ranking, tuple(unstarted))
