"""The one authorization policy: may a member with these roles do this action here?

Every action of the product is listed, including those whose flows land in later issues, so the
whole permission matrix is reviewed (and table-tested) in one place.
"""

from __future__ import annotations

from enum import StrEnum

from .errors import Forbidden
from .models import Role

S, C, V, R, OBS = Role.SECRETARIAT, Role.CHAIR, Role.VICE_CHAIR, Role.UNIT_REP, Role.OBSERVER
EVERYONE = frozenset(Role)


class Action(StrEnum):
    VIEW_HELP = "view_help"
    SET_LANGUAGE = "set_language"
    VIEW_MEMBERS = "view_members"
    IMPORT_CLUSTER = "import_cluster"
    MANAGE_INVITES = "manage_invites"
    VIEW_CRITERIA = "view_criteria"
    IMPORT_CRITERIA = "import_criteria"
    SCORE_OWN_UNIT = "score_own_unit"
    VERIFY_SCORES = "verify_scores"
    CROSS_SCORE = "cross_score"  # verify the sheets assigned to one's own unit (chấm chéo)
    ASSIGN_VERIFIERS = "assign_verifiers"
    VIEW_SHEETS = "view_sheets"  # who has submitted, with totals (/sheets)
    RETURN_SHEET = "return_sheet"
    VIEW_RANKING = "view_ranking"
    EXPORT = "export"
    OPEN_MEETING = "open_meeting"
    CHECK_IN = "check_in"
    MANAGE_BALLOT = "manage_ballot"
    CAST_VOTE = "cast_vote"
    VIEW_RESULTS = "view_results"
    MANAGE_DEADLINES = "manage_deadlines"
    VIEW_DEADLINES = "view_deadlines"
    MARK_DEADLINE_DONE = "mark_deadline_done"
    BROADCAST = "broadcast"
    ACKNOWLEDGE = "acknowledge"
    VIEW_STATUS = "view_status"
    VERIFY_AUDIT = "verify_audit"
    MAKE_DOCUMENTS = "make_documents"  # the meeting's minutes and nomination letters


ALLOWED: dict[Action, frozenset[Role]] = {
    Action.VIEW_HELP: EVERYONE,
    Action.SET_LANGUAGE: EVERYONE,
    Action.VIEW_MEMBERS: EVERYONE,
    Action.IMPORT_CLUSTER: frozenset({S}),
    Action.MANAGE_INVITES: frozenset({S}),
    Action.VIEW_CRITERIA: EVERYONE,
    Action.IMPORT_CRITERIA: frozenset({S}),
    Action.SCORE_OWN_UNIT: frozenset({R}),
    Action.VERIFY_SCORES: frozenset({C, V}),
    Action.CROSS_SCORE: frozenset({R}),
    Action.ASSIGN_VERIFIERS: frozenset({S}),
    Action.VIEW_SHEETS: frozenset({S, C, V}),
    Action.RETURN_SHEET: frozenset({S}),
    Action.VIEW_RANKING: EVERYONE,
    Action.EXPORT: frozenset({S}),
    Action.OPEN_MEETING: frozenset({S, C}),
    Action.CHECK_IN: frozenset({R}),
    Action.MANAGE_BALLOT: frozenset({C}),
    Action.CAST_VOTE: frozenset({R}),
    Action.VIEW_RESULTS: EVERYONE,
    Action.MANAGE_DEADLINES: frozenset({S}),
    Action.VIEW_DEADLINES: EVERYONE,
    Action.MARK_DEADLINE_DONE: frozenset({R}),
    Action.BROADCAST: frozenset({S}),
    Action.ACKNOWLEDGE: EVERYONE,
    Action.VIEW_STATUS: frozenset({S, C}),
    Action.VERIFY_AUDIT: frozenset({S, C, OBS}),
    Action.MAKE_DOCUMENTS: frozenset({S, C}),
}

# Actions done on behalf of one unit: the member must represent exactly that unit.
UNIT_SCOPED = frozenset(
    {Action.SCORE_OWN_UNIT, Action.CHECK_IN, Action.CAST_VOTE, Action.MARK_DEADLINE_DONE}
)


def may(
    roles: frozenset[Role],
    action: Action,
    *,
    member_cluster_id: int | None = None,
    cluster_id: int | None = None,
    member_unit_id: int | None = None,
    unit_id: int | None = None,
) -> bool:
    """True when the roles allow the action and the target lies in the member's cluster/unit."""
    if not roles & ALLOWED[action]:
        return False
    if cluster_id is not None and cluster_id != member_cluster_id:
        return False
    if action in UNIT_SCOPED and unit_id is not None and unit_id != member_unit_id:
        return False
    return True


def require(roles: frozenset[Role], action: Action, **where: int | None) -> None:
    if not may(roles, action, **where):
        raise Forbidden(action=action.value)
