"""What the ballot services show and share: the chair's and the voter's view of a ballot, its
counted result, and reading both from the database. While a secret ballot is open a view holds
the turnout only; counts appear in the result, at close."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from bot.domain.errors import NotFound
from bot.domain.models import Cluster, Unit
from bot.domain.voting import (
    Ballot,
    BallotStatus,
    Count,
    Meeting,
    TiePolicy,
    count,
    decision_pool,
    final_winners,
    places_left,
    runoff_settles,
    second_round_pool,
)
from bot.messages import Attachment, Reply
from storage.uow import UnitOfWork

from .membership import Caller


class BallotNotices(Protocol):
    def ballot_opened(self, locale: str, view: BallotView) -> Reply: ...

    def vote_reminder(self, locale: str, view: BallotView) -> Reply: ...

    def cast_by_colleague(self, locale: str, ballot: Ballot, name: str) -> Reply: ...

    def receipt(self, locale: str, ballot: Ballot, receipt: str) -> Reply: ...

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
    # Candidates already proposed for a higher award at this meeting: (unit, that award).
    also_proposed: tuple[tuple[Unit, str], ...] = ()
    # On the voter's paper: each candidate's (rank, total score) when a ranking exists.
    standing: dict[int, tuple[int, Decimal]] = field(default_factory=dict)

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
    papers: list[list[str] | None]  # each paper's marked unit codes, shuffled; None: unreadable
    receipts: list[str]  # sorted, apart from the papers: each unit finds its own

    @property
    def tie_open(self) -> bool:
        """Units are tied at the cut and neither a run-off nor the chair has settled it yet."""
        return (
            bool(self.count.tied)
            and self.ballot.decision is None
            and not runoff_settles(self.count, self.places, self.runoff_count)
        )

    @property
    def runoff_count(self) -> Count | None:
        return self.runoff.count if self.runoff is not None else None

    @property
    def tied(self) -> list[Unit]:
        return [self.units[u] for u in self.count.tied]

    @property
    def chair_choice(self) -> tuple[list[Unit], list[Unit]]:
        """(the units the chair chooses among, the units a run-off already placed)."""
        pool, placed = decision_pool(self.count, self.runoff_count)
        return [self.units[u] for u in pool], [self.units[u] for u in placed]

    @property
    def second_round(self) -> list[Unit]:
        """The leaders of an elect-one that gave nobody a majority (empty otherwise)."""
        return [self.units[u] for u in second_round_pool(self.ballot.rules, self.count)]

    @property
    def second_round_allowed(self) -> bool:
        return (
            bool(self.second_round)
            and self.ballot.runoff_of is None
            and self.runoff is None
            and self.ballot.decision is None
        )

    @property
    def undecided(self) -> bool:
        """Not final yet: a tie at the cut, or an elect-one waiting for its second round."""
        second_round_open = bool(self.second_round) and not (
            self.runoff is not None and self.runoff.winners and not self.runoff.undecided
        )
        return self.tie_open or (second_round_open and self.ballot.decision is None)

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


async def load_ballot(uow: UnitOfWork, by: Caller, ballot_id: int) -> Ballot:
    ballot = await uow.ballots.get(ballot_id)
    if ballot is None or ballot.cluster_id != by.cluster.id:
        raise NotFound("ballot.unknown")
    return ballot


async def ballot_view(uow: UnitOfWork, ballot: Ballot) -> BallotView:
    units = {u.id: u for u in await uow.units.in_cluster(ballot.cluster_id)}
    register = await uow.ballots.register(ballot.id)
    running = None
    if ballot.status == BallotStatus.OPEN and not ballot.rules.secret:
        tally = count_papers(ballot, await uow.ballots.papers(ballot.id), {})
        running = {c.candidate: c.votes for c in tally.candidates}
    return BallotView(ballot, [units[u] for u in ballot.candidates], units, register, running)


async def ballot_result(uow: UnitOfWork, ballot: Ballot) -> BallotResult:
    record = await uow.ballots.result_record(ballot.id) or {}
    ranks = {int(u): r for u, r in record.get("ranks", {}).items()}
    papers = await uow.ballots.papers(ballot.id)  # shuffled at close
    tally = count_papers(ballot, papers, ranks)
    units = {u.id: u for u in await uow.units.in_cluster(ballot.cluster_id)}
    child = await uow.ballots.runoff_of(ballot.id)
    runoff = (
        await ballot_result(uow, child)
        if child is not None and child.status == BallotStatus.CLOSED
        else None
    )
    places = places_left(ballot.rules, tally)
    winners = final_winners(tally, places, ballot.decision, runoff.count if runoff else None)
    if runoff is not None and second_round_pool(ballot.rules, tally):
        # An elect-one without a majority is decided by its second round.
        winners = [u.id for u in runoff.winners] if not runoff.undecided else []
    codes = [u.code for u in (units[c] for c in ballot.candidates)]
    return BallotResult(
        await uow.clusters.one(ballot.cluster_id),
        await uow.meetings.one(ballot.meeting_id),
        ballot,
        [units[u] for u in ballot.candidates],
        units,
        tally,
        places,
        [units[u] for u in winners],
        runoff,
        [_codes(codes, paper) for paper in papers],
        await uow.ballots.receipts(ballot.id),
    )


def _codes(codes: list[str], paper: str) -> list[str] | None:
    """The unit codes a paper marks; None for a paper that cannot be read (invalid)."""
    try:
        return [codes[p] for p in json.loads(paper)]
    except (ValueError, IndexError, TypeError):
        return None


def count_papers(ballot: Ballot, stored: list[str], ranks: dict[int, int]) -> Count:
    """Count a ballot from its papers as stored: JSON lists of candidate positions."""
    candidates = list(ballot.candidates)
    decoded: dict[str, frozenset[int] | None] = {}  # few distinct marks, many ballots

    def paper(choices: str) -> frozenset[int] | None:
        if choices not in decoded:
            try:
                decoded[choices] = frozenset(candidates[p] for p in json.loads(choices))
            except (ValueError, IndexError, TypeError):
                decoded[choices] = None  # unreadable: counted as invalid, never guessed
        return decoded[choices]

    papers = [paper(choices) for choices in stored]
    return count(
        ballot.rules,
        candidates,
        papers,
        members=ballot.members or 0,
        present=ballot.present or 0,
        issued=ballot.present or 0,
        ranking=ranks,
    )


def ballot_subject(ballot: Ballot) -> str:
    return f"ballot:{ballot.id}"
