"""Deadlines in chat: /deadlines for everyone, the /deadline flow and board for the secretariat,
"Đã nộp" for units, and the optional report file."""

from __future__ import annotations

from datetime import datetime

from bot.domain.deadlines import parse_due
from bot.domain.errors import InvalidInput
from bot.domain.models import Role
from bot.domain.policy import Action, may
from bot.messages import Attachment, Button, Reply, rows
from bot.render import deadlines as render
from bot.render.text import local_time
from bot.services.conversations import Step
from bot.services.deadlines import UNDO_MINUTES, Board

from .actions import encode, number
from .context import Ctx
from .onboarding import private_only
from .units import means_all, typed_unit_codes

NEW_TITLE = Step("deadline", "title")
MAX_REPORT_MB = 20


def _manager(ctx: Ctx) -> bool:
    return may(ctx.member.roles, Action.MANAGE_DEADLINES)


def _overseer(ctx: Ctx) -> bool:
    return may(ctx.member.roles, Action.VIEW_STATUS)


# -- everyone -----------------------------------------------------------------------------------


async def list_deadlines(ctx: Ctx, args: list[str]) -> list[Reply]:
    caller = ctx.member
    boards = await ctx.services.deadlines.boards(caller)
    if _overseer(ctx) or caller.unit is None:
        text = render.cluster_view(ctx.locale, boards)
        buttons = rows(
            [
                (f"{ctx.t('button.details')} {i}", encode("dl", str(b.deadline.id)))
                for i, b in enumerate(boards, start=1)
            ]
        )
        return ctx.say(text, _chunk(buttons))
    text = render.unit_view(ctx.locale, boards, caller.unit.id, caller.unit.name)
    numbered = list(enumerate(boards, start=1))
    owed = [
        (i, b)
        for i, b in numbered
        if b.deadline.reported_in_chat and _row(b, caller.unit.id).completion is None
    ]
    # What is asked and how to submit it are one tap away where the secretariat wrote them.
    described = [
        (i, b)
        for i, b in numbered
        if b.deadline.description or b.deadline.how or b.deadline.template_file_id
    ]
    buttons = rows(
        [(f"{ctx.t('button.done')} {i}", encode("done", str(b.deadline.id))) for i, b in owed],
        [
            (f"{ctx.t('button.details')} {i}", encode("dl", str(b.deadline.id)))
            for i, b in described
        ],
    )
    return ctx.say(text, _chunk(buttons))


async def show_deadline(ctx: Ctx, deadline_id: str, *, edit: bool = False) -> list[Reply]:
    board = await ctx.services.deadlines.board(ctx.member, number(deadline_id))
    return _detail(ctx, board, edit=edit)


def _detail(ctx: Ctx, board: Board, *, edit: bool = False) -> list[Reply]:
    """The whole board for those who oversee (secretariat, chair), with the secretariat's
    buttons; a representative's own unit otherwise, with "Đã nộp" while it owes the report."""
    caller = ctx.member
    deadline_id = str(board.deadline.id)
    unit_id = caller.member.unit_id
    text = render.detail(ctx.locale, board, unit_id=None if _overseer(ctx) else unit_id)
    buttons: list[tuple[Button, ...]] = []
    row = _row(board, unit_id) if unit_id in board.deadline.unit_ids else None
    if row is not None and row.completion is None and Role.UNIT_REP in caller.roles:
        owed = []
        if board.deadline.scoring_round:
            owed.append(Button(ctx.t("button.open_sheet"), encode("scsum", "open")))
        if board.deadline.reported_in_chat:
            owed.append(Button(ctx.t("button.done"), encode("done", deadline_id)))
        buttons.append(tuple(owed))
    if board.deadline.template_file_id:
        template = Button(ctx.t("button.template"), encode("dltpl", deadline_id), sends_file=True)
        buttons.append((template,))
    if _manager(ctx):
        buttons += _manager_buttons(ctx, board)
    return ctx.say(text, tuple(b for b in buttons if b), edit=edit)


