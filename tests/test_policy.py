"""The authorization policy as a table: every role × every action, written out by hand."""

import pytest

from bot.domain.errors import Forbidden
from bot.domain.models import Role
from bot.domain.policy import ALLOWED, Action, may, require

# Columns: secretariat, chair, vice chair, unit representative, observer.
EXPECTED = """
view_help           S C V R O
set_language        S C V R O
view_members        S C V R O
import_cluster      S . . . .
manage_invites      S . . . .
view_criteria       S C V R O
import_criteria     S . . . .
score_own_unit      . . . R .
verify_scores       . C V . .
cross_score         . . . R .
assign_verifiers    S . . . .
view_sheets         S C V . .
return_sheet        S . . . .
view_ranking        S C V R O
export              S . . . .
open_meeting        S C . . .
check_in            . . . R .
manage_ballot       . C . . .
cast_vote           . . . R .
view_results        S C V R O
manage_deadlines    S . . . .
view_deadlines      S C V R O
mark_deadline_done  . . . R .
broadcast           S . . . .
acknowledge         S C V R O
view_status         S C . . .
verify_audit        S C . . O
make_documents      S C . . .
"""
COLUMNS = (Role.SECRETARIAT, Role.CHAIR, Role.VICE_CHAIR, Role.UNIT_REP, Role.OBSERVER)
TABLE = {
    Action(name): dict(zip(COLUMNS, (flag != "." for flag in flags), strict=True))
    for name, *flags in (line.split() for line in EXPECTED.strip().splitlines())
}


def test_table_covers_every_action():
    assert set(TABLE) == set(Action) == set(ALLOWED)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", COLUMNS)
def test_role_may_do_action_exactly_as_the_table_says(role, action):
    assert may(frozenset({role}), action) is TABLE[action][role]


def test_member_of_another_cluster_is_refused():
    roles = frozenset({Role.SECRETARIAT})
    assert may(roles, Action.EXPORT, member_cluster_id=1, cluster_id=1)
    assert not may(roles, Action.EXPORT, member_cluster_id=1, cluster_id=2)


def test_unit_scoped_action_is_refused_for_another_unit():
    roles = frozenset({Role.UNIT_REP})
    assert may(roles, Action.CAST_VOTE, member_unit_id=3, unit_id=3)
    assert not may(roles, Action.CAST_VOTE, member_unit_id=3, unit_id=4)


def test_chair_who_is_also_representative_votes_only_for_own_unit():
    roles = frozenset({Role.UNIT_REP, Role.CHAIR})
    assert may(roles, Action.MANAGE_BALLOT)
    assert not may(roles, Action.CAST_VOTE, member_unit_id=1, unit_id=2)


def test_require_raises_forbidden_with_an_i18n_key():
    with pytest.raises(Forbidden) as caught:
        require(frozenset({Role.OBSERVER}), Action.CAST_VOTE)
    assert caught.value.key == "error.forbidden"
