"""What the official documents are made from: the meeting's place and people (entered by the
chair or secretariat), each document's number (kept when it is made again), and the results,
standings and scores they record. The documents themselves are laid out in bot/render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.documents import Letter, MeetingPeople
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.models import Unit
from bot.domain.policy import Action
from bot.domain.voting import BallotKind, BallotStatus, Meeting
from storage.db import Database
from storage.uow import UnitOfWork

from .ballot_views import BallotResult, ballot_result
from .membership import Caller
from .scoring_views import unit_standing


@dataclass(frozen=True)
class MeetingPapers:
    """Everything the meeting's minutes and nomination letters record."""

    meeting: Meeting
    units: list[Unit]
    present: list[Unit]
    results: list[BallotResult]  # counted ballots in order, run-offs included
    standing: dict[int, tuple[int, Decimal]]  # unit id -> (rank, total) in the current round

    def awards(self) -> list[str]:
        """Awards with at least one unit proposed, in ballot order (an election of next year's
        chair proposes no award)."""
        out: list[str] = []
        for result in self.results:
            if result.ballot.rules.kind == BallotKind.ELECT:
                continue
            if result.winners and result.ballot.award not in out:
                out.append(result.ballot.award)
        return out

    def nominees(self, award: str) -> list[tuple[Unit, Decimal]]:
        """(unit, share of the ballots issued) for the units proposed for `award`."""
        out: list[tuple[Unit, Decimal]] = []
        for result in self.results:
            if result.ballot.award != award or result.ballot.runoff_of is not None:
                continue
            shares = {r.candidate: r.share_of_issued for r in result.count.candidates}
            out += [(u, shares.get(u.id, Decimal(0))) for u in result.winners]
        return out


class Paperwork:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    async def people(self, by: Caller) -> MeetingPeople:
        by.require(Action.OPEN_MEETING)
        async with UnitOfWork(self.db) as uow:
            meeting = await _meeting(uow, by)
            return await uow.meetings.people(meeting.id)

    async def set_people(self, by: Caller, **changes: object) -> MeetingPeople:
        """Change the place or people of the current (or last) meeting; the documents made
        afterwards carry them (their numbers stay)."""
        by.require(Action.OPEN_MEETING)
        async with UnitOfWork(self.db) as uow:
            meeting = await _meeting(uow, by)
            people = (await uow.meetings.people(meeting.id)).model_copy(update=changes)
            await uow.meetings.set_people(meeting.id, people)
            await uow.audit.record(
                self.clock.now(),
                "meeting.people_set",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(meeting.id),
                detail={"fields": sorted(changes)},
            )
            return people

    async def ballot_minutes(self, by: Caller, ballot_id: int) -> tuple[BallotResult, Letter]:
        by.require(Action.VIEW_RESULTS)
        async with UnitOfWork(self.db) as uow:
            ballot = await uow.ballots.get(ballot_id)
            if ballot is None or ballot.cluster_id != by.cluster.id:
                raise NotFound("ballot.unknown", id=ballot_id)
            if ballot.status != BallotStatus.CLOSED:
                raise InvalidInput("ballot.not_closed", number=ballot.number)
            result = await ballot_result(uow, ballot)
            moment = ballot.closed_at or self.clock.now()
            letter = await self._letter(
                uow, by, "BB", f"ballot:{ballot.id}", moment, ballot.meeting_id
            )
            return result, letter

    async def meeting_papers(self, by: Caller) -> MeetingPapers:
        """The current (or last) meeting with every counted ballot."""
        by.require(Action.MAKE_DOCUMENTS)
        async with UnitOfWork(self.db) as uow:
            meeting = await _meeting(uow, by)
            units = await uow.units.in_cluster(by.cluster.id)
            present_ids = set(await uow.meetings.present(meeting.id))
            ballots = [
                b
                for b in await uow.ballots.of_meeting(meeting.id)
                if b.status == BallotStatus.CLOSED
            ]
            return MeetingPapers(
                meeting,
                units,
                [u for u in units if u.id in present_ids],
                [await ballot_result(uow, b) for b in ballots],
                await unit_standing(uow, by.cluster.id),
            )

    async def meeting_letter(self, by: Caller, papers: MeetingPapers) -> Letter:
        by.require(Action.MAKE_DOCUMENTS)
        async with UnitOfWork(self.db) as uow:
            moment = papers.meeting.closed_at or papers.meeting.opened_at
            subject = f"meeting:{papers.meeting.id}"
            return await self._letter(uow, by, "BB", subject, moment, papers.meeting.id)

    async def nomination_letter(self, by: Caller, papers: MeetingPapers, award: str) -> Letter:
        by.require(Action.MAKE_DOCUMENTS)
        if award not in papers.awards():
            raise InvalidInput("documents.no_nominees", award=award[:60])
        async with UnitOfWork(self.db) as uow:
            moment = papers.meeting.closed_at or papers.meeting.opened_at
            subject = f"award:{papers.meeting.id}:{award}"
            return await self._letter(uow, by, "TTr", subject, moment, papers.meeting.id)

    async def summary_letter(self, by: Caller, round_key: str) -> Letter:
        by.require(Action.EXPORT)
        async with UnitOfWork(self.db) as uow:
            meeting = await uow.meetings.last(by.cluster.id)
            subject = f"round:{by.period.id if by.period else 0}:{round_key}"
            meeting_id = meeting.id if meeting else None
            return await self._letter(uow, by, "BC", subject, self.clock.now(), meeting_id)

    async def _letter(
        self,
        uow: UnitOfWork,
        by: Caller,
        symbol: str,
        subject: str,
        moment: datetime,
        meeting_id: int | None,
    ) -> Letter:
        local = moment.astimezone(ZoneInfo(by.cluster.timezone))
        number = await uow.document_numbers.number(by.cluster.id, local.year, symbol, subject)
        people = await uow.meetings.people(meeting_id) if meeting_id else MeetingPeople()
        return Letter(
            cluster_name=by.cluster.name,
            kind=by.cluster.kind,
            letterhead=await uow.clusters.letterhead(by.cluster.id),
            people=people,
            number=number,
            issued_at=local,
        )


async def _meeting(uow: UnitOfWork, by: Caller) -> Meeting:
    meeting = await uow.meetings.last(by.cluster.id)
    if meeting is None:
        raise NotFound("meeting.none")
    return meeting