def _manager_buttons(ctx: Ctx, board: Board) -> list[tuple[Button, ...]]:
    """A few buttons whatever the cluster's size: one tap to remind or confirm everyone, and
    reopening a unit goes through a second screen."""
    deadline_id = str(board.deadline.id)
    owing = sum(1 for r in board.rows if r.completion is None)
    unconfirmed = sum(1 for r in board.rows if r.completion and not r.completion.confirmed_at)
    reported = any(r.completion for r in board.rows)
    follow_up = []
    if owing and not board.deadline.is_event:
        follow_up.append(Button(ctx.t("button.nudge", count=owing), encode("dlnudge", deadline_id)))
    if unconfirmed:
        label = ctx.t("button.confirm_all", count=unconfirmed)
        follow_up.append(Button(label, encode("dlokall", deadline_id)))
    if reported:
        follow_up.append(Button(ctx.t("button.reopen_unit"), encode("dlre", deadline_id, "ask")))
    return [
        *_chunk((tuple(follow_up),), size=2),
        (
            Button(ctx.t("button.describe"), encode("dlset", deadline_id, "description")),
            Button(ctx.t("button.how"), encode("dlset", deadline_id, "how")),
            Button(ctx.t("button.set_template"), encode("dlset", deadline_id, "template")),
        ),
        (
            Button(ctx.t("button.move"), encode("dlmv", deadline_id)),
            Button(ctx.t("button.cancel_deadline"), encode("dlcx", deadline_id, "ask")),
        ),
    ]


async def nudge_pressed(ctx: Ctx, deadline_id: str) -> list[Reply]:
    count, held = await ctx.services.deadlines.nudge(ctx.member, number(deadline_id))
    board = await ctx.services.deadlines.board(ctx.member, number(deadline_id))
    text = ctx.t("deadline.nudged", count=count, title=board.deadline.title)
    if held is not None:
        text += " " + ctx.t("deadline.nudge_held", at=local_time(held, board.timezone))
    return ctx.say(text)


async def confirm_all_pressed(ctx: Ctx, deadline_id: str) -> list[Reply]:
    board = await ctx.services.deadlines.confirm_all(ctx.member, number(deadline_id))
    return [
        *ctx.say(ctx.t("deadline.confirmed_all", title=board.deadline.title)),
        *_detail(ctx, board),
    ]


async def template_pressed(ctx: Ctx, deadline_id: str) -> list[Reply]:
    name, mime_type, data = await ctx.services.deadlines.template(ctx.member, number(deadline_id))
    return [Reply(ctx.t("deadline.template_sent"), document=Attachment(name, data, mime_type))]


async def set_pressed(ctx: Ctx, deadline_id: str, field: str) -> list[Reply]:
    """Describe a deadline: what is asked, how to submit it, or its template file."""
    ctx.member.require(Action.MANAGE_DEADLINES)
    if field not in ("description", "how", "template"):
        return ctx.say(ctx.t("error.stale_button"))
    board = await ctx.services.deadlines.board(ctx.member, number(deadline_id))
    await ctx.expect(Step("deadline_set", field, {"deadline": board.deadline.id}))
    return ctx.say(ctx.t(f"deadline.ask_{field}", title=board.deadline.title))


async def detail_typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    if step.step == "template":
        return ctx.say(ctx.t("deadline.expect_template"))
    typed = "" if text.strip() in ("-", "–") else text  # "-" clears it
    deadline_id = step.data["deadline"]
    describe = ctx.services.deadlines.describe
    async with ctx.atomic():
        if step.step == "description":
            board = await describe(ctx.member, deadline_id, description=typed)
        else:
            board = await describe(ctx.member, deadline_id, how=typed)
        await ctx.finish()
    return ctx.say(ctx.t("deadline.described", title=board.deadline.title)) + _detail(ctx, board)


async def template_received(ctx: Ctx, step: Step) -> list[Reply]:
    attachment = ctx.attachment
    async with ctx.atomic():
        board = await ctx.services.deadlines.describe(
            ctx.member,
            step.data["deadline"],
            template=(attachment.file_name, attachment.mime_type, attachment.data or b""),
        )
        await ctx.finish()
    saved = ctx.t("deadline.template_saved", file=attachment.file_name, title=board.deadline.title)
    return ctx.say(saved) + _detail(ctx, board)


async def ask_done(ctx: Ctx, deadline_id: str) -> list[Reply]:
    """ "Đã nộp" pressed: one more tap to confirm, so a wrong button records nothing."""
    unit = ctx.member.for_own_unit(Action.MARK_DEADLINE_DONE)
    board = await ctx.services.deadlines.board(ctx.member, number(deadline_id))
    bid = str(board.deadline.id)
    return ctx.say(
        ctx.t("deadline.confirm_done", unit=unit.name, title=board.deadline.title),
        rows(
            [
                (ctx.t("button.confirm_done"), encode("doneok", bid)),
                (ctx.t("button.not_yet"), encode("dl", bid)),
            ]
        ),
    )


