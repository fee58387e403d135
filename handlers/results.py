"""/results: the results of closed ballots with their chart; the minutes (biên bản kiểm phiếu)
as PDF or Excel; /audit recomputes the hash chain and recounts every ballot."""

from __future__ import annotations

from dataclasses import replace

from bot.messages import Attachment, Reply, rows
from bot.render import ballots as render
from bot.render.minutes import minutes_pdf, minutes_xlsx
from bot.render.offload import offload
from bot.services.ballot_views import BallotResult

from .actions import encode, number
from .context import Ctx
from .notices import ChatNotices

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    return ctx.say("\n".join(lines), rows(*[buttons[i : i + 4] for i in range(0, len(buttons), 4)]))


async def show(ctx: Ctx, ballot_id: str) -> list[Reply]:
    return result_replies(ctx, await ctx.services.counting.result(ctx.member, number(ballot_id)))


async def minutes_pressed(ctx: Ctx, ballot_id: str, kind: str) -> list[Reply]:
    result = await ctx.services.counting.result(ctx.member, number(ballot_id))
    tz = ctx.services.settings.timezone
    name = f"bien-ban-kiem-phieu-{result.ballot.number}"
    if kind == "pdf":
        pdf = await offload(minutes_pdf, result, tz)
        document = Attachment(f"{name}.pdf", pdf, "application/pdf")
    elif kind == "xlsx":
        document = Attachment(f"{name}.xlsx", await offload(minutes_xlsx, result, tz), XLSX)
    else:
        return ctx.say(ctx.t("error.stale_button"))
    with render.words_of(result.ballot):
        note = ctx.t("result.minutes_ready", number=result.ballot.number)
    return [Reply(note, document=document)]


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
