"""Review-meeting ballots (phiếu bình xét, suy tôn): pure rules for quorum, valid choices and the
count. Defaults follow DESIGN §3; every value is a field, so a cluster can change it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from .errors import InvalidInput
from .typed import exact_decimal

QUORUM = Decimal(2) / Decimal(3)


class BallotKind(StrEnum):
    APPROVE = "approve"  # Đồng ý / Không đồng ý per candidate
    CHOOSE = "choose"  # choose up to N (N = the award's quota)
    ELECT = "elect"  # elect one (chair / vice chair for the next period)


class Denominator(StrEnum):
    MEMBERS = "members"  # all member units (default)
    PRESENT = "present"  # units present at the meeting


class TiePolicy(StrEnum):
    """What separates units tied at the cut (DESIGN §3); each step falls through to the next."""

    RANKING = "ranking"  # the ranking, then a run-off, then the chair
    RUNOFF = "runoff"  # a run-off, then the chair
    CHAIR = "chair"  # the chair decides, recorded in the minutes


class BallotStatus(StrEnum):
    DRAFT = "draft"  # rules and candidates may still change
    OPEN = "open"
    CLOSED = "closed"


# Offered when the cluster file lists no awards (Law 06/2022/QH15 titles most clusters vote on).
DEFAULT_AWARDS = (
    "Cờ thi đua của Chính phủ",
    "Cờ thi đua cấp tỉnh, bộ, ngành",
    "Bằng khen của Thủ tướng Chính phủ",
    "Tập thể lao động xuất sắc",
    "Cụm trưởng năm sau",
    "Cụm phó năm sau",
)
THRESHOLDS = (Decimal("0.5"), Decimal("0.7"), Decimal("0.8"), Decimal("0.9"))
CLOSE_AFTER = (None, 5, 10, 15, 30)  # minutes after opening; None: the chair closes


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
    on_ballot, limit = frozenset(candidates), rules.max_choices
    for ballot in ballots:
        if ballot is None or not ballot <= on_ballot or len(ballot) > limit:
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


@dataclass(frozen=True)
class BallotDefaults:
    """A cluster's rules for a new ballot (the cluster file's `ballot_defaults`); each ballot may
    still change them before it opens."""

    threshold: Decimal = Decimal("0.5")
    denominator: Denominator = Denominator.MEMBERS
    secret: bool = True
    tie_policy: TiePolicy = TiePolicy.RANKING
    close_after: int | None = None

    def to_dict(self) -> dict:
        return {
            "threshold": str(self.threshold),
            "counted_on": self.denominator.value,
            "secret": self.secret,
            "tie": self.tie_policy.value,
            "close_after": self.close_after,
        }


def parse_ballot_defaults(raw: object) -> BallotDefaults | None:
    """`{threshold: 70%, counted_on: present, secret: true, tie: runoff, close_after: 10}`, every
    key optional; None when any value is not one the ballot card offers."""
    if raw is None:
        return BallotDefaults()
    if not isinstance(raw, dict) or not set(raw) <= {
        "threshold",
        "counted_on",
        "secret",
        "tie",
        "close_after",
    }:
        return None
    try:
        threshold = exact_decimal(str(raw.get("threshold", "0.5")).strip().rstrip("%"))
        if threshold is None or threshold < 0:
            return None
        if threshold >= 1:
            threshold /= 100
        defaults = BallotDefaults(
            threshold=threshold.normalize() if threshold else Decimal(0),
            denominator=Denominator(raw.get("counted_on", "members")),
            secret=raw.get("secret", True),
            tie_policy=TiePolicy(raw.get("tie", "ranking")),
            close_after=raw.get("close_after"),
        )
    except (ArithmeticError, ValueError):
        return None
    if (
        defaults.threshold not in THRESHOLDS
        or not isinstance(defaults.secret, bool)
        or defaults.close_after not in CLOSE_AFTER
    ):
        return None
    return defaults


@dataclass(frozen=True)
class Meeting:
    id: int
    cluster_id: int
    title: str
    opened_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class Ballot:
    id: int
    cluster_id: int
    meeting_id: int
    number: int  # 1, 2, … within the meeting
    award: str
    rules: Rules
    tie_policy: TiePolicy
    close_after: int | None
    runoff_of: int | None
    status: BallotStatus
    candidates: tuple[int, ...]  # unit ids, in ballot order
    members: int | None = None  # member units when it opened
    present: int | None = None  # units present when it opened (= ballots issued)
    opened_at: datetime | None = None
    closes_at: datetime | None = None
    closed_at: datetime | None = None
    decision: tuple[int, ...] | None = None  # the chair's choice among units tied at the cut
    chain_head: str | None = None
    seal: bytes | None = None  # the public key its papers are sealed to, while secret and open

    def choice_from_positions(self, positions: frozenset[int]) -> frozenset[int]:
        """Ballot positions (0-based, as buttons carry them) -> candidate unit ids."""
        if any(p < 0 or p >= len(self.candidates) for p in positions):
            raise InvalidInput("ballot.unknown_candidate")
        return frozenset(self.candidates[p] for p in positions)


def runoff_settles(count: Count, places: int, runoff: Count | None) -> bool:
    """A run-off settles the tie when its winners fill every place left."""
    return runoff is not None and not runoff.tied and len(runoff.winners) == places


def decision_pool(count: Count, runoff: Count | None) -> tuple[list[int], list[int]]:
    """(whom the chair chooses among, whom a run-off already placed): without a run-off every
    unit tied at the cut; after one, its units still tied, or the tied it did not place."""
    if runoff is None:
        return list(count.tied), []
    still = runoff.tied or [u for u in count.tied if u not in runoff.winners]
    return list(still), list(runoff.winners)


def second_round_pool(rules: Rules, count: Count) -> list[int]:
    """Elect-one where nobody has more than half: the two leaders go to a second round (every
    unit tied at the top, or the top one and every unit tied second). Empty when the ballot
    elected someone, is tied at the cut, or had no vote at all."""
    if rules.kind != BallotKind.ELECT or count.winners or count.tied:
        return []
    ordered = sorted(count.candidates, key=lambda r: -r.votes)
    if not ordered or ordered[0].votes == 0:
        return []
    top = [r.candidate for r in ordered if r.votes == ordered[0].votes]
    if len(top) >= 2:
        return top
    rest = ordered[1:]
    second = [r.candidate for r in rest if rest and r.votes == rest[0].votes]
    return top + second


def second_round_rules(rules: Rules) -> Rules:
    """The second round elects one among the leaders by the most votes, counted on the units
    present; a tie there follows the ballot's tie policy."""
    return Rules(
        BallotKind.ELECT,
        quota=1,
        threshold=Decimal(0),
        denominator=Denominator.PRESENT,
        secret=rules.secret,
    )


def final_winners(
    count: Count, places: int, decision: tuple[int, ...] | None, runoff: Count | None
) -> list[int]:
    """The winners once a tie at the cut is settled: by the chair's recorded decision, else by a
    run-off that filled the places. Until then only the units clear of the tie."""
    if not count.tied:
        return list(count.winners)
    if decision is not None:
        return list(count.winners) + [c for c in decision if c in count.tied]
    if runoff is not None and runoff_settles(count, places, runoff):
        return list(count.winners) + list(runoff.winners)
    return list(count.winners)


def places_left(rules: Rules, count: Count) -> int:
    """How many of the tied units can still win (the quota minus the clear winners)."""
    quota = 1 if rules.kind == BallotKind.ELECT else rules.quota
    return quota - len(count.winners)


def runoff_rules(rules: Rules, count: Count) -> Rules:
    """A run-off among the tied: choose up to the places left; the most votes win (each tied unit
    already passed the threshold), counted on the units present."""
    return Rules(
        BallotKind.CHOOSE,
        quota=places_left(rules, count),
        threshold=Decimal(0),
        denominator=Denominator.PRESENT,
        secret=rules.secret,
    )
