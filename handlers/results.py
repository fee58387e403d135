"""/results: the results of closed ballots with their chart, and for the secretariat and chair
the meeting's documents; /audit recomputes the hash chain and recounts every ballot."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.policy import Action, may
from bot.messages import Reply, rows
from bot.render import ballots as render
from bot.services.ballot_views import BallotResult

from .actions import encode, number
from .context import Ctx
from .documents import meeting_buttons
from .notices import ChatNotices


def result_replies(ctx: Ctx, result: BallotResult) -> list[Reply]:
    """The result with its chart and the minutes buttons: the same message members receive."""
    notices = ChatNotices()
    reply = notices.ballot_result(ctx.locale, result)
    return [replace(reply, photo=notices.result_chart(ctx.locale, result))]


async def list_results(ctx: Ctx, args: list[str]) -> list[Reply]:
    results = await ctx.services.counting.results(ctx.member)
    if not results:
        return ctx.say(ctx.t("result.none"))
    lines = [ctx.t("result.list_head")]
    for result in results:
        with render.words_of(result.ballot):
            line = ctx.t(
                "result.list_line",
                number=result.ballot.number,
                award=result.ballot.award,
                winners=render.codes(result.winners),
            )
        lines.append(line)
    buttons = [
        (ctx.t("button.ballot_n", number=r.ballot.number), encode("res", str(r.ballot.id)))
        for r in results
    ]
    shown = rows(*[buttons[i : i + 4] for i in range(0, len(buttons), 4)])
    if may(ctx.member.roles, Action.MAKE_DOCUMENTS):  # the meeting's minutes and letters
        shown += meeting_buttons(ctx, await ctx.services.paperwork.meeting_papers(ctx.member))
    return ctx.say("\n".join(lines), shown)


async def show(ctx: Ctx, ballot_id: str) -> list[Reply]:
    return result_replies(ctx, await ctx.services.counting.result(ctx.member, number(ballot_id)))


async def audit(ctx: Ctx, args: list[str]) -> list[Reply]:
    report = await ctx.services.counting.audit(ctx.member)
    lines = [
        ctx.t(
            "audit.chain_ok" if report.broken_at is None else "audit.chain_broken",
            entries=report.entries,
            head=report.head[:16],
            entry=report.broken_at,
        )
    ]
    for meeting_id, ballot_number, ok in report.ballots:
        key = "audit.recount_ok" if ok else "audit.recount_bad"
        lines.append(ctx.t(key, meeting=meeting_id, number=ballot_number))
    lines.append(ctx.t("audit.all_ok" if report.ok else "audit.problems"))
    return ctx.say("\n".join(lines))
