"""/verify for the chair and vice chair (thẩm định), the unit's answer, and /sheets where the
secretariat follows submissions and returns a sheet for correction."""

from __future__ import annotations

from bot.domain.errors import InvalidInput
from bot.domain.policy import Action, may
from bot.domain.scoring import SheetStatus, fmt, parse_verification
from bot.messages import Button, Reply, rows
from bot.render import scoring as render
from bot.services.conversations import Step
from bot.services.scoring_views import SHEETS_ROUTE

from .actions import encode, number
from .context import Ctx
from .onboarding import private_only


async def list_for_verification(ctx: Ctx, args: list[str]) -> list[Reply]:
    if not ctx.incoming.is_private:
        return private_only(ctx)
    scoring_round, _ = await ctx.services.scoring.current(ctx.member)
    lines = await ctx.services.verification.to_verify(ctx.member)
    waiting = [line for line in lines if line.status == SheetStatus.SUBMITTED]
    text = render.sheet_lines(ctx.locale, scoring_round.title, lines)
    if not waiting:
        return ctx.say(text + "\n" + ctx.t("verify.none_submitted"))
    buttons = [
        Button(f"{ctx.t('button.verify')} {line.unit.code}", encode("vf", str(line.unit.id)))
        for line in waiting
    ]
    return ctx.say(text, _rows_of(buttons))


async def reverify(ctx: Ctx, unit_id: str) -> list[Reply]:
    """From a unit's comment on its verification: the sheet is taken up again."""
    await ctx.services.verification.reopen_verification(ctx.member, number(unit_id))
    return await open_sheet(ctx, unit_id)


async def open_sheet(ctx: Ctx, unit_id: str) -> list[Reply]:
    review = await ctx.services.verification.review(ctx.member, number(unit_id))
    await ctx.expect(Step("verify", "entry", {"unit": review.unit.id}))
    text = render.review(ctx.locale, review) + "\n\n" + ctx.t("verify.prompt")
    return ctx.say(
        text, rows([(ctx.t("button.finish_verification"), encode("vfok", str(review.unit.id)))])
    )


async def verified_typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    unit_id = step.data["unit"]
    review = await ctx.services.verification.review(ctx.member, unit_id)
    entries = parse_verification(review.scale, text)
    review = await ctx.services.verification.set_verified(ctx.member, unit_id, entries)
    return ctx.say(
        ctx.t("verify.saved", count=len(entries)) + "\n" + render.review(ctx.locale, review),
        rows([(ctx.t("button.finish_verification"), encode("vfok", str(unit_id)))]),
    )


async def finish(ctx: Ctx, unit_id: str) -> list[Reply]:
    async with ctx.atomic():
        review = await ctx.services.verification.finish_verification(ctx.member, number(unit_id))
        await ctx.finish()
    return ctx.say(
        ctx.t(
            "verify.finished",
            unit=review.unit.name,
            final=fmt(review.final_totals.total),
            own=fmt(review.own_totals.total),
        ),
        edit=True,
    )


async def answer(ctx: Ctx, round_id: str, choice: str) -> list[Reply]:
    if choice == "yes":
        await ctx.services.verification.answer_verification(ctx.member, accepted=True)
        return ctx.say(ctx.t("verify.answer_sent"), edit=True)
    sheet = await ctx.services.scoring.sheet(ctx.member)
    if sheet.status != SheetStatus.VERIFIED or str(sheet.round.id) != round_id:
        return ctx.say(ctx.t("verify.nothing_to_answer"))
    await ctx.expect(Step("verify_answer", "comment"))
    return ctx.say(ctx.t("verify.ask_comment"))


async def comment_typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    async with ctx.atomic():
        await ctx.services.verification.answer_verification(
            ctx.member, accepted=False, comment=text
        )
        await ctx.finish()
    return ctx.say(ctx.t("verify.answer_sent"))


async def list_sheets(ctx: Ctx, args: list[str]) -> list[Reply]:
    caller = ctx.member
    scoring_round, _ = await ctx.services.scoring.current(caller)
    lines = await ctx.services.verification.sheet_lines(caller)
    buttons: list[Button] = []
    if may(caller.roles, Action.RETURN_SHEET):
        owing = sum(1 for line in lines if line.status.editable or line.status == SheetStatus.NONE)
        if owing:
            buttons.append(Button(ctx.t("button.nudge", count=owing), encode("scnudge", "0")))
        buttons += [
            Button(f"{ctx.t('button.return')} {line.unit.code}", encode("rtn", str(line.unit.id)))
            for line in lines
            if line.status.returnable
        ]
    if may(caller.roles, Action.IMPORT_CRITERIA):
        buttons.append(Button(ctx.t("button.reopen_round"), encode("rrop", "0")))
    web = await _side_by_side_link(ctx)
    text = render.sheet_lines(ctx.locale, scoring_round.title, lines)
    return ctx.say(text, _rows_of(buttons) + (((web,),) if web else ()))