async def mark_done(ctx: Ctx, deadline_id: str) -> list[Reply]:
    async with ctx.atomic():
        board = await ctx.services.deadlines.mark_done(ctx.member, number(deadline_id))
        await ctx.expect(Step("report", "file", {"deadline": board.deadline.id}))
    unit = ctx.member.for_own_unit(Action.MARK_DEADLINE_DONE)
    undo = (ctx.t("button.undo_done", minutes=UNDO_MINUTES), encode("doneundo", deadline_id))
    return ctx.say(
        ctx.t("deadline.done_ok", unit=unit.name, title=board.deadline.title), rows([undo])
    )


async def undo_done(ctx: Ctx, deadline_id: str) -> list[Reply]:
    async with ctx.atomic():
        board = await ctx.services.deadlines.undo_done(ctx.member, number(deadline_id))
        await ctx.finish()  # no report file is expected any more
    again = rows([(ctx.t("button.done"), encode("done", str(board.deadline.id)))])
    return ctx.say(ctx.t("deadline.undone", title=board.deadline.title), again, edit=True)


async def report_file_received(ctx: Ctx, step: Step) -> list[Reply]:
    attachment = ctx.attachment
    if attachment.byte_size > MAX_REPORT_MB * 1024 * 1024 or not attachment.data:
        raise InvalidInput("import.too_large", limit=MAX_REPORT_MB * 1024)
    deadline_id = step.data["deadline"]
    async with ctx.atomic():
        await ctx.services.deadlines.attach_report(
            ctx.member, deadline_id, attachment.file_name, attachment.data
        )
        await ctx.finish()
    board = await ctx.services.deadlines.board(ctx.member, deadline_id)
    return ctx.say(
        ctx.t("deadline.report_ok", file=attachment.file_name, title=board.deadline.title)
    )


