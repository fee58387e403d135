"""The chair's live view of an open ballot: one message per viewer, edited in place as ballots
come in (turnout only while secret). A burst of casts costs one edit per viewer: the engine
refreshes the views about a second after the first cast, off the voter's path; where a channel
cannot edit in place (Zalo), updates go out as one later message."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import Clock
from bot.config import Settings
from bot.domain.models import Member
from bot.domain.voting import (
    Ballot,
    BallotStatus,
)
from bot.i18n import speaking_of
from bot.messages import Lane, reply_to_dict
from storage.db import Database
from storage.uow import UnitOfWork

from .ballot_views import BallotNotices, BallotView, ballot_subject, ballot_view
from .recipients import enqueue, locale_of

LIVE_BATCH = timedelta(seconds=20)
LIVE_VIEW_DELAY = timedelta(seconds=1)  # live views are edited at most about once a second


class LiveViews:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        notices: BallotNotices,
        batched_channels: frozenset[str] = frozenset(),
    ) -> None:
        self.db, self.clock, self.settings, self.notices = db, clock, settings, notices
        # Channels that cannot edit a message in place: their live views go out in batches.
        self.batched_channels = batched_channels
        self.behind: set[int] = set()  # ballots whose views are behind the ballot box
        self._behind_since: datetime | None = None

    def fall_behind(self, ballot_id: int) -> None:
        """A ballot was cast: its views are behind until the engine's next refresh."""
        self.behind.add(ballot_id)
        self._behind_since = self._behind_since or self.clock.now()

    def due(self) -> datetime | None:
        """When the engine should refresh the views (None: none is behind)."""
        since = self._behind_since
        return since + LIVE_VIEW_DELAY if since is not None else None

    async def refresh_behind(self) -> None:
        """Bring every view behind the ballot box up to date (the engine calls this)."""
        self._behind_since = None
        while self.behind:
            ballot_id = self.behind.pop()
            async with UnitOfWork(self.db) as uow:
                ballot = await uow.ballots.get(ballot_id)
                if ballot is not None:
                    with speaking_of((await uow.clusters.one(ballot.cluster_id)).kind):
                        await self.refresh(uow, ballot)

    async def watch(self, uow: UnitOfWork, member: Member, view: BallotView) -> None:
        ballot_id = view.ballot.id
        shown = sum(1 for m, _, _ in await uow.ballots.watchers(ballot_id) if m == member.id)
        key = f"live:{ballot_id}:{member.id}:{self.clock.now().timestamp():.0f}:{shown}"
        reply = self.notices.live_view(locale_of(self.settings, member), view)
        subject = ballot_subject(view.ballot)
        await enqueue(uow, key, member, reply, self.clock.now(), subject, lane=Lane.REPLY)
        await uow.ballots.watch(ballot_id, member.id, key)

    async def refresh(self, uow: UnitOfWork, ballot: Ballot) -> None:
        """Queue an edit of every live view; an edit still waiting is replaced (debounce: at most
        one pending edit per viewer, however fast the ballots come in)."""
        watchers = await uow.ballots.watchers(ballot.id)
        if not watchers:
            return
        view = await ballot_view(uow, await uow.ballots.one(ballot.id))
        now = self.clock.now()
        final = ballot.status != BallotStatus.OPEN  # the closing update goes at once
        for member_id, view_key, edits in watchers:
            member = await uow.members.one(member_id)
            reply = self.notices.live_view(locale_of(self.settings, member), view)
            edit = {"edit_of": view_key}
            payload = {**reply_to_dict(reply), **edit}
            waiting = f"{view_key}:e{edits}"
            if await uow.outbox.replace_pending(waiting, payload, now if final else None):
                continue
            await uow.ballots.count_edit(ballot.id, member_id)
            later = None
            if member.channel in self.batched_channels and edits and not final:
                # Where an update is a new message rather than an edit (Zalo), the first goes
                # at once, then a burst of votes waits and goes as one: at most one message
                # per LIVE_BATCH after the last.
                last = await uow.outbox.sent_at(waiting)
                later = last + LIVE_BATCH if last and now - last < LIVE_BATCH else None
            key = f"{view_key}:e{edits + 1}"
            subject = ballot_subject(ballot)
            await enqueue(uow, key, member, reply, now, subject, edit, later, lane=Lane.REPLY)