async def _side_by_side_link(ctx: Ctx) -> Button | None:
    """Every sheet side by side on the web, where this chat opens web pages: a link of the
    person's own (Telegram with a public address, Zalo, an interactive console)."""
    settings, channel = ctx.services.settings, ctx.incoming.channel
    telegram = channel == "telegram" and settings.webhook_url
    if not (telegram or ctx.services.pages_by_link(channel)) or settings.web_url is None:
        return None
    token = await ctx.services.page_links.issue(ctx.member, "sheets")
    return Button(ctx.t("button.sheets_web"), "", url=f"{settings.web_url}{SHEETS_ROUTE}/{token}")


async def nudge_pressed(ctx: Ctx, _: str) -> list[Reply]:
    reminded = await ctx.services.verification.nudge_unsubmitted(ctx.member)
    codes = ", ".join(u.code for u in reminded)
    return ctx.say(ctx.t("sheet.nudged", count=len(reminded), codes=codes))


async def reopen_round_pressed(ctx: Ctx, _: str) -> list[Reply]:
    ctx.member.require(Action.IMPORT_CRITERIA)
    await ctx.expect(Step("reopen", "reason"))
    return ctx.say(ctx.t("round.ask_reason"))


async def reopen_reason_typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    async with ctx.atomic():
        returned = await ctx.services.verification.reopen_round(ctx.member, text)
        await ctx.finish()
    return ctx.say(ctx.t("round.reopened", count=returned))


async def return_pressed(ctx: Ctx, unit_id: str) -> list[Reply]:
    ctx.member.require(Action.RETURN_SHEET)
    lines = await ctx.services.verification.sheet_lines(ctx.member)
    line = next((x for x in lines if x.unit.id == number(unit_id)), None)
    if line is None or not line.status.returnable:
        return ctx.say(ctx.t("error.stale_button"))
    await ctx.expect(Step("return", "reason", {"unit": line.unit.id}))
    return ctx.say(ctx.t("sheet.ask_return_reason", unit=line.unit.name))


async def return_reason_typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    async with ctx.atomic():
        line = await ctx.services.verification.return_sheet(ctx.member, step.data["unit"], text)
        await ctx.finish()
    return ctx.say(ctx.t("sheet.returned_ok", unit=line.unit.name))


def _rows_of(buttons: list[Button], size: int = 3):
    return tuple(tuple(buttons[i : i + size]) for i in range(0, len(buttons), size))


async def cross_scoring(ctx: Ctx, args: list[str]) -> list[Reply]:
    """/crossscore: who verifies whom. `AGG=BLU, BLU=CTO` sets pairs (AGG is verified by BLU);
    the button rotates (each unit is verified by the next one)."""
    verification = ctx.services.verification
    if args:
        pairs = {}
        for part in " ".join(args).replace(";", ",").split(","):
            unit, sep, verifier = part.partition("=")
            if not sep or not unit.strip() or not verifier.strip():
                raise InvalidInput("cross.usage")
            pairs[unit.strip().upper()] = verifier.strip().upper()
        assignments = await verification.assign_cross_scoring(ctx.member, pairs)
    else:
        assignments = await verification.cross_scoring(ctx.member)
    return ctx.say(
        _assignments_text(ctx, assignments), rows([(ctx.t("button.rotate"), encode("ccrot", "0"))])
    )


async def rotate_pressed(ctx: Ctx, _: str) -> list[Reply]:
    assignments = await ctx.services.verification.assign_cross_scoring(ctx.member, None)
    return ctx.say(_assignments_text(ctx, assignments), edit=True)


def _assignments_text(ctx: Ctx, assignments) -> str:
    lines = [ctx.t("cross.head")]
    lines += [
        ctx.t("cross.line", unit=u.code, verifier=v.code if v else "–") for u, v in assignments
    ]
    lines.append(ctx.t("cross.usage"))
    return "\n".join(lines)