async def report_text_received(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    return ctx.say(ctx.t("deadline.expect_file"))


# -- the secretariat ----------------------------------------------------------------------------


async def new_deadline(ctx: Ctx, args: list[str]) -> list[Reply]:
    ctx.member.require(Action.MANAGE_DEADLINES)
    if not ctx.incoming.is_private:
        return private_only(ctx)
    await ctx.expect(NEW_TITLE)
    return ctx.say(ctx.t("deadline.ask_title"))


async def title_typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    ctx.member.require(Action.MANAGE_DEADLINES)
    title = " ".join(text.split())
    if not 3 <= len(title) <= 200:
        raise InvalidInput("deadline.bad_title", limit=200)
    await ctx.expect(Step("deadline", "due", {"title": title}))
    return ctx.say(ctx.t("deadline.ask_due"))


async def due_typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    caller = ctx.member
    caller.require(Action.MANAGE_DEADLINES)
    due = parse_due(text, caller.cluster.timezone, ctx.services.clock.now())
    await ctx.expect(Step("deadline", "units", {**step.data, "due": due.isoformat()}))
    return ctx.say(
        ctx.t("deadline.ask_units"), rows([(ctx.t("button.all_units"), encode("dlnew", "all"))])
    )


async def units_typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    codes = None if means_all(text) else await typed_unit_codes(ctx, text)  # None: every unit
    return await _ask_confirm(ctx, step, codes)


async def _ask_confirm(ctx: Ctx, step: Step, codes: list[str] | None) -> list[Reply]:
    caller = ctx.member
    caller.require(Action.MANAGE_DEADLINES)
    roster = await ctx.services.membership.roster(caller)
    known = {u.unit.code for u in roster.units}
    await ctx.expect(Step("deadline", "confirm", {**step.data, "units": codes}))
    units = (
        ctx.t("deadline.units_some", codes=", ".join(codes))
        if codes
        else ctx.t("deadline.units_all", count=len(known))
    )
    due = datetime.fromisoformat(step.data["due"])
    text = ctx.t(
        "deadline.ask_confirm",
        title=step.data["title"],
        due=local_time(due, caller.cluster.timezone),
        units=units,
    )
    return ctx.say(
        text,
        rows(
            [
                (ctx.t("button.create"), encode("dlnew", "create")),
                (ctx.t("button.create_monthly"), encode("dlnew", "monthly")),
            ],
            [(ctx.t("button.abort"), encode("dlnew", "abort"))],
        ),
    )


async def new_deadline_choice(ctx: Ctx, choice: str) -> list[Reply]:
    """A button of the /deadline flow; it only counts at the step that showed it."""
    step = await ctx.step()
    if step is None or step.flow != "deadline":
        return ctx.say(ctx.t("error.stale_button"))
    if choice == "abort":
        await ctx.finish()
        return ctx.say(ctx.t("cancel.done"), edit=True)
    if choice == "all" and step.step == "units":
        return await _ask_confirm(ctx, step, None)
    if choice in ("create", "monthly") and step.step == "confirm":
        async with ctx.atomic():
            board = await ctx.services.deadlines.create(
                ctx.member,
                step.data["title"],
                datetime.fromisoformat(step.data["due"]),
                step.data["units"],
                recurrence="monthly" if choice == "monthly" else None,
            )
            await ctx.finish()
        return ctx.say(
            ctx.t(
                "deadline.created",
                title=board.deadline.title,
                due=render.due(board),
                units=len(board.rows),
            ),
            edit=True,
        )
    return ctx.say(ctx.t("error.stale_button"))


async def move_pressed(ctx: Ctx, deadline_id: str) -> list[Reply]:
    ctx.member.require(Action.MANAGE_DEADLINES)
    board = await ctx.services.deadlines.board(ctx.member, number(deadline_id))
    await ctx.expect(Step("deadline_move", "due", {"deadline": board.deadline.id}))
    return ctx.say(ctx.t("deadline.ask_new_due", title=board.deadline.title))


async def new_due_typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    caller = ctx.member
    caller.require(Action.MANAGE_DEADLINES)
    due = parse_due(text, caller.cluster.timezone, ctx.services.clock.now())
    async with ctx.atomic():
        board = await ctx.services.deadlines.move(caller, step.data["deadline"], due)
        await ctx.finish()
    return ctx.say(ctx.t("deadline.moved", title=board.deadline.title, due=render.due(board)))


async def cancel_pressed(ctx: Ctx, deadline_id: str, stage: str) -> list[Reply]:
    caller = ctx.member
    caller.require(Action.MANAGE_DEADLINES)
    if stage == "yes":
        board = await ctx.services.deadlines.cancel(caller, number(deadline_id))
        return ctx.say(ctx.t("deadline.cancelled_ok", title=board.deadline.title), edit=True)
    board = await ctx.services.deadlines.board(caller, number(deadline_id))
    return ctx.say(
        ctx.t("deadline.ask_cancel", title=board.deadline.title),
        rows(
            [
                (ctx.t("button.confirm_cancel"), encode("dlcx", deadline_id, "yes")),
                (ctx.t("button.abort"), encode("dl", deadline_id)),
            ]
        ),
    )


async def confirm_pressed(ctx: Ctx, deadline_id: str, unit_id: str) -> list[Reply]:
    board = await ctx.services.deadlines.confirm(ctx.member, number(deadline_id), number(unit_id))
    unit = next(r.unit for r in board.rows if r.unit.id == number(unit_id))
    return [
        *ctx.say(ctx.t("deadline.confirm_ok", unit=unit.code, title=board.deadline.title)),
        *_detail(ctx, board),
    ]


async def reopen_pressed(ctx: Ctx, deadline_id: str, unit_id: str) -> list[Reply]:
    if unit_id == "ask":  # which unit: only those that reported
        ctx.member.require(Action.MANAGE_DEADLINES)
        board = await ctx.services.deadlines.board(ctx.member, number(deadline_id))
        choices = [
            Button(f"↺ {r.unit.code}", encode("dlre", deadline_id, str(r.unit.id)))
            for r in board.rows
            if r.completion
        ]
        back = (Button(ctx.t("button.abort"), encode("dl", deadline_id)),)
        text = ctx.t("deadline.ask_reopen", title=board.deadline.title)
        return ctx.say(text, (*_chunk((tuple(choices),)), back))
    board = await ctx.services.deadlines.reopen(ctx.member, number(deadline_id), number(unit_id))
    unit = next(r.unit for r in board.rows if r.unit.id == number(unit_id))
    return [
        *ctx.say(ctx.t("deadline.reopen_ok", unit=unit.code, title=board.deadline.title)),
        *_detail(ctx, board),
    ]


async def calendar_received(ctx: Ctx, text: str) -> list[Reply]:
    boards, skipped = await ctx.services.deadlines.import_calendar(ctx.member, text)
    lines = [ctx.t("calendar.done", count=len(boards))]
    lines += render.digest(ctx.locale, boards).splitlines()[1:-1]
    lines += [f"• {ctx.t(key, **params)}" for key, params in skipped]
    return ctx.say("\n".join(lines))


# -- helpers ------------------------------------------------------------------------------------


def _row(board: Board, unit_id: int):
    return next(r for r in board.rows if r.unit.id == unit_id)


def _chunk(button_rows, size: int = 4):
    """Split long button rows so they fit a phone screen."""
    out = []
    for row in button_rows:
        out += [tuple(row[i : i + size]) for i in range(0, len(row), size)]
    return tuple(out)
