"""Review-meeting ballots (phiếu bình xét, suy tôn): pure rules for quorum, valid choices and the
count. Defaults follow DESIGN §3; every value is a field, so a cluster can change it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .errors import InvalidInput

QUORUM = Decimal(2) / Decimal(3)


class BallotKind(StrEnum):
    APPROVE = "approve"  # Đồng ý / Không đồng ý per candidate
    CHOOSE = "choose"  # choose up to N (N = the award's quota)
    ELECT = "elect"  # elect one (chair / vice chair for the next period)


class Denominator(StrEnum):
    MEMBERS = "members"  # all member units (default)
    PRESENT = "present"  # units present at the meeting


@dataclass(frozen=True)
class Rules:
    kind: BallotKind
    quota: int = 1
    threshold: Decimal = Decimal("0.5")  # a candidate passes with MORE than this share
    denominator: Denominator = Denominator.MEMBERS
    secret: bool = True

    def __post_init__(self) -> None:
        if self.quota < 1 or not Decimal(0) <= self.threshold < Decimal(1):
            raise InvalidInput("ballot.bad_rules")

    @property
    def max_choices(self) -> int:
        return {BallotKind.APPROVE: 10**6, BallotKind.CHOOSE: self.quota, BallotKind.ELECT: 1}[
            self.kind
        ]


def has_quorum(present: int, members: int, share: Decimal = QUORUM) -> bool:
    """At least two thirds of the member units present (exact, no rounding)."""
    return members > 0 and Decimal(present) >= share * members


def check_choice(rules: Rules, candidates: list[int], choice: frozenset[int]) -> frozenset[int]:
    """A valid ballot's choices, or a refusal before anything is cast. Empty is an abstention."""
    if not choice <= set(candidates):
        raise InvalidInput("ballot.unknown_candidate")
    if len(choice) > rules.max_choices:
        raise InvalidInput("ballot.too_many", limit=rules.max_choices)
    return choice


@dataclass(frozen=True)
class CandidateResult:
    candidate: int
    votes: int
    share: Decimal  # of the denominator
    share_of_issued: Decimal
    passed: bool


@dataclass(frozen=True)
class Count:
    members: int
    present: int
    issued: int  # ballots issued = eligible units present when the ballot opened
    cast: int
    invalid: int
    abstentions: int  # valid ballots with no choice
    candidates: list[CandidateResult]
    winners: list[int]
    tied: list[int]  # tied at the cut and not separated by the ranking: a run-off is needed

    @property
    def valid(self) -> int:
        return self.cast - self.invalid


def count(
    rules: Rules,
    candidates: list[int],
    ballots: list[frozenset[int] | None],
    members: int,
    present: int,
    issued: int,
    ranking: dict[int, int] | None = None,
) -> Count:
    """Count the ballots (None = invalid). Winners pass the threshold and fit in the quota; a tie
    at the cut is broken by the ranking (lower rank wins) where that separates them, else it is
    reported for a run-off."""
    votes = {c: 0 for c in candidates}
    invalid = abstentions = 0
    for ballot in ballots:
        if ballot is None or not ballot <= set(candidates) or len(ballot) > rules.max_choices:
            invalid += 1
            continue
        if not ballot:
            abstentions += 1
        for candidate in ballot:
            votes[candidate] += 1
    denominator = members if rules.denominator == Denominator.MEMBERS else present
    results = []
    for candidate in candidates:
        share = Decimal(votes[candidate]) / denominator if denominator else Decimal(0)
        of_issued = Decimal(votes[candidate]) / issued if issued else Decimal(0)
        results.append(
            CandidateResult(
                candidate,
                votes[candidate],
                share,
                of_issued,
                votes[candidate] > rules.threshold * denominator,
            )
        )
    passed = sorted((r for r in results if r.passed), key=lambda r: -r.votes)
    quota = 1 if rules.kind == BallotKind.ELECT else rules.quota
    winners, tied = _cut(passed, quota, ranking or {})
    return Count(
        members, present, issued, len(ballots), invalid, abstentions, results, winners, tied
    )


def _cut(passed: list[CandidateResult], quota: int, ranking: dict[int, int]):
    if len(passed) <= quota:
        return [r.candidate for r in passed], []
    boundary = passed[quota - 1].votes
    above = [r.candidate for r in passed if r.votes > boundary]
    at_cut = [r.candidate for r in passed if r.votes == boundary]
    places = quota - len(above)
    if len(at_cut) <= places:
        return above + at_cut, []
    # Break the tie by the ranking (total score, then the core group, then deductions…).
    ordered = sorted(at_cut, key=lambda c: ranking.get(c, 10**9))
    last_in, first_out = ordered[places - 1], ordered[places]
    if ranking.get(last_in) is not None and ranking.get(last_in) != ranking.get(first_out):
        return above + ordered[:places], []
    still = [c for c in at_cut if ranking.get(c) == ranking.get(last_in)]
    decided = [c for c in ordered[:places] if c not in still]
    return above + decided, still
