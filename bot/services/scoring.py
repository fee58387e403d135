"""Self-scoring use cases (tự chấm điểm): the secretariat sets a round's scale; a unit fills its
sheet item by item or in bulk, sees the summary and submits; everyone sees the ranking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from bot.clock import Clock
from bot.config import Settings
from bot.domain.errors import Forbidden, InvalidInput, NotFound
from bot.domain.models import Period, Role, Unit
from bot.domain.policy import Action, may
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
from bot.messages import Attachment, Reply
from storage.db import Database
from storage.scoring import ScoringRound
from storage.uow import UnitOfWork

from .membership import Caller
from .recipients import enqueue, members_with, representatives

DEFAULT_ROUND = "year-end"
MAX_EVIDENCE_MB = 20
EDITABLE = ("draft", "returned")


@dataclass(frozen=True)
class SheetView:
    """A unit's score sheet as its representative sees it."""

    round: ScoringRound
    scale: Scale
    status: str  # draft | submitted | returned | verified
    scores: dict[str, Decimal]
    submitted_at: datetime | None
    notes: dict[str, str]
    evidence: dict[str, str]

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
    status: str
    own: dict[str, Decimal]
    verified: dict[str, Decimal]
    reasons: dict[str, str]

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
    status: str  # none | draft | submitted | returned | verified
    total: Decimal | None


@dataclass(frozen=True)
class SheetExport:
    unit: Unit
    status: str
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


class ScoringNotices(Protocol):
    def verified(self, locale: str, review: Review) -> Reply: ...

    def returned(self, locale: str, round_title: str, reason: str) -> Reply: ...

    def cross_assigned(self, locale: str, round_title: str, units: list[Unit]) -> Reply: ...

    def verification_answer(
        self, locale: str, unit: Unit, accepted: bool, comment: str | None
    ) -> Reply: ...


