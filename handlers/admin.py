"""The secretariat's set-up: import the cluster file, list and revoke invites."""

from __future__ import annotations

from bot.domain.errors import Forbidden, InvalidInput
from bot.domain.policy import Action, may
from bot.domain.scale_sheet import scale_yaml_from_rows
from bot.domain.scoring import fmt
from bot.messages import Reply
from bot.render import text as render
from bot.render.xlsx_reader import first_sheet_rows

from . import deadlines
from .context import Ctx
from .onboarding import private_only

MAX_CLUSTER_FILE_KB = 256


async def invites(ctx: Ctx, args: list[str]) -> list[Reply]:
    caller = ctx.member
    caller.require(Action.MANAGE_INVITES)
    if not ctx.incoming.is_private:
        return private_only(ctx)  # codes shown in a group would let anyone join as any unit
    views = await ctx.services.membership.invites(by=caller)
    link = lambda code: ctx.services.join_link(ctx.incoming.channel, code)  # noqa: E731
    text = render.invites(ctx.locale, caller.cluster.name, caller.cluster.timezone, views, link)
    # Representatives on the other platform join by typing the code to the bot there.
    for channel, account in ctx.services.accounts().items():
        if channel != ctx.incoming.channel and views:
            text += "\n" + ctx.t(
                "invites.other_channel",
                channel=channel.capitalize(),
                bot=account,
                code=views[0].invite.code,
            )
    return ctx.say(text)


async def revoke(ctx: Ctx, args: list[str]) -> list[Reply]:
    caller = ctx.member
    caller.require(Action.MANAGE_INVITES)
    if len(args) != 1:
        return ctx.say(ctx.t("revoke.usage"))
    view = await ctx.services.membership.revoke_invite(args[0], by=caller)
    return ctx.say(ctx.t("invites.revoked_ok", code=view.invite.code))


FILE_ACTIONS = (Action.IMPORT_CLUSTER, Action.MANAGE_DEADLINES, Action.IMPORT_CRITERIA)


async def upload(ctx: Ctx, args: list[str]) -> list[Reply]:
    """Where documents cannot be sent in the chat (Zalo): a link to a page that takes one."""
    if not any(may(ctx.member.roles, a) for a in FILE_ACTIONS):
        raise Forbidden(action=Action.IMPORT_CLUSTER.value)  # says who may
    if not ctx.incoming.is_private:
        return private_only(ctx)  # the link acts as its holder: it goes to them alone
    if ctx.services.takes_documents(ctx.incoming.channel):
        return ctx.say(ctx.t("upload.send_here"))
    link = await ctx.services.upload_link(ctx.incoming)
    if link is None:
        return ctx.say(ctx.t("upload.no_address"))
    minutes = ctx.services.settings.upload_link_minutes
    return ctx.say(ctx.t("upload.link", url=link, minutes=minutes))


async def file_received(ctx: Ctx) -> list[Reply]:
    """A file from the secretariat: a calendar of deadlines, a scale (YAML or Excel), or the
    cluster list."""
    caller = ctx.member
    if not any(may(caller.roles, a) for a in FILE_ACTIONS):
        raise Forbidden()
    attachment = ctx.attachment
    if attachment.file_name.lower().endswith(".xlsx") and attachment.data:
        # A scale typed in Excel, the way offices write it.
        caller.require(Action.IMPORT_CRITERIA)
        name = attachment.file_name.rsplit(".", 1)[0]
        return await scale_received(
            ctx, scale_yaml_from_rows(await first_sheet_rows(attachment.data), name)
        )
    if not attachment.file_name.lower().endswith((".yaml", ".yml")):
        raise InvalidInput("import.not_yaml")
    if attachment.byte_size > MAX_CLUSTER_FILE_KB * 1024:
        raise InvalidInput("import.too_large", limit=MAX_CLUSTER_FILE_KB)
    try:
        text = attachment.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("import.not_text") from None
    top = _top_level_key(text)
    if top == "calendar":
        return await deadlines.calendar_received(ctx, text)
    if top == "scale":
        return await scale_received(ctx, text)
    reports = await ctx.services.membership.import_cluster_file(text, by=caller)
    return ctx.say(render.import_reports(ctx.locale, reports))


def _top_level_key(text: str) -> str | None:
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#") and ":" in line:
            return line.split(":", 1)[0].strip()
    return None


async def scale_received(ctx: Ctx, text: str) -> list[Reply]:
    scoring_round, scale = await ctx.services.scoring.import_scale(ctx.member, text)
    return ctx.say(
        ctx.t(
            "scale.imported",
            round=scoring_round.title,
            count=len(scale.criteria),
            total=fmt(scale.total),
        )
    )
