"""/broadcast: the secretariat writes an announcement, picks the audience, optionally attaches a
file, confirms; recipients press "Đã nhận"; the secretariat sees delivery and acknowledgements."""

from __future__ import annotations

from bot.domain.errors import InvalidInput
from bot.domain.policy import Action
from bot.messages import Reply, rows
from bot.services.broadcasts import MAX_TEXT, BroadcastStatus
from bot.services.conversations import Step

from .actions import encode, number
from .context import Ctx
from .onboarding import private_only
from .units import typed_unit_codes

FLOW = "broadcast"


async def _step(ctx: Ctx) -> Step | None:
    step = await ctx.step()
    return step if step is not None and step.flow == FLOW else None


async def _remember(ctx: Ctx, step: str, data: dict) -> None:
    await ctx.expect(Step(FLOW, step, data))


async def start(ctx: Ctx, args: list[str]) -> list[Reply]:
    ctx.member.require(Action.BROADCAST)
    if not ctx.incoming.is_private:
        return private_only(ctx)
    recent = await ctx.services.broadcasts.recent(ctx.member)
    await _remember(ctx, "text", {})
    replies = []
    if recent:
        lines = [ctx.t("broadcast.recent")]
        lines += [_summary_line(ctx, i, s) for i, s in enumerate(recent, start=1)]
        buttons = rows(
            [
                (f"{ctx.t('button.status')} {i}", encode("bcst", str(s.id)))
                for i, s in enumerate(recent, start=1)
            ]
        )
        replies += ctx.say("\n".join(lines), buttons)
    return replies + ctx.say(ctx.t("broadcast.ask_text"))


async def text_typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    ctx.member.require(Action.BROADCAST)
    if len(text) > MAX_TEXT:
        raise InvalidInput("broadcast.bad_text", limit=MAX_TEXT)
    await _remember(ctx, "audience", {"text": text})
    return _ask_audience(ctx)


def _ask_audience(ctx: Ctx) -> list[Reply]:
    return ctx.say(
        ctx.t("broadcast.ask_audience"),
        rows(
            [
                (ctx.t("button.audience_all"), encode("bcto", "all")),
                (ctx.t("button.audience_reps"), encode("bcto", "reps")),
            ],
            [(ctx.t("button.audience_units"), encode("bcto", "units"))],
        ),
    )


async def file_received(ctx: Ctx, step: Step) -> list[Reply]:
    """A file sent while choosing the audience travels with the announcement."""
    attachment = ctx.attachment
    if not attachment.data:
        raise InvalidInput("import.too_large", limit=20 * 1024)
    file_id = await ctx.services.broadcasts.store_file(ctx.member, attachment)
    await _remember(
        ctx, "audience", {**step.data, "file_id": file_id, "file_name": attachment.file_name}
    )
    return ctx.say(ctx.t("broadcast.file_attached", file=attachment.file_name)) + _ask_audience(ctx)


async def audience_pressed(ctx: Ctx, audience: str) -> list[Reply]:
    step = await _step(ctx)
    if step is None or step.step != "audience":
        return ctx.say(ctx.t("error.stale_button"))
    if audience == "units":
        await _remember(ctx, "units", step.data)
        return ctx.say(ctx.t("deadline.ask_units"))
    return await _confirm(ctx, {**step.data, "audience": audience, "units": None})


async def units_typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    codes = await typed_unit_codes(ctx, text)
    return await _confirm(ctx, {**step.data, "audience": "units", "units": codes})


async def _confirm(ctx: Ctx, data: dict) -> list[Reply]:
    ctx.member.require(Action.BROADCAST)
    await _remember(ctx, "confirm", data)
    audience = (
        ", ".join(data["units"])
        if data["audience"] == "units"
        else ctx.t(f"broadcast.audience.{data['audience']}")
    )
    attached = ctx.t("broadcast.with_file", file=data["file_name"]) if data.get("file_id") else ""
    return ctx.say(
        ctx.t("broadcast.ask_confirm", text=data["text"], audience=audience) + attached,
        rows(
            [
                (ctx.t("button.send"), encode("bcgo", "send")),
                (ctx.t("button.abort"), encode("bcgo", "abort")),
            ]
        ),
    )


async def confirm_pressed(ctx: Ctx, choice: str) -> list[Reply]:
    step = await _step(ctx)
    if step is None or step.step != "confirm":
        return ctx.say(ctx.t("error.stale_button"))
    if choice != "send":
        await ctx.finish()
        return ctx.say(ctx.t("cancel.done"), edit=True)
    data = step.data
    async with ctx.atomic():
        status = await ctx.services.broadcasts.send(
            ctx.member, data["text"], data["audience"], data.get("units"), data.get("file_id")
        )
        await ctx.finish()
    return ctx.say(
        ctx.t("broadcast.sent", count=len(status.recipients)),
        rows([(ctx.t("button.status"), encode("bcst", str(status.id)))]),
        edit=True,
    )


async def acknowledge(ctx: Ctx, broadcast_id: str) -> list[Reply]:
    fresh = await ctx.services.broadcasts.acknowledge(ctx.member, number(broadcast_id))
    return ctx.say(ctx.t("broadcast.acknowledged" if fresh else "broadcast.already_acknowledged"))


async def show_status(ctx: Ctx, broadcast_id: str) -> list[Reply]:
    status = await ctx.services.broadcasts.status(ctx.member, number(broadcast_id))
    lines = [_summary_line(ctx, None, status)]
    failed = [r for r in status.recipients if r.delivery == "failed"]
    if failed:
        lines.append(ctx.t("broadcast.failed_list", people=_people(failed)))
    if status.missing:
        lines.append(ctx.t("broadcast.missing_list", people=_people(status.missing)))
    return ctx.say(
        "\n".join(lines), rows([(ctx.t("button.refresh"), encode("bcst", broadcast_id))]), edit=True
    )


def _summary_line(ctx: Ctx, index: int | None, status: BroadcastStatus) -> str:
    head = f"{index}. " if index else ""
    preview = status.text if len(status.text) <= 60 else status.text[:57] + "…"
    return head + ctx.t(
        "broadcast.status_line",
        text=preview,
        total=len(status.recipients),
        sent=status.count("sent"),
        failed=status.count("failed"),
        acknowledged=status.acknowledged,
    )


def _people(recipients) -> str:
    return ", ".join(
        f"{r.member.display_name}" + (f" ({r.unit.code})" if r.unit else "") for r in recipients
    )
