"""Ballots of the review meeting (phiếu bình xét, suy tôn): draft, open, cast, close and count,
settle a tie, publish the result, and recount everything for the audit.

Secrecy (DESIGN §3): a cast takes the unit's row in the voter register and drops the choices into
the ballot box under a random receipt, in one transaction. Nothing stored links the two: the box
has no unit and no time, the receipt goes back to the voter in a direct reply (never through the
outbox), and while a secret ballot is open nobody sees more than the turnout.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock
from bot.config import Settings
from bot.domain.audit_chain import box_digest, check_chain
from bot.domain.errors import Forbidden, InvalidInput, NotFound
from bot.domain.models import Cluster, Member, Unit
from bot.domain.policy import Action
from bot.domain.voting import (
    CLOSE_AFTER,
    DEFAULT_AWARDS,
    THRESHOLDS,
    Ballot,
    BallotKind,
    BallotStatus,
    Count,
    Denominator,
    Meeting,
    Rules,
    TiePolicy,
    check_choice,
    count,
    decision_pool,
    final_winners,
    places_left,
    runoff_rules,
    runoff_settles,
)
from bot.messages import Attachment, Reply, reply_to_dict
from storage.db import Database
from storage.uow import UnitOfWork

from .meetings import current_meeting
from .membership import Caller
from .recipients import enqueue, representatives
from .scoring import Scoring

MAX_CANDIDATES = 40  # a choice travels as a bit mask in button data (≤ 64 bytes)
MAX_AWARD = 200
LIVE_BATCH = timedelta(seconds=20)
LIVE_VIEW_DELAY = timedelta(seconds=1)  # live views are edited at most about once a second
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


class BallotNotices(Protocol):
    def ballot_opened(self, locale: str, view: BallotView) -> Reply: ...

    def vote_reminder(self, locale: str, view: BallotView) -> Reply: ...

    def cast_by_colleague(self, locale: str, ballot: Ballot, name: str) -> Reply: ...

    def live_view(self, locale: str, view: BallotView) -> Reply: ...

    def ballot_result(self, locale: str, result: BallotResult) -> Reply: ...

    def result_chart(self, locale: str, result: BallotResult) -> Attachment: ...


@dataclass(frozen=True)
class BallotView:
    """A ballot as its chair or a voter sees it: never more than the turnout while secret."""

    ballot: Ballot
    candidates: list[Unit]
    units: dict[int, Unit]  # every unit of the cluster, by id
    register: dict[int, bool]  # unit id -> has voted (empty until the ballot opens)
    running: dict[int, int] | None = None  # votes per candidate: only for open, non-secret ballots

    @property
    def issued(self) -> int:
        return len(self.register)

    @property
    def voted(self) -> int:
        return sum(self.register.values())

    @property
    def missing(self) -> list[Unit]:
        return sorted(
            (self.units[u] for u, voted in self.register.items() if not voted),
            key=lambda u: u.code,
        )


@dataclass(frozen=True)
class BallotResult:
    cluster: Cluster
    meeting: Meeting
    ballot: Ballot
    candidates: list[Unit]
    units: dict[int, Unit]
    count: Count
    places: int  # places left for the units tied at the cut
    winners: list[Unit]  # final: after the ranking, a run-off or the chair's decision
    runoff: BallotResult | None
    box: list[tuple[str, list[str]]]  # (receipt, chosen unit codes), in receipt order

    @property
    def tie_open(self) -> bool:
        """Units are tied at the cut and neither a run-off nor the chair has settled it yet."""
        return (
            bool(self.count.tied)
            and self.ballot.decision is None
            and not runoff_settles(self.count, self.places, self.runoff and self.runoff.count)
        )

    @property
    def tied(self) -> list[Unit]:
        return [self.units[u] for u in self.count.tied]

    @property
    def chair_choice(self) -> tuple[list[Unit], list[Unit]]:
        """(the units the chair chooses among, the units a run-off already placed)."""
        pool, placed = decision_pool(self.count, self.runoff and self.runoff.count)
        return [self.units[u] for u in pool], [self.units[u] for u in placed]

    @property
    def runoff_allowed(self) -> bool:
        return (
            self.tie_open
            and self.ballot.tie_policy != TiePolicy.CHAIR
            and self.ballot.runoff_of is None
            and self.runoff is None
        )


@dataclass(frozen=True)
class Proposal:
    """Candidates the chair can take with one tap."""

    source: str  # ranking | winners | all
    units: list[Unit]
    ballot_number: int | None = None


@dataclass(frozen=True)
class AuditReport:
    entries: int
    head: str
    broken_at: int | None
    ballots: list[tuple[int, int, bool]]  # (meeting id, ballot number, recount matches)

    @property
    def ok(self) -> bool:
        return self.broken_at is None and all(ok for _, _, ok in self.ballots)


def new_receipt() -> str:
    code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


class Ballots:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        notices: BallotNotices,
        scoring: Scoring,
        batched_channels: frozenset[str] = frozenset(),
    ) -> None:
        self.db, self.clock, self.settings, self.notices = db, clock, settings, notices
        self.scoring = scoring
        # Channels that cannot edit a message in place: their live views go out in batches.
        self.batched_channels = batched_channels
        # Ballots whose live views are behind, and since when: the engine refreshes them about a
        # second after the first cast of a burst, so a burst costs one edit per viewer and the
        # voter never waits for it.
        self.stale_views: set[int] = set()
        self._views_behind_since: datetime | None = None

    def _locale(self, member: Member) -> str:
        return member.locale or self.settings.default_locale

    # -- drafting ----------------------------------------------------------------------------

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
            ranks = await self.scoring.unit_ranks(uow, by.cluster.id)
            if ranks:
                top = sorted(ranks, key=lambda u: (ranks[u], units[u].code))[:size]
                found.append(Proposal("ranking", [units[u] for u in top]))
            for ballot in view.ballots:
                if ballot.status == BallotStatus.CLOSED and ballot.runoff_of is None:
                    result = await self._result(uow, ballot)
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
            return await self._view(uow, await uow.ballots.get(ballot_id))

    async def change_rule(self, by: Caller, ballot_id: int, rule: str) -> BallotView:
        """Step one rule of a draft to its next value; never once the ballot is open."""
        by.require(Action.MANAGE_BALLOT)
        async with UnitOfWork(self.db) as uow:
            ballot = await self._ballot(uow, by, ballot_id)
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
            return await self._view(uow, await uow.ballots.get(ballot.id))

    async def discard(self, by: Caller, ballot_id: int) -> None:
        by.require(Action.MANAGE_BALLOT)
        async with UnitOfWork(self.db) as uow:
            ballot = await self._ballot(uow, by, ballot_id)
            if not await uow.ballots.delete_draft(ballot.id):
                raise InvalidInput("ballot.rules_frozen", number=ballot.number)

    # -- opening and watching ----------------------------------------------------------------

    async def open(self, by: Caller, ballot_id: int) -> BallotView:
        """Open a draft: the units present receive it; refused without quorum."""
        by.require(Action.MANAGE_BALLOT)
        async with UnitOfWork(self.db) as uow:
            ballot = await self._ballot(uow, by, ballot_id)
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
        await uow.ballots.open(ballot.id, len(meeting.units), voters, now, closes_at)
        opened = await self._view(uow, await uow.ballots.get(ballot.id))
        for unit_id in voters:
            for rep in await representatives(uow, unit_id):
                reply = self.notices.ballot_opened(self._locale(rep), opened)
                await enqueue(
                    uow, f"ballot:{ballot.id}:open:{rep.id}", rep, reply, now, _subject(ballot)
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
        await self._watch(uow, by.member, opened)
        return opened

    async def view(self, by: Caller, ballot_id: int) -> BallotView:
        by.require(Action.MANAGE_BALLOT)
        async with UnitOfWork(self.db) as uow:
            return await self._view(uow, await self._ballot(uow, by, ballot_id))

    async def watch(self, by: Caller, ballot_id: int) -> BallotView:
        """A fresh live view for the caller, edited in place as ballots come in."""
        by.require(Action.MANAGE_BALLOT)
        async with UnitOfWork(self.db) as uow:
            view = await self._view(uow, await self._ballot(uow, by, ballot_id))
            if view.ballot.status == BallotStatus.OPEN:
                await self._watch(uow, by.member, view)
            return view

    async def _watch(self, uow: UnitOfWork, member: Member, view: BallotView) -> None:
        ballot_id = view.ballot.id
        shown = sum(1 for m, _, _ in await uow.ballots.watchers(ballot_id) if m == member.id)
        key = f"live:{ballot_id}:{member.id}:{self.clock.now().timestamp():.0f}:{shown}"
        reply = self.notices.live_view(self._locale(member), view)
        await enqueue(uow, key, member, reply, self.clock.now(), _subject(view.ballot))
        await uow.ballots.watch(ballot_id, member.id, key)

    async def _refresh_live(self, uow: UnitOfWork, ballot: Ballot) -> None:
        """Queue an edit of every live view; an edit still waiting is replaced (debounce: at most
        one pending edit per viewer, however fast the ballots come in)."""
        watchers = await uow.ballots.watchers(ballot.id)
        if not watchers:
            return
        view = await self._view(uow, await uow.ballots.get(ballot.id))
        now = self.clock.now()
        for member_id, view_key, edits in watchers:
            member = await uow.members.get(member_id)
            reply = self.notices.live_view(self._locale(member), view)
            edit = {"edit_of": view_key}
            if await uow.outbox.replace_pending(
                f"{view_key}:e{edits}", {**reply_to_dict(reply), **edit}
            ):
                continue
            await uow.ballots.count_edit(ballot.id, member_id)
            key = f"{view_key}:e{edits + 1}"
            # Where an update is a new message rather than an edit (Zalo), the updates of a
            # burst of votes wait and go as one: at most one message per LIVE_BATCH.
            later = now + LIVE_BATCH if member.channel in self.batched_channels else None
            await enqueue(uow, key, member, reply, now, _subject(ballot), edit, later)

    async def remind(self, by: Caller, ballot_id: int) -> list[Unit]:
        """Remind the units still to vote; returns them."""
        by.require(Action.MANAGE_BALLOT)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            view = await self._view(uow, await self._ballot(uow, by, ballot_id))
            if view.ballot.status != BallotStatus.OPEN:
                raise InvalidInput("ballot.not_open", number=view.ballot.number)
            stamp = f"{now.timestamp():.0f}"
            for unit in view.missing:
                for rep in await representatives(uow, unit.id):
                    reply = self.notices.vote_reminder(self._locale(rep), view)
                    key = f"ballot:{ballot_id}:remind:{stamp}:{rep.id}"
                    await enqueue(uow, key, rep, reply, now, _subject(view.ballot))
            return view.missing

    # -- voting ------------------------------------------------------------------------------

    async def open_for_me(self, by: Caller) -> list[BallotView]:
        """The open ballots the caller's unit may still cast."""
        by.require(Action.CAST_VOTE, unit_id=by.member.unit_id)
        async with UnitOfWork(self.db) as uow:
            meeting = await uow.meetings.current(by.cluster.id)
            ballots = await uow.ballots.of_meeting(meeting.id) if meeting else []
            views = [await self._view(uow, b) for b in ballots if b.status == BallotStatus.OPEN]
        return [v for v in views if v.register.get(by.member.unit_id) is False]

    async def ballot_paper(self, by: Caller, ballot_id: int) -> BallotView:
        """The ballot for a voter to fill in; refused if the unit may not (or did) vote."""
        by.require(Action.CAST_VOTE, unit_id=by.member.unit_id)
        async with UnitOfWork(self.db) as uow:
            view = await self._view(uow, await self._ballot(uow, by, ballot_id))
            _check_can_vote(view.ballot, view.register.get(by.member.unit_id), self.clock.now())
            return view

    async def cast(self, by: Caller, ballot_id: int, positions: frozenset[int]) -> str:
        """Cast the unit's one ballot; returns the private receipt code."""
        by.require(Action.CAST_VOTE, unit_id=by.member.unit_id)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            ballot = await self._ballot(uow, by, ballot_id)
            _check_can_vote(ballot, False, now)
            choice = ballot.choice_from_positions(positions)
            check_choice(ballot.rules, list(ballot.candidates), choice)
            # Taking the register row is the check: only on refusal ask why.
            if not await uow.ballots.mark_voted(ballot.id, by.member.unit_id):
                voted = await uow.ballots.has_voted(ballot.id, by.member.unit_id)
                _check_can_vote(ballot, voted, now)
            receipt = new_receipt()
            while not await uow.ballots.put_in_box(ballot.id, receipt, sorted(positions)):
                receipt = new_receipt()
            await uow.audit.record(
                now,
                "ballot.cast",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(ballot.id),
                detail={"unit": by.unit.code},  # who voted, never what
            )
            for colleague in await representatives(uow, by.member.unit_id):
                if colleague.id != by.member.id:  # the unit's other representatives stand down
                    reply = self.notices.cast_by_colleague(
                        self._locale(colleague), ballot, by.member.display_name
                    )
                    key = f"ballot:{ballot.id}:cast:{colleague.id}"
                    await enqueue(uow, key, colleague, reply, now, _subject(ballot))
        self.stale_views.add(ballot.id)
        self._views_behind_since = self._views_behind_since or now
        return receipt

    def live_views_due(self) -> datetime | None:
        """When the engine should refresh the live views (None: none is behind)."""
        since = self._views_behind_since
        return since + LIVE_VIEW_DELAY if since is not None else None

    async def refresh_live_views(self) -> None:
        """Bring every live view behind the ballot box up to date (the engine calls this)."""
        self._views_behind_since = None
        while self.stale_views:
            ballot_id = self.stale_views.pop()
            async with UnitOfWork(self.db) as uow:
                ballot = await uow.ballots.get(ballot_id)
                if ballot is not None:
                    await self._refresh_live(uow, ballot)

    # -- closing and the result --------------------------------------------------------------

    async def close(self, by: Caller, ballot_id: int) -> BallotResult:
        by.require(Action.MANAGE_BALLOT)
        async with UnitOfWork(self.db) as uow:
            ballot = await self._ballot(uow, by, ballot_id)
            if ballot.status != BallotStatus.OPEN:
                raise InvalidInput("ballot.not_open", number=ballot.number)
            result = await self._close(uow, ballot, by.actor)
        await self.db.truncate_wal()
        return result

    async def close_due(self) -> int:
        """Close the ballots whose auto-close time has come (the reminder engine calls this)."""
        async with UnitOfWork(self.db) as uow:
            due = await uow.ballots.due_to_close(self.clock.now())
            for ballot in due:
                await self._close(uow, ballot, "scheduler")
        if due:
            await self.db.truncate_wal()
        return len(due)

    async def next_close_time(self):
        async with UnitOfWork(self.db) as uow:
            return await uow.ballots.next_close_time()

    async def _close(self, uow: UnitOfWork, ballot: Ballot, actor: str) -> BallotResult:
        now = self.clock.now()
        ranks = (
            await self.scoring.unit_ranks(uow, ballot.cluster_id)
            if ballot.tie_policy == TiePolicy.RANKING
            else {}
        )
        box = await uow.ballots.box(ballot.id)
        tally = count_box(ballot, box, ranks)
        record = {
            "ranks": {str(u): r for u, r in ranks.items() if u in ballot.candidates},
            "votes": [c.votes for c in tally.candidates],
            "cast": tally.cast,
            "invalid": tally.invalid,
            "abstentions": tally.abstentions,
            "winners": tally.winners,
            "tied": tally.tied,
            "box": box_digest(box),
        }
        await uow.ballots.close(ballot.id, record, now)
        head = await uow.audit.record(
            now,
            "ballot.closed",
            cluster_id=ballot.cluster_id,
            actor=actor,
            subject=str(ballot.id),
            detail=record,
        )
        await uow.ballots.set_chain_head(ballot.id, head)
        await uow.ballots.rewrite_box(ballot.id)
        closed = await uow.ballots.get(ballot.id)
        self.stale_views.discard(ballot.id)
        await self._refresh_live(uow, closed)
        result = await self._result(uow, closed)
        # Members hear the final result: a tie still open waits for the run-off or the chair.
        if not result.tie_open:
            await self._publish(uow, result)
        if ballot.runoff_of is not None:  # a run-off settles its parent: publish that too
            parent = await self._result(uow, await uow.ballots.get(ballot.runoff_of))
            if not parent.tie_open:
                await self._publish(uow, parent)
        return result

    async def _publish(self, uow: UnitOfWork, result: BallotResult) -> None:
        """The result, with its chart, to every member and the cluster's group chats."""
        now = self.clock.now()
        ballot = result.ballot
        charts: dict[str, int] = {}

        async def chart(locale: str) -> int:
            if locale not in charts:
                image = self.notices.result_chart(locale, result)
                charts[locale] = await uow.files.add(
                    image.file_name, image.mime_type, image.data, now
                )
            return charts[locale]

        for member in await uow.members.in_cluster(ballot.cluster_id):
            locale = self._locale(member)
            reply = self.notices.ballot_result(locale, result)
            photo = {"photo_file_id": await chart(locale)}
            key = f"ballot:{ballot.id}:result:{member.id}"
            await enqueue(uow, key, member, reply, now, _subject(ballot), photo)
        for channel, chat_id in await uow.ballots.group_chats(ballot.cluster_id):
            locale = self.settings.default_locale
            payload = reply_to_dict(self.notices.ballot_result(locale, result))
            payload["photo_file_id"] = await chart(locale)
            await uow.outbox.enqueue(
                f"ballot:{ballot.id}:result:group:{channel}",
                channel=channel,
                chat_id=chat_id,
                payload=payload,
                now=now,
                cluster_id=ballot.cluster_id,
                subject=_subject(ballot),
            )

    async def runoff(self, by: Caller, ballot_id: int) -> BallotView:
        """One tap: a run-off among the units tied at the cut, opened at once."""
        by.require(Action.MANAGE_BALLOT)
        async with UnitOfWork(self.db) as uow:
            parent = await self._result(uow, await self._ballot(uow, by, ballot_id))
            if not parent.runoff_allowed:
                raise InvalidInput("ballot.no_runoff", number=parent.ballot.number)
            ballot = parent.ballot
            rules = runoff_rules(ballot.rules, parent.count)
            runoff_id = await uow.ballots.add(
                ballot.cluster_id,
                ballot.meeting_id,
                ballot.award,
                rules,
                TiePolicy.CHAIR,
                list(parent.count.tied),
                by.actor,
                self.clock.now(),
                runoff_of=ballot.id,
            )
            return await self._open(uow, by, await uow.ballots.get(runoff_id))

    async def decide(self, by: Caller, ballot_id: int, positions: frozenset[int]) -> BallotResult:
        """The chair settles a tie the ranking and run-off left: picks the places left among the
        tied (by their position in the tied list); recorded in the minutes."""
        by.require(Action.MANAGE_BALLOT)
        async with UnitOfWork(self.db) as uow:
            result = await self._result(uow, await self._ballot(uow, by, ballot_id))
            if not result.tie_open:
                raise InvalidInput("ballot.no_tie", number=result.ballot.number)
            if result.runoff is not None and result.runoff.ballot.status != BallotStatus.CLOSED:
                raise InvalidInput("ballot.runoff_open", number=result.runoff.ballot.number)
            pool, settled = result.chair_choice
            need = result.places - len(settled)
            if any(p < 0 or p >= len(pool) for p in positions) or len(positions) != need:
                raise InvalidInput("ballot.decide_count", places=need)
            chosen = [u.id for u in settled] + [pool[p].id for p in sorted(positions)]
            await uow.ballots.decide(result.ballot.id, chosen)
            await uow.audit.record(
                self.clock.now(),
                "ballot.decided",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(result.ballot.id),
                detail={"units": [result.units[u].code for u in chosen]},
            )
            decided = await self._result(uow, await uow.ballots.get(result.ballot.id))
            await self._publish(uow, decided)
            return decided

    async def result(self, by: Caller, ballot_id: int) -> BallotResult:
        by.require(Action.VIEW_RESULTS)
        async with UnitOfWork(self.db) as uow:
            ballot = await self._ballot(uow, by, ballot_id)
            if ballot.status != BallotStatus.CLOSED:
                raise InvalidInput("ballot.not_closed", number=ballot.number)
            return await self._result(uow, ballot)

    async def results(self, by: Caller) -> list[BallotResult]:
        """Closed ballots of the cluster, newest first (run-offs shown within their ballot)."""
        by.require(Action.VIEW_RESULTS)
        async with UnitOfWork(self.db) as uow:
            closed = await uow.ballots.closed(by.cluster.id)
            return [await self._result(uow, b) for b in closed if b.runoff_of is None]

    async def audit(self, by: Caller) -> AuditReport:
        """Recompute the cluster's audit hash chain and recount every closed ballot from its box."""
        by.require(Action.VERIFY_AUDIT)
        async with UnitOfWork(self.db) as uow:
            chain = check_chain(await uow.audit.chain(by.cluster.id))
            closed_events = {
                e["subject"]: json.loads(e["detail"])
                for e in await uow.audit.chain(by.cluster.id)
                if e["action"] == "ballot.closed"
            }
            checks = []
            for ballot in reversed(await uow.ballots.closed(by.cluster.id, limit=10**6)):
                box = await uow.ballots.box(ballot.id)
                recorded = closed_events.get(str(ballot.id))
                ok = recorded is not None and recorded.get("box") == box_digest(box)
                if ok:
                    ranks = {int(u): r for u, r in recorded["ranks"].items()}
                    tally = count_box(ballot, box, ranks)
                    ok = (
                        [c.votes for c in tally.candidates] == recorded["votes"]
                        and tally.winners == recorded["winners"]
                        and tally.tied == recorded["tied"]
                        and tally.cast == recorded["cast"]
                    )
                checks.append((ballot.meeting_id, ballot.number, ok))
            return AuditReport(chain.entries, chain.head, chain.broken_at, checks)

    # -- reading -----------------------------------------------------------------------------

    async def _ballot(self, uow: UnitOfWork, by: Caller, ballot_id: int) -> Ballot:
        ballot = await uow.ballots.get(ballot_id)
        if ballot is None or ballot.cluster_id != by.cluster.id:
            raise NotFound("ballot.unknown")
        return ballot

    async def _view(self, uow: UnitOfWork, ballot: Ballot) -> BallotView:
        units = {u.id: u for u in await uow.units.in_cluster(ballot.cluster_id)}
        register = await uow.ballots.register(ballot.id)
        running = None
        if ballot.status == BallotStatus.OPEN and not ballot.rules.secret:
            tally = count_box(ballot, await uow.ballots.box(ballot.id), {})
            running = {c.candidate: c.votes for c in tally.candidates}
        return BallotView(ballot, [units[u] for u in ballot.candidates], units, register, running)

    async def _result(self, uow: UnitOfWork, ballot: Ballot) -> BallotResult:
        record = await self._record(uow, ballot.id)
        ranks = {int(u): r for u, r in record.get("ranks", {}).items()}
        box = await uow.ballots.box(ballot.id)
        tally = count_box(ballot, box, ranks)
        units = {u.id: u for u in await uow.units.in_cluster(ballot.cluster_id)}
        child = await uow.ballots.runoff_of(ballot.id)
        runoff = (
            await self._result(uow, child)
            if child is not None and child.status == BallotStatus.CLOSED
            else None
        )
        places = places_left(ballot.rules, tally)
        winners = final_winners(tally, places, ballot.decision, runoff and runoff.count)
        codes = [u.code for u in (units[c] for c in ballot.candidates)]
        return BallotResult(
            await uow.clusters.get(ballot.cluster_id),
            await uow.meetings.get(ballot.meeting_id),
            ballot,
            [units[u] for u in ballot.candidates],
            units,
            tally,
            places,
            [units[u] for u in winners],
            runoff,
            [(receipt, [codes[p] for p in json.loads(c)]) for receipt, c in box],
        )

    async def _record(self, uow: UnitOfWork, ballot_id: int) -> dict:
        return await uow.ballots.result_record(ballot_id) or {}


def count_box(ballot: Ballot, box: list[tuple[str, str]], ranks: dict[int, int]) -> Count:
    """Count a ballot from its box as stored: (receipt, JSON list of candidate positions)."""
    candidates = list(ballot.candidates)
    decoded: dict[str, frozenset[int] | None] = {}  # few distinct marks, many ballots

    def paper(choices: str) -> frozenset[int] | None:
        if choices not in decoded:
            try:
                decoded[choices] = frozenset(candidates[p] for p in json.loads(choices))
            except (ValueError, IndexError, TypeError):
                decoded[choices] = None  # unreadable: counted as invalid, never guessed
        return decoded[choices]

    papers = [paper(choices) for _, choices in box]
    return count(
        ballot.rules,
        candidates,
        papers,
        members=ballot.members or 0,
        present=ballot.present or 0,
        issued=ballot.present or 0,
        ranking=ranks,
    )


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


def _subject(ballot: Ballot) -> str:
    return f"ballot:{ballot.id}"
