"""The review meeting on the big screen: an unguessable, expiring, read-only link for the chair
or secretariat, and what the page shows: attendance and quorum, the open ballot's turnout and
the units still owing a ballot (never a count while the ballot is secret), and the last result
once counted."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.domain.errors import NotFound
from bot.domain.models import Unit
from bot.domain.policy import Action, may
from bot.domain.voting import BallotStatus, Meeting, has_quorum
from storage.db import Database
from storage.uow import UnitOfWork

from .ballot_views import BallotResult, BallotView, ballot_result, ballot_view
from .membership import Caller

SCREEN_HOURS = 12  # a meeting day; the link is asked for again the next day
SCREEN_ROUTE = "/screen"  # where the web server serves the page


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Screen:
    cluster_name: str
    cluster_kind: str
    meeting: Meeting
    units: list[Unit]
    present_ids: frozenset[int]
    open_ballot: BallotView | None  # its running counts are there only when it is not secret
    last_result: BallotResult | None

    @property
    def quorum(self) -> bool:
        return has_quorum(len(self.present_ids), len(self.units))

    @property
    def present(self) -> list[Unit]:
        return [u for u in self.units if u.id in self.present_ids]


class Screens:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    async def issue(self, by: Caller) -> str:
        """A new link to the current meeting's screen, for the chair or the secretariat."""
        if not (may(by.roles, Action.OPEN_MEETING) or may(by.roles, Action.MANAGE_BALLOT)):
            by.require(Action.OPEN_MEETING)
        token = secrets.token_urlsafe(24)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            meeting = await uow.meetings.current(by.cluster.id)
            if meeting is None:
                raise NotFound("meeting.none")
            await uow.screen_links.purge(now)
            until = now + timedelta(hours=SCREEN_HOURS)
            await uow.screen_links.issue(_hash(token), by.cluster.id, meeting.id, until)
            await uow.audit.record(
                now, "screen.issued", cluster_id=by.cluster.id, actor=by.actor,
                subject=str(meeting.id),
            )  # fmt: skip
        return token

    async def screen(self, token: str) -> Screen | None:
        """What the page shows now; None for an unknown or expired link."""
        async with UnitOfWork(self.db) as uow:
            found = await uow.screen_links.open(_hash(token), self.clock.now())
            if found is None:
                return None
            cluster_id, meeting_id = found
            cluster = await uow.clusters.one(cluster_id)
            meeting = await uow.meetings.one(meeting_id)
            ballots = await uow.ballots.of_meeting(meeting_id)
            opened = next((b for b in ballots if b.status == BallotStatus.OPEN), None)
            closed = [b for b in ballots if b.status == BallotStatus.CLOSED]
            return Screen(
                cluster.name,
                cluster.kind,
                meeting,
                await uow.units.in_cluster(cluster_id),
                frozenset(await uow.meetings.present(meeting_id)),
                await ballot_view(uow, opened) if opened else None,
                await ballot_result(uow, closed[-1]) if closed else None,
            )


PAGE_HOURS = 2  # a link to one's own page: long enough to fill a sheet


class PageLinks:
    """Signed links to a person's own pages where Telegram's Mini Apps are not there (Zalo, the
    console) and for the read-only sheets view; the page re-checks the person at every request."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    async def issue(self, by: Caller, page: str) -> str:
        token = secrets.token_urlsafe(24)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            await uow.page_links.purge(now)
            until = now + timedelta(hours=PAGE_HOURS)
            await uow.page_links.issue(
                _hash(token), page, by.member.channel, by.member.external_id, until
            )
        return token

    async def holder(self, token: str, page: str) -> tuple[str, str] | None:
        """(channel, user id) the link was given to, while it is valid."""
        async with UnitOfWork(self.db) as uow:
            return await uow.page_links.open(_hash(token), page, self.clock.now())
