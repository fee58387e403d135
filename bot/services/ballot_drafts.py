"""Drafting a ballot of the review meeting: the award, its kind, quota and candidates (the
ranking's top units, an earlier ballot's winners, every unit, or typed codes), and its rules,
which freeze when it opens."""

from __future__ import annotations

from dataclasses import replace

from bot.clock import Clock
from bot.domain.errors import InvalidInput
from bot.domain.models import Unit
from bot.domain.policy import Action
from bot.domain.voting import (
    CLOSE_AFTER,
    DEFAULT_AWARDS,
    THRESHOLDS,
    Ballot,
    BallotDefaults,
    BallotKind,
    BallotStatus,
    Denominator,
    Rules,
    TiePolicy,
)
from storage.db import Database
from storage.uow import UnitOfWork

from .ballot_views import (
    BallotView,
    Proposal,
    ballot_result,
    ballot_view,
    load_ballot,
)
from .meetings import current_meeting
from .membership import Caller
from .scoring_views import unit_ranks

MAX_CANDIDATES = 40  # a choice travels as a bit mask in button data (≤ 64 bytes)
MAX_AWARD = 200


class BallotDrafts:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    async def awards(self, by: Caller) -> list[str]:
        by.require(Action.MANAGE_BALLOT)
        async with UnitOfWork(self.db) as uow:
            return await uow.clusters.awards(by.cluster.id) or list(DEFAULT_AWARDS)

    async def proposals(self, by: Caller, size: int, award: str | None = None) -> list[Proposal]:
        """The ranking's top units, the winners of each earlier ballot of the meeting (chained
        awards), every unit not yet proposed for an award higher than `award`, and every
        unit."""
        by.require(Action.MANAGE_BALLOT)
        async with UnitOfWork(self.db) as uow:
            view = await current_meeting(uow, by)
            units = {u.id: u for u in view.units}
            found = []
            ranks = await unit_ranks(uow, by.cluster.id)
            if ranks:
                top = sorted(ranks, key=lambda u: (ranks[u], units[u].code))[:size]
                found.append(Proposal("ranking", [units[u] for u in top]))
            for ballot in view.ballots:
                if ballot.status == BallotStatus.CLOSED and ballot.runoff_of is None:
                    result = await ballot_result(uow, ballot)
                    if result.winners:
                        found.append(Proposal("winners", result.winners, ballot.number))
            higher = await _proposed_higher(uow, by, view.ballots, award) if award else {}
            if higher:
                rest = [u for u in view.units if u.id not in higher]
                found.append(Proposal("not_proposed", rest))
            found.append(Proposal("all", view.units))
            return found

    async def draft(
        self, by: Caller, award: str, kind: BallotKind, codes: list[str], quota: int = 1
    ) -> BallotView:
        """A draft ballot of the open meeting, starting with the cluster file's
        `ballot_defaults`, else the rules of the meeting's previous ballot, else DESIGN §3's."""
        by.require(Action.MANAGE_BALLOT)
        award = award.strip()
        if not award or len(award) > MAX_AWARD:
            raise InvalidInput("ballot.bad_award", limit=MAX_AWARD)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            view = await current_meeting(uow, by)
            candidates = _candidates(view.units, codes)
            if kind == BallotKind.ELECT:
                quota = 1
            if quota > len(candidates):  # e.g. a list of the ranked units shorter than the quota
                example = ", ".join(u.code for u in view.units[:3])
                raise InvalidInput(
                    "ballot.fewer_than_quota", count=len(candidates), quota=quota, example=example
                )
            if quota < 1:
                raise InvalidInput("ballot.bad_quota", limit=len(candidates))
            defaults = (
                await uow.clusters.ballot_defaults(by.cluster.id)
                or _rules_of_last(view.ballots)
                or BallotDefaults()
            )
            rules = Rules(
                kind,
                quota=quota,
                threshold=defaults.threshold,
                denominator=defaults.denominator,
                secret=defaults.secret,
            )
            ballot_id = await uow.ballots.add(
                by.cluster.id,
                view.meeting.id,
                award,
                rules,
                defaults.tie_policy,
                [u.id for u in candidates],
                by.actor,
                now,
            )
            await uow.ballots.set_rules(ballot_id, rules, defaults.tie_policy, defaults.close_after)
            await uow.audit.record(
                now,
                "ballot.drafted",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(ballot_id),
                detail={
                    "award": award,
                    "kind": kind.value,
                    "candidates": [u.code for u in candidates],
                },
            )
            return await self._draft_view(uow, by, await uow.ballots.one(ballot_id))

    async def _draft_view(self, uow: UnitOfWork, by: Caller, ballot: Ballot) -> BallotView:
        """The chair's card of a draft, warning of candidates already proposed higher."""
        view = await ballot_view(uow, ballot)
        meeting = await current_meeting(uow, by)
        higher = await _proposed_higher(uow, by, meeting.ballots, ballot.award)
        flagged = tuple((u, higher[u.id]) for u in view.candidates if u.id in higher)
        return replace(view, also_proposed=flagged)

    async def change_rule(self, by: Caller, ballot_id: int, rule: str) -> BallotView:
        """Step one rule of a draft to its next value; never once the ballot is open."""
        by.require(Action.MANAGE_BALLOT)
        async with UnitOfWork(self.db) as uow:
            ballot = await load_ballot(uow, by, ballot_id)
            if ballot.status != BallotStatus.DRAFT:
                raise InvalidInput("ballot.rules_frozen", number=ballot.number)
            rules, tie, close_after = ballot.rules, ballot.tie_policy, ballot.close_after
            if rule == "threshold":
                rules = replace(rules, threshold=_next(THRESHOLDS, rules.threshold))
            elif rule == "denominator":
                rules = replace(rules, denominator=_next(list(Denominator), rules.denominator))
            elif rule == "secret":
                rules = replace(rules, secret=not rules.secret)
            elif rule == "tie":
                tie = _next(list(TiePolicy), tie)
            elif rule == "close":
                close_after = _next(CLOSE_AFTER, close_after)
            elif rule == "quota" and rules.kind != BallotKind.ELECT:
                rules = replace(rules, quota=rules.quota % len(ballot.candidates) + 1)
            else:
                raise InvalidInput("error.stale_button")
            await uow.ballots.set_rules(ballot.id, rules, tie, close_after)
            return await self._draft_view(uow, by, await uow.ballots.one(ballot.id))

    async def discard(self, by: Caller, ballot_id: int) -> None:
        by.require(Action.MANAGE_BALLOT)
        async with UnitOfWork(self.db) as uow:
            ballot = await load_ballot(uow, by, ballot_id)
            if not await uow.ballots.delete_draft(ballot.id):
                raise InvalidInput("ballot.rules_frozen", number=ballot.number)


