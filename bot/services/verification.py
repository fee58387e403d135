"""Verification (thẩm định) and cross-scoring (chấm chéo): the chair, vice chair or an assigned
unit verifies a submitted sheet item by item with reasons; the unit accepts or comments; the
secretariat returns a sheet, or reopens the whole round, for correction."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from bot.clock import Clock
from bot.config import Settings
from bot.domain.errors import Forbidden, InvalidInput, NotFound
from bot.domain.models import Role, Unit
from bot.domain.policy import Action, may
from bot.domain.scoring import (
    Scale,
    SheetStatus,
    items_named,
    totals,
)
from storage.db import Database
from storage.scoring import ScoringRound
from storage.uow import UnitOfWork

from .deadlines import after_quiet_hours
from .membership import Caller
from .recipients import enqueue, locale_of, members_with, representatives
from .scoring_views import (
    Review,
    ScoringNotices,
    SheetLine,
    current_round,
    load_sheet,
)


class Verification:
    def __init__(
        self, db: Database, clock: Clock, settings: Settings, notices: ScoringNotices
    ) -> None:
        self.db, self.clock, self.settings, self.notices = db, clock, settings, notices

    async def sheet_lines(self, by: Caller) -> list[SheetLine]:
        """Every unit's sheet of the current round, for the verifiers and the secretariat."""
        by.require(Action.VIEW_SHEETS)
        async with UnitOfWork(self.db) as uow:
            scoring_round, scale = await current_round(uow, by.cluster.id, by.period)
            sheets = {s.unit_id: s for s in await uow.scoring.sheets(scoring_round.id)}
            lines = []
            for unit in await uow.units.in_cluster(by.cluster.id):
                sheet = sheets.get(unit.id)
                if sheet is None:
                    lines.append(SheetLine(unit, SheetStatus.NONE, None))
                    continue
                stored = await uow.scoring.scores(sheet.id)
                lines.append(SheetLine(unit, sheet.status, totals(scale, stored.own).total))
            return lines

    async def nudge_unsubmitted(self, by: Caller) -> list[Unit]:
        """Remind now every unit whose sheet is not submitted (none, draft or returned), each
        told how many items it still has to score; returns the units reminded."""
        by.require(Action.RETURN_SHEET)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            scoring_round, scale = await current_round(uow, by.cluster.id, by.period)
            sheets = {s.unit_id: s for s in await uow.scoring.sheets(scoring_round.id)}
            reminded = []
            for unit in await uow.units.in_cluster(by.cluster.id):
                sheet = sheets.get(unit.id)
                if sheet is not None and not sheet.status.editable:
                    continue
                scores = (await uow.scoring.scores(sheet.id)).own if sheet else {}
                unscored = len(totals(scale, scores).missing)
                for member in await representatives(uow, unit.id):
                    reply = self.notices.sheet_reminder(
                        locale_of(self.settings, member), scoring_round.title, unscored
                    )
                    await enqueue(
                        uow,
                        f"sheetnudge:{scoring_round.id}:{now.isoformat()}:{member.id}",
                        member,
                        reply,
                        now,
                        f"unit:{unit.id}",
                        not_before=after_quiet_hours(now, by.cluster.timezone),
                    )
                reminded.append(unit)
            if not reminded:
                raise InvalidInput("sheet.all_submitted")
            await uow.audit.record(
                now,
                "sheet.nudged",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(scoring_round.id),
                detail={"units": [u.code for u in reminded]},
            )
            return reminded

    async def to_verify(self, by: Caller) -> list[SheetLine]:
        """The sheets this member may verify: every unit's for the chair and vice chair, the
        assigned ones for a cross-scoring unit; never the member's own unit."""
        if not (may(by.roles, Action.VERIFY_SCORES) or may(by.roles, Action.CROSS_SCORE)):
            raise Forbidden()
        async with UnitOfWork(self.db) as uow:
            scoring_round, scale = await current_round(uow, by.cluster.id, by.period)
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
                        await uow.units.one(sheet.unit_id),
                        sheet.status,
                        totals(scale, stored.own).total,
                    )
                )
            return sorted(lines, key=lambda line: line.unit.id)

    async def cross_scoring(self, by: Caller) -> list[tuple[Unit, Unit | None]]:
        by.require(Action.ASSIGN_VERIFIERS)
        async with UnitOfWork(self.db) as uow:
            scoring_round, _ = await current_round(uow, by.cluster.id, by.period)
            assigned = await uow.scoring.cross_scoring(scoring_round.id)
            units = {u.id: u for u in await uow.units.in_cluster(by.cluster.id)}
            return [(u, units.get(assigned.get(u.id, 0))) for u in units.values()]

    async def assign_cross_scoring(
        self, by: Caller, pairs: dict[str, str] | None = None
    ) -> list[tuple[Unit, Unit | None]]:
        """Who verifies whom: `pairs` maps a unit code to its verifier's code; None rotates
        (each unit is verified by the next one in the list, the last by the first)."""
        by.require(Action.ASSIGN_VERIFIERS)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            scoring_round, _ = await current_round(uow, by.cluster.id, by.period)
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
                        locale_of(self.settings, member), scoring_round.title, targets
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
        scoring_round, scale = await current_round(uow, by.cluster.id, by.period)
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
            scoring_round,
            scale,
            unit,
            sheet.status,
            stored.own,
            stored.verified,
            stored.reasons,
            sheet.id,
        )

    async def set_verified(
        self, by: Caller, unit_id: int, entries: dict[str, tuple[Decimal, str | None]]
    ) -> Review:
        """Verified scores for some items; a changed score needs a reason."""
        async with UnitOfWork(self.db) as uow:
            review = await self._review(uow, by, unit_id)
            if review.status != SheetStatus.SUBMITTED:
                raise InvalidInput("verify.not_submitted", unit=review.unit.code)
            for code, (value, reason) in entries.items():
                if value != review.own.get(code) and not reason:
                    raise InvalidInput("verify.reason_needed", code=code)
            for code, (value, reason) in entries.items():
                await uow.scoring.set_verified(review.sheet_id, code, str(value), reason)
            await uow.audit.record(
                self.clock.now(),
                "sheet.verified_items",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=review.unit.code,
                detail={"items": sorted(entries)},
            )
            return await self._review(uow, by, unit_id)

    async def reopen_verification(self, by: Caller, unit_id: int) -> Review:
        """A verifier takes a verified sheet up again (after the unit's comment): it counts as
        submitted until finished again; the verified scores so far are kept."""
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            review = await self._review(uow, by, unit_id)
            if review.status == SheetStatus.VERIFIED:
                await uow.scoring.set_status(review.sheet_id, SheetStatus.SUBMITTED, now)
                await uow.audit.record(
                    now,
                    "sheet.verification_reopened",
                    cluster_id=by.cluster.id,
                    actor=by.actor,
                    subject=review.unit.code,
                )
                review = await self._review(uow, by, unit_id)
            return review

    async def finish_verification(self, by: Caller, unit_id: int) -> Review:
        """Close the verification: the sheet counts with its verified scores, and the unit's
        representatives see the differences and may accept or comment."""
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            review = await self._review(uow, by, unit_id)
            if review.status != SheetStatus.SUBMITTED:
                raise InvalidInput("verify.not_submitted", unit=review.unit.code)
            sheet_id = review.sheet_id
            await uow.scoring.set_status(sheet_id, SheetStatus.VERIFIED, now)
            review = await self._review(uow, by, unit_id)
            for member in await representatives(uow, unit_id):
                await enqueue(
                    uow,
                    f"verified:{sheet_id}:{now.isoformat()}:{member.id}",
                    member,
                    self.notices.verified(locale_of(self.settings, member), review),
                    now,
                    f"sheet:{sheet_id}",
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
        """The unit accepts the verified scores or comments on them; the secretariat is told, and
        so are those who may verify the sheet, with the way back to it."""
        unit = by.for_own_unit(Action.SCORE_OWN_UNIT)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            view = await load_sheet(uow, by, self.clock.now())
            if view.status != SheetStatus.VERIFIED:
                raise InvalidInput("verify.nothing_to_answer")
            secretariat = await members_with(uow, by.cluster.id, Role.SECRETARIAT)
            verifiers = await _verifiers_of(uow, by, view.round.id, unit.id)
            told = {m.id: (m, False) for m in secretariat}
            told |= {m.id: (m, True) for m in verifiers}
            for member, may_reverify in told.values():
                reply = self.notices.verification_answer(
                    locale_of(self.settings, member), unit, accepted, comment, may_reverify
                )
                await enqueue(
                    uow,
                    f"verify-answer:{by.member.id}:{now.isoformat()}:{member.id}",
                    member,
                    reply,
                    now,
                    f"unit:{unit.id}",
                )
            await uow.audit.record(
                now,
                "sheet.verification_answered",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=unit.code,
                detail={"accepted": accepted, "comment": comment},
            )

    async def _return(
        self,
        uow: UnitOfWork,
        sheet,
        scoring_round: ScoringRound,
        scale: Scale,
        reason: str,
        now: datetime,
    ) -> None:
        """Back to the unit for correction: verification cleared, representatives told why and
        offered the first item the reason names (or the sheet's first item)."""
        where = items_named(scale, reason)[:1] or [scale.criteria[0].code]
        await uow.scoring.set_status(sheet.id, SheetStatus.RETURNED, now)
        await uow.scoring.clear_verified(sheet.id)
        for member in await representatives(uow, sheet.unit_id):
            reply = self.notices.returned(
                locale_of(self.settings, member), scoring_round.title, reason, where[0]
            )
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
            scoring_round, scale = await current_round(uow, by.cluster.id, by.period)
            unit = await uow.units.get(unit_id)
            if unit is None or unit.cluster_id != by.cluster.id:
                raise NotFound("verify.no_sheet")
            sheet = await uow.scoring.sheet_of(scoring_round.id, unit_id)
            if sheet is None:
                raise NotFound("verify.no_sheet")
            if not sheet.status.returnable:
                raise InvalidInput("verify.not_submitted", unit=unit.code)
            await self._return(uow, sheet, scoring_round, scale, reason, now)
            await uow.audit.record(
                now,
                "sheet.returned",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=unit.code,
                detail={"reason": reason},
            )
            return SheetLine(unit, SheetStatus.RETURNED, None)

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
            scoring_round, scale = await current_round(uow, by.cluster.id, by.period)
            returned = 0
            for sheet in await uow.scoring.sheets(scoring_round.id):
                if sheet.status.returnable:
                    await self._return(uow, sheet, scoring_round, scale, reason, now)
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


async def _verifiers_of(uow: UnitOfWork, by: Caller, round_id: int, unit_id: int) -> list:
    """The representatives who may verify a unit's sheet: the chair's and vice chair's units
    (never the unit itself) and the unit assigned to cross-score it."""
    period = by.period
    candidates = [period.chair_unit_id, period.vice_chair_unit_id] if period else []
    candidates.append((await uow.scoring.cross_scoring(round_id)).get(unit_id))
    units = sorted({u for u in candidates if u is not None and u != unit_id})
    return [m for u in units for m in await representatives(uow, u)]
