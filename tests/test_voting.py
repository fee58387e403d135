"""Ballot rules, pure: quorum, valid choices, thresholds on both denominators, quotas, ties at the
cut (ranking, then run-off), elect-one majority, abstentions and invalid ballots."""

from decimal import Decimal

import pytest

from bot.domain.errors import InvalidInput
from bot.domain.voting import BallotKind, Denominator, Rules, check_choice, count, has_quorum

A, B, C, D = 1, 2, 3, 4
APPROVE1 = Rules(BallotKind.APPROVE, quota=1)


@pytest.mark.parametrize(
    "present, members, ok",
    [(9, 13, True), (8, 13, False), (10, 15, True), (9, 15, False), (0, 0, False)],
)
def test_quorum_is_two_thirds_of_member_units(present, members, ok):
    assert has_quorum(present, members) is ok


def test_too_many_choices_or_an_unknown_candidate_are_refused_before_casting():
    choose2 = Rules(BallotKind.CHOOSE, quota=2)
    assert check_choice(choose2, [A, B, C], frozenset({A, B})) == {A, B}
    with pytest.raises(InvalidInput) as caught:
        check_choice(choose2, [A, B, C], frozenset({A, B, C}))
    assert caught.value.key == "ballot.too_many"
    with pytest.raises(InvalidInput):
        check_choice(Rules(BallotKind.ELECT), [A, B], frozenset({A, B}))
    with pytest.raises(InvalidInput):
        check_choice(choose2, [A, B], frozenset({D}))
    assert check_choice(choose2, [A, B], frozenset()) == frozenset()  # abstaining is allowed


def test_threshold_is_more_than_half_of_all_member_units_by_default():
    ballots = [frozenset({A})] * 7 + [frozenset({B})] * 3
    result = count(APPROVE1, [A, B], ballots, members=13, present=10, issued=10)
    assert [(r.candidate, r.votes, r.passed) for r in result.candidates] == [
        (A, 7, True),
        (B, 3, False),
    ]
    assert result.winners == [A]
    exactly_half = count(APPROVE1, [A], [frozenset({A})] * 5, members=10, present=10, issued=10)
    assert exactly_half.winners == []  # 5 of 10 is not MORE than half


def test_threshold_on_units_present_and_a_higher_share():
    ballots = [frozenset({A})] * 6
    on_present = Rules(BallotKind.APPROVE, denominator=Denominator.PRESENT)
    assert count(on_present, [A], ballots, members=13, present=9, issued=9).winners == [A]
    assert count(APPROVE1, [A], ballots, members=13, present=9, issued=9).winners == []
    strict = Rules(BallotKind.APPROVE, threshold=Decimal("0.7"), denominator=Denominator.PRESENT)
    assert count(strict, [A], ballots, members=13, present=9, issued=9).winners == []


def test_more_passing_than_the_quota_takes_the_highest_counts():
    ballots = [frozenset({A, B, C})] * 8 + [frozenset({A, B})] * 2 + [frozenset({A})] * 2
    result = count(Rules(BallotKind.APPROVE, quota=2), [A, B, C], ballots, 13, 12, 12)
    assert result.winners == [A, B] and result.tied == []


def test_a_tie_at_the_cut_is_broken_by_the_ranking():
    ballots = [frozenset({A, B})] * 9
    result = count(APPROVE1, [A, B], ballots, 13, 9, 9, ranking={A: 2, B: 1})
    assert result.winners == [B] and result.tied == []


def test_a_tie_the_ranking_cannot_break_goes_to_a_run_off():
    ballots = [frozenset({A, B})] * 9
    result = count(APPROVE1, [A, B, C], ballots, 13, 9, 9)
    assert result.winners == [] and sorted(result.tied) == [A, B]
    same_rank = count(APPROVE1, [A, B], ballots, 13, 9, 9, ranking={A: 1, B: 1})
    assert sorted(same_rank.tied) == [A, B]


def test_elect_one_needs_a_majority():
    elect = Rules(BallotKind.ELECT)
    split = [frozenset({A})] * 6 + [frozenset({B})] * 6 + [frozenset()]
    assert count(elect, [A, B], split, 13, 13, 13).winners == []
    clear = [frozenset({A})] * 7 + [frozenset({B})] * 6
    assert count(elect, [A, B], clear, 13, 13, 13).winners == [A]


def test_abstentions_and_invalid_ballots_are_counted_apart():
    ballots = [frozenset({A}), frozenset(), None, frozenset({A, B, C})]
    result = count(Rules(BallotKind.CHOOSE, quota=2), [A, B, C], ballots, 5, 4, 4)
    assert (result.cast, result.invalid, result.valid, result.abstentions) == (4, 2, 2, 1)
    assert result.candidates[0].votes == 1
    assert result.candidates[0].share_of_issued == Decimal("0.25")


def test_bad_rules_are_refused():
    with pytest.raises(InvalidInput):
        Rules(BallotKind.CHOOSE, quota=0)
    with pytest.raises(InvalidInput):
        Rules(BallotKind.APPROVE, threshold=Decimal(1))