def _candidates(units: list[Unit], codes: list[str]) -> list[Unit]:
    by_code = {u.code: u for u in units}
    wanted = list(dict.fromkeys(c.strip().upper() for c in codes if c.strip()))
    unknown = [c for c in wanted if c not in by_code]
    if unknown or not wanted:
        raise InvalidInput("deadline.unknown_units", codes=", ".join(unknown) or "–")
    if len(wanted) > MAX_CANDIDATES:
        raise InvalidInput("ballot.too_many_candidates", limit=MAX_CANDIDATES)
    return [by_code[c] for c in wanted]


def _next(values, current):
    values = list(values)
    return values[(values.index(current) + 1) % len(values)] if current in values else values[0]


async def _proposed_higher(
    uow: UnitOfWork, by: Caller, ballots: list[Ballot], award: str
) -> dict[int, str]:
    """unit id -> the higher award it is already proposed for at this meeting (the cluster's
    awards list runs from the highest down; an award not in it outranks nothing)."""
    order = await uow.clusters.awards(by.cluster.id) or list(DEFAULT_AWARDS)
    if award not in order:
        return {}
    higher = set(order[: order.index(award)])
    found: dict[int, str] = {}
    for ballot in ballots:
        if ballot.status == BallotStatus.CLOSED and ballot.award in higher:
            result = await ballot_result(uow, ballot)
            found.update({u.id: ballot.award for u in result.winners})
    return found


def _rules_of_last(ballots: list[Ballot]) -> BallotDefaults | None:
    """A new ballot starts with the rules of the meeting's previous one (its run-offs aside)."""
    earlier = [b for b in ballots if b.runoff_of is None]
    if not earlier:
        return None
    last = earlier[-1]
    return BallotDefaults(
        threshold=last.rules.threshold,
        denominator=last.rules.denominator,
        secret=last.rules.secret,
        tie_policy=last.tie_policy,
        close_after=last.close_after,
    )
