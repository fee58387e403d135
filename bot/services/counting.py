"""Closing and counting a ballot: the tally, ties settled by the ranking, a run-off or the chair,
the result published to every member, and the audit that recounts every ballot from its box."""

from __future__ import annotations

import json
import secrets

from bot.clock import Clock
from bot.config import Settings, SettingsError
from bot.domain.audit_chain import check_chain, papers_digest
from bot.domain.errors import InvalidInput
from bot.domain.policy import Action
from bot.domain.voting import (
    Ballot,
    BallotStatus,
    TiePolicy,
)
from bot.i18n import speaking_of
from bot.messages import reply_to_dict
from storage.db import Database
from storage.uow import UnitOfWork

from .ballot_views import (
    AuditReport,
    BallotNotices,
    BallotResult,
    ballot_result,
    ballot_subject,
    count_papers,
    load_ballot,
)
from .live_views import LiveViews
from .membership import Caller
from .recipients import enqueue, locale_of
from .scoring_views import unit_ranks
from .sealing import Sealer


class Counting:
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

    async def close(self, by: Caller, ballot_id: int) -> BallotResult:
        by.require(Action.MANAGE_BALLOT)
        async with UnitOfWork(self.db) as uow:
            ballot = await load_ballot(uow, by, ballot_id)
            if ballot.status != BallotStatus.OPEN:
                raise InvalidInput("ballot.not_open", number=ballot.number)
            result = await self._close(uow, ballot, by.actor)
        await self.db.scrub_history()
        return result

    async def close_due(self) -> int:
        """Close the ballots whose auto-close time has come (the reminder engine calls this)."""
        async with UnitOfWork(self.db) as uow:
            due = await uow.ballots.due_to_close(self.clock.now())
            for ballot in due:
                with speaking_of((await uow.clusters.one(ballot.cluster_id)).kind):
                    await self._close(uow, ballot, "scheduler")
        if due:
            await self.db.scrub_history()
        return len(due)

    async def check_can_open_sealed(self) -> None:
        """At start-up: a secret ballot left open needs the key its papers were sealed under."""
        async with UnitOfWork(self.db) as uow:
            waiting = await uow.ballots.open_sealed()
        if waiting and not self.sealer.ready:
            raise SettingsError(
                f"THIDUA_SECRET_KEY is not set, but {waiting} secret ballot(s) are open:"
                " set the key their papers were sealed under, then start again"
            )

    async def next_close_time(self):
        async with UnitOfWork(self.db) as uow:
            return await uow.ballots.next_close_time()

    async def _close(self, uow: UnitOfWork, ballot: Ballot, actor: str) -> BallotResult:
        now = self.clock.now()
        ranks = (
            await unit_ranks(uow, ballot.cluster_id)
            if ballot.tie_policy == TiePolicy.RANKING
            else {}
        )
        papers = await self._open_papers(uow, ballot)
        receipts = await uow.ballots.receipts(ballot.id)
        tally = count_papers(ballot, papers, ranks)
        record = {
            "ranks": {str(u): r for u, r in ranks.items() if u in ballot.candidates},
            "votes": [c.votes for c in tally.candidates],
            "cast": tally.cast,
            "invalid": tally.invalid,
            "abstentions": tally.abstentions,
            "winners": tally.winners,
            "tied": tally.tied,
            "papers_digest": papers_digest(receipts, papers),
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
        await uow.ballots.store_counted(ballot.id, papers)
        closed = await uow.ballots.one(ballot.id)
        self.live.behind.discard(ballot.id)
        await self.live.refresh(uow, closed)
        result = await ballot_result(uow, closed)
        # Members hear the final result: a tie still open waits for the run-off or the chair,
        # an elect-one without a majority for its second round.
        if not result.undecided:
            await self._publish(uow, result, answered=actor)
        if ballot.runoff_of is not None:  # a run-off settles its parent: publish that too
            parent = await ballot_result(uow, await uow.ballots.one(ballot.runoff_of))
            if not parent.undecided:
                await self._publish(uow, parent)
        return result

    async def _open_papers(self, uow: UnitOfWork, ballot: Ballot) -> list[str]:
        """Every paper of the ballot, readable and shuffled: the sealed ones opened in memory,
        a paper that does not open kept as unreadable (counted invalid, never guessed)."""
        papers = await uow.ballots.papers(ballot.id)
        seal = await uow.ballots.seal(ballot.id)
        if seal is not None:
            sealed = await uow.ballots.sealed(ballot.id)
            for marks in self.sealer.open_all(seal[1], sealed):
                papers.append(json.dumps(sorted(marks)) if marks is not None else "null")
        secrets.SystemRandom().shuffle(papers)
        return papers

    async def _publish(
        self, uow: UnitOfWork, result: BallotResult, answered: str | None = None
    ) -> None:
        """The result, with its chart, to every member and the cluster's group chats; not to
        the person `answered` (channel:id) who closed or decided it and has it in the reply."""
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
            if f"{member.channel}:{member.external_id}" == answered:
                continue
            locale = locale_of(self.settings, member)
            reply = self.notices.ballot_result(locale, result)
            photo = {"photo_file_id": await chart(locale)}
            key = f"ballot:{ballot.id}:result:{member.id}"
            await enqueue(uow, key, member, reply, now, ballot_subject(ballot), photo)
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
                subject=ballot_subject(ballot),
            )

    async def decide(self, by: Caller, ballot_id: int, positions: frozenset[int]) -> BallotResult:
        """The chair settles a tie the ranking and run-off left: picks the places left among the
        tied (by their position in the tied list); recorded in the minutes."""
        by.require(Action.MANAGE_BALLOT)
        async with UnitOfWork(self.db) as uow:
            result = await ballot_result(uow, await load_ballot(uow, by, ballot_id))
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
            decided = await ballot_result(uow, await uow.ballots.one(result.ballot.id))
            await self._publish(uow, decided, answered=by.actor)
            return decided

    async def result(self, by: Caller, ballot_id: int) -> BallotResult:
        by.require(Action.VIEW_RESULTS)
        async with UnitOfWork(self.db) as uow:
            ballot = await load_ballot(uow, by, ballot_id)
            if ballot.status != BallotStatus.CLOSED:
                raise InvalidInput("ballot.not_closed", number=ballot.number)
            return await ballot_result(uow, ballot)

    async def results(self, by: Caller) -> list[BallotResult]:
        """Closed ballots of the cluster, newest first (run-offs shown within their ballot)."""
        by.require(Action.VIEW_RESULTS)
        async with UnitOfWork(self.db) as uow:
            closed = await uow.ballots.closed(by.cluster.id)
            return [await ballot_result(uow, b) for b in closed if b.runoff_of is None]

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
            archived = any(
                e["action"] == "audit_log.checkpoint" for e in await uow.audit.chain(by.cluster.id)
            )
            checks = []
            for ballot in reversed(await uow.ballots.closed(by.cluster.id, limit=10**6)):
                if archived and str(ballot.id) not in closed_events:
                    continue  # closed before the archived part: its record is in the archive
                papers = await uow.ballots.papers(ballot.id)
                receipts = await uow.ballots.receipts(ballot.id)
                recorded = closed_events.get(str(ballot.id))
                # Ballots counted before papers were sealed recorded a digest of receipt and
                # paper pairs, which are kept apart since: their recount alone is checked.
                digest = recorded.get("papers_digest", "legacy") if recorded else None
                ok = digest in ("legacy", papers_digest(receipts, papers))
                if recorded is not None and ok:
                    ranks = {int(u): r for u, r in recorded["ranks"].items()}
                    tally = count_papers(ballot, papers, ranks)
                    ok = (
                        [c.votes for c in tally.candidates] == recorded["votes"]
                        and tally.winners == recorded["winners"]
                        and tally.tied == recorded["tied"]
                        and tally.cast == recorded["cast"]
                    )
                checks.append((ballot.meeting_id, ballot.number, ok))
            return AuditReport(chain.entries, chain.head, chain.broken_at, checks)
