"""An open ballot (a poll): opening it to the units present, the chair's view and reminders,
and casting.

Secrecy (DESIGN §3): a cast takes the unit's row in the voter register and drops the choices into
the ballot box under a random receipt, in one transaction. Nothing stored links the two: the box
has no unit and no time, the receipt goes back to the voter in a direct reply (never through the
outbox), and while a secret ballot is open nobody sees more than the turnout.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import timedelta

from bot.clock import Clock
from bot.config import Settings
from bot.domain.errors import Forbidden, InvalidInput
from bot.domain.models import Unit
from bot.domain.policy import Action
from bot.domain.voting import (
    Ballot,
    BallotStatus,
    TiePolicy,
    check_choice,
    runoff_rules,
    second_round_rules,
)
from bot.messages import Lane
from storage.db import Database
from storage.uow import UnitOfWork

from .ballot_views import (
    BallotNotices,
    BallotView,
    ballot_result,
    ballot_subject,
    ballot_view,
    load_ballot,
)
from .live_views import LiveViews
from .meetings import current_meeting
from .membership import Caller
from .recipients import enqueue, locale_of, representatives
from .scoring_views import unit_standing
from .sealing import Sealer

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


class Polling:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        notices: BallotNotices,
        live: LiveViews,
        sealer: Sealer,
    ) -> None:
        self.db, self.clock, self.settings, self.notices = db, clock, settings, notices
        self.live, self.sealer = live, sealer

    async def open(self, by: Caller, ballot_id: int) -> BallotView:
        """Open a draft: the units present receive it; refused without quorum."""
        by.require(Action.MANAGE_BALLOT)
        async with UnitOfWork(self.db) as uow:
            ballot = await load_ballot(uow, by, ballot_id)
            return await self._open(uow, by, ballot)

    async def _open(self, uow: UnitOfWork, by: Caller, ballot: Ballot) -> BallotView:
        now = self.clock.now()
        meeting = await current_meeting(uow, by)
        if meeting.meeting.id != ballot.meeting_id or ballot.status != BallotStatus.DRAFT:
            raise InvalidInput("ballot.not_draft", number=ballot.number)
        if meeting.open_ballot is not None:
            raise InvalidInput("ballot.another_open", number=meeting.open_ballot.number)
        if not meeting.quorum:
            raise InvalidInput(
                "ballot.no_quorum", present=len(meeting.present), members=len(meeting.units)
            )
        closes_at = now + timedelta(minutes=ballot.close_after) if ballot.close_after else None
        voters = sorted(meeting.present_ids)
        if ballot.rules.secret:  # its papers are sealed to a key of its own until it closes
            keys = self.sealer.new_keys()
            await uow.ballots.set_seal(ballot.id, keys.public, keys.private_sealed)
        await uow.ballots.open(ballot.id, len(meeting.units), voters, now, closes_at)
        opened = await ballot_view(uow, await uow.ballots.one(ballot.id))
        for unit_id in voters:
            for rep in await representatives(uow, unit_id):
                reply = self.notices.ballot_opened(locale_of(self.settings, rep), opened)
                await enqueue(
                    uow,
                    f"ballot:{ballot.id}:open:{rep.id}",
                    rep,
                    reply,
                    now,
                    ballot_subject(ballot),
                )
        await uow.audit.record(
            now,
            "ballot.opened",
            cluster_id=by.cluster.id,
            actor=by.actor,
            subject=str(ballot.id),
            detail={
                "award": ballot.award,
                "rules": _rules_detail(opened.ballot),
                "candidates": [u.code for u in opened.candidates],
                "voters": sorted(opened.units[u].code for u in voters),
            },
        )
        await self.live.watch(uow, by.member, opened)
        return opened

    async def runoff(self, by: Caller, ballot_id: int) -> BallotView:
        """One tap, opened at once: a run-off among the units tied at the cut, or the second
        round of an elect-one that gave nobody a majority (between its leaders, under the
        ballot's own tie policy)."""
        by.require(Action.MANAGE_BALLOT)
        async with UnitOfWork(self.db) as uow:
            parent = await ballot_result(uow, await load_ballot(uow, by, ballot_id))
            ballot = parent.ballot
            if parent.runoff_allowed:
                rules, tie = runoff_rules(ballot.rules, parent.count), TiePolicy.CHAIR
                candidates = list(parent.count.tied)
            elif parent.second_round_allowed:
                rules, tie = second_round_rules(ballot.rules), ballot.tie_policy
                candidates = [u.id for u in parent.second_round]
            else:
                raise InvalidInput("ballot.no_runoff", number=ballot.number)
            runoff_id = await uow.ballots.add(
                ballot.cluster_id,
                ballot.meeting_id,
                ballot.award,
                rules,
                tie,
                candidates,
                by.actor,
                self.clock.now(),
                runoff_of=ballot.id,
            )
            return await self._open(uow, by, await uow.ballots.one(runoff_id))

    async def view(self, by: Caller, ballot_id: int) -> BallotView:
        by.require(Action.MANAGE_BALLOT)
        async with UnitOfWork(self.db) as uow:
            return await ballot_view(uow, await load_ballot(uow, by, ballot_id))

    async def watch(self, by: Caller, ballot_id: int) -> BallotView:
        """A fresh live view for the caller, edited in place as ballots come in."""
        by.require(Action.MANAGE_BALLOT)
        async with UnitOfWork(self.db) as uow:
            view = await ballot_view(uow, await load_ballot(uow, by, ballot_id))
            if view.ballot.status == BallotStatus.OPEN:
                await self.live.watch(uow, by.member, view)
            return view

    async def remind(self, by: Caller, ballot_id: int) -> list[Unit]:
        """Remind the units still to vote; returns them."""
        by.require(Action.MANAGE_BALLOT)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            view = await ballot_view(uow, await load_ballot(uow, by, ballot_id))
            if view.ballot.status != BallotStatus.OPEN:
                raise InvalidInput("ballot.not_open", number=view.ballot.number)
            stamp = f"{now.timestamp():.0f}"
            for unit in view.missing:
                for rep in await representatives(uow, unit.id):
                    reply = self.notices.vote_reminder(locale_of(self.settings, rep), view)
                    key = f"ballot:{ballot_id}:remind:{stamp}:{rep.id}"
                    await enqueue(uow, key, rep, reply, now, ballot_subject(view.ballot))
            return view.missing

    async def open_for_me(self, by: Caller) -> list[BallotView]:
        """The open ballots the caller's unit may still cast."""
        unit = by.for_own_unit(Action.CAST_VOTE)
        async with UnitOfWork(self.db) as uow:
            meeting = await uow.meetings.current(by.cluster.id)
            ballots = await uow.ballots.of_meeting(meeting.id) if meeting else []
            views = [await ballot_view(uow, b) for b in ballots if b.status == BallotStatus.OPEN]
        return [v for v in views if v.register.get(unit.id) is False]

    async def ballot_paper(self, by: Caller, ballot_id: int) -> BallotView:
        """The ballot for a voter to fill in; refused if the unit may not (or did) vote."""
        unit = by.for_own_unit(Action.CAST_VOTE)
        async with UnitOfWork(self.db) as uow:
            view = await ballot_view(uow, await load_ballot(uow, by, ballot_id))
            _check_can_vote(view.ballot, view.register.get(unit.id), self.clock.now())
            return replace(view, standing=await unit_standing(uow, by.cluster.id))

    async def cast(self, by: Caller, ballot_id: int, positions: frozenset[int]) -> str:
        """Cast the unit's one ballot; returns the private receipt code, which also goes to the
        voter through the outbox in the same transaction: a crash after the cast never leaves a
        counted vote without its receipt."""
        unit = by.for_own_unit(Action.CAST_VOTE)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            ballot = await load_ballot(uow, by, ballot_id)
            _check_can_vote(ballot, False, now)
            choice = ballot.choice_from_positions(positions)
            check_choice(ballot.rules, list(ballot.candidates), choice)
            # Taking the register row is the check: only on refusal ask why.
            if not await uow.ballots.mark_voted(ballot.id, unit.id):
                voted = await uow.ballots.has_voted(ballot.id, unit.id)
                _check_can_vote(ballot, voted, now)
            receipt = new_receipt()
            while not await uow.ballots.add_receipt(ballot.id, receipt):
                receipt = new_receipt()
            if ballot.seal is not None:
                await uow.ballots.drop_sealed(ballot.id, self.sealer.seal(ballot.seal, positions))
            else:  # an open (non-secret) ballot: readable at once, for its running count
                await uow.ballots.drop_open(ballot.id, sorted(positions))
            reply = self.notices.receipt(locale_of(self.settings, by.member), ballot, receipt)
            forget = {"forget_after_send": True}  # the receipt leaves the outbox once delivered
            key = f"ballot:{ballot.id}:receipt:{by.member.id}"
            subject = ballot_subject(ballot)
            await enqueue(uow, key, by.member, reply, now, subject, forget, lane=Lane.REPLY)
            await uow.audit.record(
                now,
                "ballot.cast",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(ballot.id),
                detail={"unit": unit.code},  # who voted, never what
            )
            for colleague in await representatives(uow, unit.id):
                if colleague.id != by.member.id:  # the unit's other representatives stand down
                    reply = self.notices.cast_by_colleague(
                        locale_of(self.settings, colleague), ballot, by.member.display_name
                    )
                    key = f"ballot:{ballot.id}:cast:{colleague.id}"
                    subject = ballot_subject(ballot)
                    await enqueue(uow, key, colleague, reply, now, subject, lane=Lane.REPLY)
        self.live.fall_behind(ballot.id)
        return receipt


def new_receipt() -> str:
    code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


def _check_can_vote(ballot: Ballot, voted: bool | None, now) -> None:
    """`voted`: the unit's register entry (None: not on the register)."""
    if ballot.status == BallotStatus.DRAFT:
        raise InvalidInput("ballot.not_open", number=ballot.number)
    if ballot.status == BallotStatus.CLOSED or (ballot.closes_at and now >= ballot.closes_at):
        raise InvalidInput("ballot.closed", number=ballot.number)
    if voted is None:
        raise Forbidden("ballot.not_eligible", number=ballot.number)
    if voted:
        raise InvalidInput("ballot.already_cast", number=ballot.number)


def _rules_detail(ballot: Ballot) -> dict:
    rules = ballot.rules
    return {
        "kind": rules.kind.value,
        "quota": rules.quota,
        "threshold": str(rules.threshold),
        "denominator": rules.denominator.value,
        "secret": rules.secret,
        "tie_policy": ballot.tie_policy.value,
        "close_after": ballot.close_after,
    }
