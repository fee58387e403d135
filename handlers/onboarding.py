"""Joining by invite, the main menu, language, and the member list."""

from __future__ import annotations

from bot.config import LOCALES
from bot.domain.errors import InviteUnusable, NotAMember
from bot.domain.invites import looks_like_invite
from bot.domain.policy import Action
from bot.messages import Button, Reply, rows
from bot.render import text as render
from bot.services.conversations import Step

from .actions import encode
from .context import Ctx

JOIN = Step("join", "code")


async def start(ctx: Ctx, args: list[str]) -> list[Reply]:
    if args:
        return await _join(ctx, args[0])
    if ctx.caller is None:
        if not ctx.incoming.is_private:
            return private_only(ctx)
        await ctx.expect(JOIN)
        return ctx.say(ctx.t("join.ask_code"))
    return main_menu(ctx)


def main_menu(ctx: Ctx) -> list[Reply]:
    buttons = rows(
        [
            (ctx.t("button.members"), encode("menu", "members")),
            (ctx.t("button.help"), encode("menu", "help")),
            (ctx.t("button.lang"), encode("menu", "lang")),
        ]
    )
    return ctx.say(render.menu(ctx.locale, ctx.member), buttons)


def private_only(ctx: Ctx) -> list[Reply]:
    """Private steps continue in the private chat, with a button that opens it."""
    link = ctx.services.private_link(ctx.incoming.channel)
    buttons = ((Button(ctx.t("button.private_chat"), url=link),),) if link else ()
    return ctx.say(ctx.t("error.private_only"), buttons)


async def stranger_typed(ctx: Ctx, text: str) -> list[Reply]:
    """Someone not yet a member: a code typed on its own joins (Zalo has no deep links),
    anything else gets the 'how to join' answer."""
    if not looks_like_invite(text):
        raise NotAMember()
    return await _join_typed(ctx, text)


async def join_code_typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    """The answer to 'type your invite code'; a wrong code keeps the person at this step."""
    return await _join_typed(ctx, text)


async def _join_typed(ctx: Ctx, text: str) -> list[Reply]:
    try:
        return await _join(ctx, text)
    except InviteUnusable as error:
        return ctx.say(ctx.t(error.key, **error.params) + "\n" + ctx.t("join.retry"))


async def _join(ctx: Ctx, code: str) -> list[Reply]:
    incoming = ctx.incoming
    if not incoming.is_private:
        # An invite code posted in a group would let anyone there join as that unit.
        return private_only(ctx)
    # The platform's UI language is not adopted: Vietnamese stays the default until /lang.
    async with ctx.atomic():
        caller = await ctx.services.membership.join(
            incoming.channel, incoming.user_id, incoming.display_name, code
        )
        await ctx.finish()
    ctx.caller = caller
    return ctx.say(render.welcome(ctx.locale, caller))


async def cancel(ctx: Ctx, args: list[str]) -> list[Reply]:
    if await ctx.step() is None:
        return ctx.say(ctx.t("cancel.nothing"))
    await ctx.finish()
    return ctx.say(ctx.t("cancel.done"))


async def language(ctx: Ctx, args: list[str]) -> list[Reply]:
    if args:
        return await choose_language(ctx, args[0].lower())
    ctx.member.require(Action.SET_LANGUAGE)
    buttons = rows([(ctx.t(f"lang.name.{code}"), encode("lang", code)) for code in LOCALES])
    return ctx.say(ctx.t("lang.choose"), buttons)


async def choose_language(ctx: Ctx, locale: str) -> list[Reply]:
    await ctx.services.membership.set_locale(ctx.member, locale)
    ctx.caller = await ctx.services.membership.identify(ctx.incoming.channel, ctx.incoming.user_id)
    return ctx.say(ctx.t("lang.set"), edit=True)


async def members(ctx: Ctx, args: list[str]) -> list[Reply]:
    roster = await ctx.services.membership.roster(ctx.member)
    return ctx.say(render.roster(ctx.locale, roster))
