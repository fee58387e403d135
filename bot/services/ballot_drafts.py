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

    async def proposals(self, by: Caller, size: int) -> list[Proposal]:
        """The ranking's top units, the winners of each earlier ballot of the meeting (chained
        awards), and every unit."""
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
            found.append(Proposal("all", view.units))
            return found

    async def draft(
        self, by: Caller, award: str, kind: BallotKind, codes: list[str], quota: int = 1
    ) -> BallotView:
        """A draft ballot of the open meeting with the cluster's default rules (the cluster
        file's `ballot_defaults`, else DESIGN §3's)."""
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
            if not 1 <= quota <= len(candidates):
                raise InvalidInput("ballot.bad_quota", limit=len(candidates))
            defaults = await uow.clusters.ballot_defaults(by.cluster.id)
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
            return await ballot_view(uow, await uow.ballots.one(ballot_id))

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
            return await ballot_view(uow, await uow.ballots.one(ballot.id))

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
