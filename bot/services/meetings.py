"""The review meeting (hội nghị bình xét): the chair or the secretariat opens it, each unit checks
in with one tap, and the chair sees who is present and whether the quorum holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.clock import Clock
from bot.config import Settings
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.models import Unit
from bot.domain.policy import Action, may
from bot.domain.voting import Ballot, BallotStatus, Meeting, has_quorum
from bot.messages import Reply
from storage.db import Database
from storage.uow import UnitOfWork

from .membership import Caller
from .recipients import enqueue, representatives

MAX_TITLE = 200


class MeetingNotices(Protocol):
    def check_in_request(self, locale: str, meeting: Meeting) -> Reply: ...


@dataclass(frozen=True)
class MeetingView:
    meeting: Meeting
    units: list[Unit]
    present_ids: frozenset[int]
    ballots: list[Ballot]

    @property
    def present(self) -> list[Unit]:
        return [u for u in self.units if u.id in self.present_ids]

    @property
    def absent(self) -> list[Unit]:
        return [u for u in self.units if u.id not in self.present_ids]

    @property
    def quorum(self) -> bool:
        return has_quorum(len(self.present_ids), len(self.units))

    @property
    def open_ballot(self) -> Ballot | None:
        return next((b for b in self.ballots if b.status == BallotStatus.OPEN), None)


async def meeting_view(uow: UnitOfWork, meeting: Meeting) -> MeetingView:
    return MeetingView(
        meeting,
        await uow.units.in_cluster(meeting.cluster_id),
        frozenset(await uow.meetings.present(meeting.id)),
        await uow.ballots.of_meeting(meeting.id),
    )


async def current_meeting(uow: UnitOfWork, by: Caller) -> MeetingView:
    meeting = await uow.meetings.current(by.cluster.id)
    if meeting is None:
        raise NotFound("meeting.none")
    return await meeting_view(uow, meeting)


class Meetings:
    def __init__(
        self, db: Database, clock: Clock, settings: Settings, notices: MeetingNotices
    ) -> None:
        self.db, self.clock, self.settings, self.notices = db, clock, settings, notices

    async def current(self, by: Caller) -> MeetingView | None:
        if not (may(by.roles, Action.OPEN_MEETING) or may(by.roles, Action.CHECK_IN)):
            by.require(Action.OPEN_MEETING)
        async with UnitOfWork(self.db) as uow:
            meeting = await uow.meetings.current(by.cluster.id)
            return await meeting_view(uow, meeting) if meeting else None

    async def open(self, by: Caller, title: str) -> MeetingView:
        """Open the meeting and invite every unit's representatives to check in."""
        by.require(Action.OPEN_MEETING)
        title = title.strip()
        if not title or len(title) > MAX_TITLE:
            raise InvalidInput("meeting.bad_title", limit=MAX_TITLE)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            if await uow.meetings.current(by.cluster.id) is not None:
                raise InvalidInput("meeting.already_open")
            meeting_id = await uow.meetings.open(by.cluster.id, title, by.actor, now)
            meeting = await uow.meetings.one(meeting_id)
            for unit in await uow.units.in_cluster(by.cluster.id):
                for rep in await representatives(uow, unit.id):
                    reply = self.notices.check_in_request(self._locale(rep), meeting)
                    key = f"meeting:{meeting_id}:checkin:{rep.id}"
                    await enqueue(uow, key, rep, reply, now, f"meeting:{meeting_id}")
            await uow.audit.record(
                now,
                "meeting.opened",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(meeting_id),
                detail={"title": title},
            )
            return await meeting_view(uow, meeting)

    async def check_in(self, by: Caller) -> tuple[MeetingView, bool]:
        """Mark the caller's unit present; (view, False) when it already was. While a ballot is
        open the unit is present for the next one: the open ballot's voters were fixed when it
        opened."""
        by.require(Action.CHECK_IN, unit_id=by.member.unit_id)
        if by.unit is None:
            raise InvalidInput("meeting.no_unit")
        unit = by.unit
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            view = await current_meeting(uow, by)
            fresh = await uow.meetings.check_in(view.meeting.id, unit.id, now)
            if fresh:
                await uow.audit.record(
                    now,
                    "meeting.checked_in",
                    cluster_id=by.cluster.id,
                    actor=by.actor,
                    subject=str(view.meeting.id),
                    detail={"unit": unit.code},
                )
            return await meeting_view(uow, view.meeting), fresh

    async def close(self, by: Caller) -> MeetingView:
        by.require(Action.OPEN_MEETING)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            view = await current_meeting(uow, by)
            await uow.meetings.close(view.meeting.id, now)
            await uow.audit.record(
                now,
                "meeting.closed",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(view.meeting.id),
                detail={"present": sorted(u.code for u in view.present)},
            )
            return await meeting_view(uow, await uow.meetings.one(view.meeting.id))

    async def set_group_chat(self, by: Caller, channel: str, chat_id: str) -> None:
        """This group chat is the cluster's: results are posted there too."""
        by.require(Action.OPEN_MEETING)
        async with UnitOfWork(self.db) as uow:
            await uow.ballots.set_group_chat(by.cluster.id, channel, chat_id)
            await uow.audit.record(
                self.clock.now(),
                "cluster.group_chat",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=f"{channel}:{chat_id}",
            )

    def _locale(self, member) -> str:
        return member.locale or self.settings.default_locale
