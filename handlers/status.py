"""/status (/tinhhinh): one screen per role of what stands and what is owed."""

from __future__ import annotations

from bot.domain.errors import NotFound
from bot.domain.models import Role
from bot.domain.policy import Action, may
from bot.messages import Reply, rows
from bot.render import status as render

from .actions import encode
from .context import Ctx


async def show(ctx: Ctx, args: list[str]) -> list[Reply]:
    caller = ctx.member
    services = ctx.services
    boards = await services.deadlines.boards(caller)
    meeting = await services.meetings.current(caller) if _may_see_meeting(caller.roles) else None
    replies: list[Reply] = []
    if may(caller.roles, Action.VIEW_STATUS) or caller.unit is None:
        sheets = None
        if may(caller.roles, Action.VIEW_SHEETS):
            try:
                scoring_round, _ = await services.scoring.current(caller)
                sheets = (scoring_round.title, await services.verification.sheet_lines(caller))
            except NotFound:  # no scale yet
                sheets = None
        text = render.cluster_picture(ctx.locale, caller.cluster.name, boards, sheets, meeting)
        overview = rows([(ctx.t("button.my_deadlines"), encode("menu", "deadlines"))])
        replies += ctx.say(text, overview)
    if Role.UNIT_REP in caller.roles and caller.unit is not None:
        unit = caller.unit
        try:
            sheet = await services.scoring.sheet(caller)
        except NotFound:
            sheet = None
        to_vote = [v.ballot.number for v in await services.polling.open_for_me(caller)]
        mine = [b for b in boards if unit.id in b.deadline.unit_ids]
        text = render.unit_picture(ctx.locale, unit, sheet, mine, meeting, to_vote)
        buttons: list[tuple[str, str]] = []
        if sheet is not None and sheet.editable:
            buttons.append((ctx.t("button.open_sheet"), encode("scsum", "open")))
        buttons.append((ctx.t("button.my_deadlines"), encode("menu", "deadlines")))
        replies += ctx.say(text, rows(buttons))
    return replies


def _may_see_meeting(roles) -> bool:
    return may(roles, Action.OPEN_MEETING) or may(roles, Action.CHECK_IN)