class Scoring:
    def __init__(
        self, db: Database, clock: Clock, settings: Settings, notices: ScoringNotices
    ) -> None:
        self.db, self.clock, self.settings, self.notices = db, clock, settings, notices

    def _locale(self, member) -> str:
        return member.locale or self.settings.default_locale

    async def import_scale(
        self, by: Caller, text: str, key: str | None = None, title: str | None = None
    ) -> tuple[ScoringRound, Scale]:
        """Set the scale of a round of the current period (the file's `round`, else year-end);
        frozen once any unit submitted. The round imported last is the one units score."""
        by.require(Action.IMPORT_CRITERIA)
        scale = parse_scale(text)
        key = key or scale.round or DEFAULT_ROUND
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
            return await self._current(uow, by.cluster.id, by.period)

    async def _current(
        self, uow: UnitOfWork, cluster_id: int, period: Period | None
    ) -> tuple[ScoringRound, Scale]:
        rounds = [
            r
            for r in await uow.scoring.rounds(cluster_id)
            if period is not None and r.period_id == period.id
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
        scoring_round, scale = await self._current(uow, by.cluster.id, by.period)
        row = await uow.scoring.sheet(scoring_round.id, by.member.unit_id, self.clock.now())
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
        )

    async def annotate(
        self, by: Caller, code: str, note: str | None = None, evidence: Attachment | None = None
    ) -> SheetView:
        """A note or an evidence file (minh chứng) for one item of the unit's editable sheet."""
        by.require(Action.SCORE_OWN_UNIT, unit_id=by.member.unit_id)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            view = await self._sheet(uow, by)
            if not view.editable:
                raise InvalidInput("score.read_only")
            if view.scale.criterion(code) is None:
                raise InvalidInput("error.stale_button")
            row = await uow.scoring.sheet(view.round.id, by.member.unit_id, now)
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
            return await self._sheet(uow, by)

    async def set_scores(
        self, by: Caller, typed: dict[str, str | Decimal], notes: dict[str, str] | None = None
    ) -> SheetView:
        """Save one or more scores (and notes); every value is checked before any is stored."""
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
            for code, note in (notes or {}).items():
                if view.scale.criterion(code) is not None:
                    await uow.scoring.set_note(row.id, code, note[:500])
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

    # -- verification (thẩm định) and return -------------------------------------------------

    async def sheet_lines(self, by: Caller) -> list[SheetLine]:
        """Every unit's sheet of the current round, for the verifiers and the secretariat."""
        if not (may(by.roles, Action.VERIFY_SCORES) or may(by.roles, Action.RETURN_SHEET)):
            raise Forbidden()
        async with UnitOfWork(self.db) as uow:
            scoring_round, scale = await self._current(uow, by.cluster.id, by.period)
            sheets = {s.unit_id: s for s in await uow.scoring.sheets(scoring_round.id)}
            lines = []
            for unit in await uow.units.in_cluster(by.cluster.id):
                sheet = sheets.get(unit.id)
                if sheet is None:
                    lines.append(SheetLine(unit, "none", None))
                    continue
                stored = await uow.scoring.scores(sheet.id)
                lines.append(SheetLine(unit, sheet.status, totals(scale, stored.own).total))
            return lines

    async def to_verify(self, by: Caller) -> list[SheetLine]:
        """The sheets this member may verify: every unit's for the chair and vice chair, the
        assigned ones for a cross-scoring unit; never the member's own unit."""
        if not (may(by.roles, Action.VERIFY_SCORES) or may(by.roles, Action.CROSS_SCORE)):
            raise Forbidden()
        async with UnitOfWork(self.db) as uow:
            scoring_round, scale = await self._current(uow, by.cluster.id, by.period)
            assigned = await uow.scoring.cross_scoring(scoring_round.id)
            lines = []
            for sheet in await uow.scoring.sheets(scoring_round.id):
                if sheet.unit_id == by.member.unit_id or not (
                    may(by.roles, Action.VERIFY_SCORES)
                    or assigned.get(sheet.unit_id) == by.member.unit_id
                ):
                    continue
                stored = await uow.scoring.scores(sheet.id)
                lines.append(
                    SheetLine(
                        await uow.units.get(sheet.unit_id),
                        sheet.status,
                        totals(scale, stored.own).total,
                    )
                )
            return sorted(lines, key=lambda line: line.unit.id)

    async def cross_scoring(self, by: Caller) -> list[tuple[Unit, Unit | None]]:
        by.require(Action.ASSIGN_VERIFIERS)
        async with UnitOfWork(self.db) as uow:
            scoring_round, _ = await self._current(uow, by.cluster.id, by.period)
            assigned = await uow.scoring.cross_scoring(scoring_round.id)
            units = {u.id: u for u in await uow.units.in_cluster(by.cluster.id)}
            return [(u, units.get(assigned.get(u.id))) for u in units.values()]

    async def assign_cross_scoring(
        self, by: Caller, pairs: dict[str, str] | None = None
    ) -> list[tuple[Unit, Unit | None]]:
        """Who verifies whom: `pairs` maps a unit code to its verifier's code; None rotates
        (each unit is verified by the next one in the list, the last by the first)."""
        by.require(Action.ASSIGN_VERIFIERS)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            scoring_round, _ = await self._current(uow, by.cluster.id, by.period)
            units = await uow.units.in_cluster(by.cluster.id)
            by_code = {u.code: u for u in units}
            if pairs is None:
                mapping = {u.id: units[(i + 1) % len(units)].id for i, u in enumerate(units)}
            else:
                unknown = [c for pair in pairs.items() for c in pair if c not in by_code]
                if unknown:
                    raise InvalidInput("deadline.unknown_units", codes=", ".join(unknown))
                if any(unit == verifier for unit, verifier in pairs.items()):
                    raise InvalidInput("verify.own_unit")
                mapping = {
                    **await uow.scoring.cross_scoring(scoring_round.id),
                    **{by_code[u].id: by_code[v].id for u, v in pairs.items()},
                }
            await uow.scoring.set_cross_scoring(scoring_round.id, mapping)
            names = {u.id: u for u in units}
            for verifier_id in set(mapping.values()):
                targets = [names[u] for u, v in mapping.items() if v == verifier_id]
                for member in await representatives(uow, verifier_id):
                    reply = self.notices.cross_assigned(
                        self._locale(member), scoring_round.title, targets
                    )
                    await enqueue(
                        uow,
                        f"cross:{scoring_round.id}:{now.isoformat()}:{member.id}",
                        member,
                        reply,
                        now,
                        f"round:{scoring_round.id}",
                    )
            await uow.audit.record(
                now,
                "cross_scoring.assigned",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=scoring_round.key,
                detail={str(k): v for k, v in mapping.items()},
            )
        return await self.cross_scoring(by)

    async def review(self, by: Caller, unit_id: int) -> Review:
        async with UnitOfWork(self.db) as uow:
            return await self._review(uow, by, unit_id)

    async def _review(self, uow: UnitOfWork, by: Caller, unit_id: int) -> Review:
        if unit_id == by.member.unit_id:  # the chair's own sheet goes to the vice chair
            raise InvalidInput("verify.own_unit")
        scoring_round, scale = await self._current(uow, by.cluster.id, by.period)
        if not may(by.roles, Action.VERIFY_SCORES):
            assigned = await uow.scoring.cross_scoring(scoring_round.id)
            if not may(by.roles, Action.CROSS_SCORE) or assigned.get(unit_id) != by.member.unit_id:
                raise Forbidden()
        unit = await uow.units.get(unit_id)
        sheet = await uow.scoring.sheet_of(scoring_round.id, unit_id) if unit else None
        if unit is None or unit.cluster_id != by.cluster.id or sheet is None:
            raise NotFound("verify.no_sheet")
        stored = await uow.scoring.scores(sheet.id)
        return Review(
            scoring_round, scale, unit, sheet.status, stored.own, stored.verified, stored.reasons
        )

    async def set_verified(
        self, by: Caller, unit_id: int, entries: dict[str, tuple[Decimal, str | None]]
    ) -> Review:
        """Verified scores for some items; a changed score needs a reason."""
        async with UnitOfWork(self.db) as uow:
            review = await self._review(uow, by, unit_id)
            if review.status != "submitted":
                raise InvalidInput("verify.not_submitted", unit=review.unit.code)
            for code, (value, reason) in entries.items():
                if value != review.own.get(code) and not reason:
                    raise InvalidInput("verify.reason_needed", code=code)
            sheet = await uow.scoring.sheet_of(review.round.id, unit_id)
            for code, (value, reason) in entries.items():
                await uow.scoring.set_verified(sheet.id, code, str(value), reason)
            await uow.audit.record(
                self.clock.now(),
                "sheet.verified_items",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=review.unit.code,
                detail={"items": sorted(entries)},
            )
            return await self._review(uow, by, unit_id)

    async def finish_verification(self, by: Caller, unit_id: int) -> Review:
        """Close the verification: the sheet counts with its verified scores, and the unit's
        representatives see the differences and may accept or comment."""
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            review = await self._review(uow, by, unit_id)
            if review.status != "submitted":
                raise InvalidInput("verify.not_submitted", unit=review.unit.code)
            sheet = await uow.scoring.sheet_of(review.round.id, unit_id)
            await uow.scoring.set_status(sheet.id, "verified", now)
            review = await self._review(uow, by, unit_id)
            for member in await representatives(uow, unit_id):
                await enqueue(
                    uow,
                    f"verified:{sheet.id}:{member.id}",
                    member,
                    self.notices.verified(self._locale(member), review),
                    now,
                    f"sheet:{sheet.id}",
                )
            await uow.audit.record(
                now,
                "sheet.verified",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=review.unit.code,
                detail={"total": str(review.final_totals.total)},
            )
            return review

    async def answer_verification(
        self, by: Caller, accepted: bool, comment: str | None = None
    ) -> None:
        """The unit accepts the verified scores or comments on them; the secretariat is told."""
        by.require(Action.SCORE_OWN_UNIT, unit_id=by.member.unit_id)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            view = await self._sheet(uow, by)
            if view.status != "verified":
                raise InvalidInput("verify.nothing_to_answer")
            for member in await members_with(uow, by.cluster.id, Role.SECRETARIAT):
                reply = self.notices.verification_answer(
                    self._locale(member), by.unit, accepted, comment
                )
                await enqueue(
                    uow,
                    f"verify-answer:{by.member.id}:{now.isoformat()}:{member.id}",
                    member,
                    reply,
                    now,
                    f"unit:{by.unit.id}",
                )
            await uow.audit.record(
                now,
                "sheet.verification_answered",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=by.unit.code,
                detail={"accepted": accepted, "comment": comment},
            )

    async def _return(
        self, uow: UnitOfWork, sheet, scoring_round: ScoringRound, reason: str, now: datetime
    ) -> None:
        """Back to the unit for correction: verification cleared, representatives told why."""
        await uow.scoring.set_status(sheet.id, "returned", now)
        await uow.scoring.clear_verified(sheet.id)
        for member in await representatives(uow, sheet.unit_id):
            reply = self.notices.returned(self._locale(member), scoring_round.title, reason)
            await enqueue(
                uow,
                f"returned:{sheet.id}:{now.isoformat()}:{member.id}",
                member,
                reply,
                now,
                f"sheet:{sheet.id}",
            )

    async def return_sheet(self, by: Caller, unit_id: int, reason: str) -> SheetLine:
        """The secretariat returns a submitted or verified sheet for correction."""
        by.require(Action.RETURN_SHEET)
        reason = " ".join(reason.split())[:300]
        if not reason:
            raise InvalidInput("verify.reason_needed", code="–")
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            scoring_round, _ = await self._current(uow, by.cluster.id, by.period)
            unit = await uow.units.get(unit_id)
            sheet = await uow.scoring.sheet_of(scoring_round.id, unit_id) if unit else None
            if sheet is None or unit.cluster_id != by.cluster.id:
                raise NotFound("verify.no_sheet")
            if sheet.status not in ("submitted", "verified"):
                raise InvalidInput("verify.not_submitted", unit=unit.code)
            await self._return(uow, sheet, scoring_round, reason, now)
            await uow.audit.record(
                now,
                "sheet.returned",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=unit.code,
                detail={"reason": reason},
            )
            return SheetLine(unit, "returned", None)

    async def export(self, by: Caller) -> Export:
        """Everything the secretariat's workbook shows, for units that have a sheet."""
        by.require(Action.EXPORT)
        ranking = await self.ranking(by)
        async with UnitOfWork(self.db) as uow:
            scoring_round, scale = await self._current(uow, by.cluster.id, by.period)
            sheets = []
            for unit in await uow.units.in_cluster(by.cluster.id):
                row = await uow.scoring.sheet_of(scoring_round.id, unit.id)
                if row is None:
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
        return Export(scoring_round, scale, sheets, ranking)

    async def reopen_round(self, by: Caller, reason: str) -> int:
        """Reopen the current round so a new version of its scale can be imported: every
        submitted or verified sheet is returned (scores kept, verification cleared) and its unit
        told why. Returns how many sheets were returned."""
        by.require(Action.IMPORT_CRITERIA)
        reason = " ".join(reason.split())[:300]
        if not reason:
            raise InvalidInput("verify.reason_needed", code="–")
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            scoring_round, _ = await self._current(uow, by.cluster.id, by.period)
            returned = 0
            for sheet in await uow.scoring.sheets(scoring_round.id):
                if sheet.status in ("submitted", "verified"):
                    await self._return(uow, sheet, scoring_round, reason, now)
                    returned += 1
            await uow.audit.record(
                now,
                "round.reopened",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=scoring_round.key,
                detail={"returned": returned, "reason": reason},
            )
            return returned

    async def ranking(self, by: Caller) -> Ranking:
        by.require(Action.VIEW_RANKING)
        async with UnitOfWork(self.db) as uow:
            return await self._ranking(uow, by.cluster.id, by.period)

    async def unit_ranks(self, uow: UnitOfWork, cluster_id: int) -> dict[int, int]:
        """unit id -> rank in the current round (empty when nothing is ranked yet): the ballot
        count breaks a tie at the cut with it."""
        period = await uow.periods.current(cluster_id)
        try:
            ranking = await self._ranking(uow, cluster_id, period)
        except NotFound:
            return {}
        by_code = {u.code: u.id for u in await uow.units.in_cluster(cluster_id)}
        return {by_code[r.entry.unit_code]: r.rank for r in ranking.rows}

    async def _ranking(self, uow: UnitOfWork, cluster_id: int, period: Period | None) -> Ranking:
        scoring_round, scale = await self._current(uow, cluster_id, period)
        units = {u.id: u for u in await uow.units.in_cluster(cluster_id)}
        entries, done = [], set()
        for sheet in await uow.scoring.sheets(scoring_round.id):
            if sheet.status == "draft":
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
                    sheet.status == "verified",
                )
            )
        rows = [
            Ranked(r, e, band(e.total, scale.total, scale.bands))
            for r, e in rank(entries, scale.tie_breaks)
        ]
        missing = [u.code for u in units.values() if u.id not in done]
        return Ranking(scoring_round, scale, rows, missing)
