"""/meeting: the chair or the secretariat opens and closes the review meeting and sees who is
present; a representative checks their unit in with one tap. /group marks the cluster's group."""

from __future__ import annotations

from bot.domain.policy import Action, may
from bot.messages import Button, Reply, rows
from bot.render import ballots as render
from bot.services.meetings import MeetingView
from bot.services.screens import SCREEN_HOURS, SCREEN_ROUTE

from .actions import encode
from .context import Ctx


async def show(ctx: Ctx, args: list[str]) -> list[Reply]:
    view = await ctx.services.meetings.current(ctx.member)
    return _card(ctx, view)


def _card(ctx: Ctx, view: MeetingView | None, *, edit: bool = False) -> list[Reply]:
    roles = ctx.member.roles
    manages = may(roles, Action.OPEN_MEETING)
    if view is None:
        if manages:
            return ctx.say(
                ctx.t("meeting.none_open_it"),
                rows([(ctx.t("button.open_meeting"), encode("mtg", "open"))]),
                edit=edit,
            )
        return ctx.say(ctx.t("meeting.none"), edit=edit)
    buttons = []
    unit_id = ctx.member.member.unit_id
    if may(roles, Action.CHECK_IN) and unit_id is not None and unit_id not in view.present_ids:
        buttons.append((ctx.t("button.check_in"), encode("mtg", "in")))
    buttons.append((ctx.t("button.refresh"), encode("mtg", "view")))
    second = []
    if may(roles, Action.MANAGE_BALLOT):
        second.append((ctx.t("button.ballots"), encode("bls", "0")))
    if manages or may(roles, Action.MANAGE_BALLOT):
        second.append((ctx.t("button.screen"), encode("mtg", "screen")))
    if manages:
        second.append((ctx.t("button.meeting_people"), encode("mtgp", "0")))
        second.append((ctx.t("button.close_meeting"), encode("mtg", "close")))
    return ctx.say(render.meeting_card(ctx.locale, view), rows(buttons, second), edit=edit)


async def pressed(ctx: Ctx, choice: str) -> list[Reply]:
    meetings = ctx.services.meetings
    if choice == "open":
        period = ctx.member.period.name if ctx.member.period else ""
        view = await meetings.open(ctx.member, ctx.t("meeting.default_title", period=period))
        return ctx.say(ctx.t("meeting.opened"), edit=True) + _card(ctx, view)
    if choice == "in":
        return await check_in(ctx, [])
    if choice == "close":
        view = await meetings.close(ctx.member)
        return ctx.say(
            ctx.t("meeting.closed", title=view.meeting.title, present=len(view.present)), edit=True
        )
    if choice == "view":
        return _card(ctx, await meetings.current(ctx.member), edit=True)
    if choice == "screen":
        return await _screen_link(ctx)
    return ctx.say(ctx.t("error.stale_button"))


async def _screen_link(ctx: Ctx) -> list[Reply]:
    """A read-only link to the meeting's projector page, for the chair or secretariat."""
    base = ctx.services.settings.web_url
    if base is None:
        return ctx.say(ctx.t("screen.no_address"))
    token = await ctx.services.screens.issue(ctx.member)
    url = f"{base}{SCREEN_ROUTE}/{token}"
    text = ctx.t("screen.link", url=url, hours=SCREEN_HOURS)
    return ctx.say(text, ((Button(ctx.t("button.screen"), "", url=url),),))


async def check_in(ctx: Ctx, args: list[str]) -> list[Reply]:
    view, fresh = await ctx.services.meetings.check_in(ctx.member)
    unit = ctx.member.for_own_unit(Action.CHECK_IN)  # the service checked it in
    key = "meeting.checked_in" if fresh else "meeting.already_checked_in"
    text = ctx.t(
        key, unit=unit.name, code=unit.code, present=len(view.present), members=len(view.units)
    )
    running = view.open_ballot
    if fresh and running is not None:  # its papers went to the units present when it opened
        text += "\n" + ctx.t("meeting.late_for_ballot", number=running.number)
    return ctx.say(text)


async def mark_group(ctx: Ctx, args: list[str]) -> list[Reply]:
    if ctx.incoming.is_private:
        return ctx.say(ctx.t("group.use_in_group"))
    await ctx.services.meetings.set_group_chat(
        ctx.member, ctx.incoming.channel, ctx.incoming.chat_id
    )
    return ctx.say(ctx.t("group.marked", cluster=ctx.member.cluster.name))
