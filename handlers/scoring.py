"""/criteria, /score and /ranking: a representative walks the sheet item by item (buttons and
typed numbers) or pastes all lines at once, reviews the summary, and submits with confirmation."""

from __future__ import annotations

import re

from bot.domain.errors import InvalidInput
from bot.domain.policy import Action
from bot.domain.scale_sheet import is_score_template, scores_from_template_rows
from bot.domain.scoring import Criterion, fmt, is_bulk, parse_bulk
from bot.messages import Attachment, Button, Reply, rows
from bot.render import scoring as render
from bot.render.charts import ranking_chart
from bot.render.offload import offload
from bot.render.xlsx import score_template, score_workbook
from bot.render.xlsx_reader import first_sheet_rows
from bot.services.conversations import Step
from bot.services.scoring_views import SHEET_ROUTE, SheetView
from bot.services.screens import PAGE_HOURS

from .actions import encode
from .context import Ctx
from .documents import format_buttons
from .onboarding import private_only


async def show_criteria(ctx: Ctx, args: list[str]) -> list[Reply]:
    scoring_round, scale = await ctx.services.scoring.current(ctx.member)
    return ctx.say(render.criteria(ctx.locale, scoring_round.title, scale))


async def start(ctx: Ctx, args: list[str]) -> list[Reply]:
    if not ctx.incoming.is_private:
        return private_only(ctx)
    view = await ctx.services.scoring.sheet(ctx.member)
    nxt = _next_unscored(view, None) if view.editable else None
    if nxt is not None:
        return await _whole_sheet(ctx) + await _card(ctx, view, nxt)
    # The summary also takes typed entries ("B.1 = 0"); on a submitted sheet they are answered
    # with why they cannot change it, not with "not understood".
    await ctx.expect(Step("score", "summary", {}))
    return _summary(ctx, view) if view.editable else ctx.say(render.summary(ctx.locale, view))


async def _whole_sheet(ctx: Ctx) -> list[Reply]:
    """The whole sheet on one screen, beside the card-by-card chat for those who prefer it: on
    Telegram (with a public HTTPS address) a Mini App; on Zalo, which has none (and in an
    interactive console), a signed link of the person's own."""
    settings = ctx.services.settings
    channel = ctx.incoming.channel
    if channel == "telegram" and settings.webhook_url:
        url = settings.webhook_url.rstrip("/") + SHEET_ROUTE
        button = Button(ctx.t("button.open_form"), "", url=url, web_app=True)
        return ctx.say(ctx.t("score.open_form"), ((button,),))
    if ctx.services.pages_by_link(channel) and settings.web_url:
        token = await ctx.services.page_links.issue(ctx.member, "sheet")
        url = f"{settings.web_url}{SHEET_ROUTE}#link={token}"
        return ctx.say(ctx.t("score.open_form_link", url=url, hours=PAGE_HOURS))
    return []


async def summary_typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    """Typed at the summary: entries and notes that name their item."""
    if not (await ctx.services.scoring.sheet(ctx.member)).editable:
        raise InvalidInput("score.read_only")  # submitted: say why nothing typed changes it
    note = NOTE.match(text)
    if note is not None and (note.group(1) or step.data.get("code")):
        return await _note(ctx, step, note.group(1), note.group(2))
    if note is None and is_bulk(text):
        return await _bulk(ctx, text)
    raise InvalidInput("score.name_the_item")


async def _bulk(ctx: Ctx, text: str) -> list[Reply]:
    scoring = ctx.services.scoring
    view = await scoring.sheet(ctx.member)
    scores = parse_bulk(view.scale, text)
    saved = await scoring.set_scores(ctx.member, scores)
    # At the summary that follows, the item last typed is the one a "Ghi chú: …" is about.
    await ctx.expect(Step("score", "summary", {"code": list(scores)[-1]}))
    return ctx.say(ctx.t("score.bulk_saved", count=len(scores))) + _summary(ctx, saved)


async def _note(ctx: Ctx, step: Step, named: str, note: str) -> list[Reply]:
    code = step.data.get("code", "")
    if named:
        view = await ctx.services.scoring.sheet(ctx.member)
        criterion = view.scale.typed_criterion(named)
        if criterion is None:
            raise InvalidInput("score.note_unknown_item", code=named[:16])
        code = criterion.code
    view = await ctx.services.scoring.annotate(ctx.member, code, note=note)
    saved = ctx.t("score.note_saved_for", code=code)
    return ctx.say(saved) + await _card(ctx, view, view.scale.item(code))


async def goto(ctx: Ctx, code: str, *, edit: bool = True) -> list[Reply]:
    view = await ctx.services.scoring.sheet(ctx.member)
    criterion = view.scale.criterion(code)
    if criterion is None or not view.editable:
        return ctx.say(ctx.t("error.stale_button"))
    return await _card(ctx, view, criterion, edit=edit)


async def correct(ctx: Ctx, code: str) -> list[Reply]:
    """From the notice of a returned sheet: the card comes below it, the reason stays read."""
    return await goto(ctx, code, edit=False)


# "Ghi chú: …" for the item last touched, "Ghi chú B.1: …" for a named one.
NOTE = re.compile(r"^\s*(?:ghi chú|ghi chu|note)\s*([^\s:]*)\s*:(.*)$", re.IGNORECASE | re.DOTALL)


async def typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    scoring = ctx.services.scoring
    note = NOTE.match(text)
    if note is not None:
        return await _note(ctx, step, note.group(1), note.group(2))
    if is_bulk(text):  # "1.1 = 9,5" lines, or several on one line
        return await _bulk(ctx, text)
    code = step.data["code"]
    view = await scoring.set_scores(ctx.member, {code: text})
    nxt = _next_unscored(view, code) or _following(view, code)
    if nxt is None:
        return _summary(ctx, view)
    return await _card(ctx, view, nxt)


async def template_pressed(ctx: Ctx, _: str) -> list[Reply]:
    view = await ctx.services.scoring.sheet(ctx.member)
    unit = ctx.member.for_own_unit(Action.SCORE_OWN_UNIT)
    data = score_template(ctx.locale, unit.name, view)
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"tu-cham-{unit.code}-{view.round.key}.xlsx"
    return [Reply(ctx.t("score.template_ready"), document=Attachment(name, data, mime))]


async def evidence_received(ctx: Ctx, step: Step) -> list[Reply]:
    """A file sent while an item's card is open: the filled Excel form, or else that item's
    evidence (minh chứng)."""
    attachment = ctx.attachment
    if attachment.file_name.lower().endswith(".xlsx") and attachment.data:
        view = await ctx.services.scoring.sheet(ctx.member)
        rows = await first_sheet_rows(attachment.data)
        if is_score_template(rows):
            scores, notes = scores_from_template_rows(view.scale, rows)
            saved = await ctx.services.scoring.set_scores(ctx.member, scores, notes)
            return ctx.say(ctx.t("score.bulk_saved", count=len(scores))) + _summary(ctx, saved)
    view = await ctx.services.scoring.annotate(ctx.member, step.data["code"], evidence=attachment)
    return ctx.say(ctx.t("score.evidence_saved", file=attachment.file_name)) + await _card(
        ctx, view, view.scale.item(step.data["code"])
    )


async def summary_pressed(ctx: Ctx, arg: str) -> list[Reply]:
    if arg == "open":  # from a reminder: the sheet where it stands, below the reminder
        return await start(ctx, [])
    return _summary(ctx, await ctx.services.scoring.sheet(ctx.member), edit=True)


async def submit_pressed(ctx: Ctx, stage: str) -> list[Reply]:
    view = await ctx.services.scoring.sheet(ctx.member)
    if stage != "yes":
        if view.totals.missing:
            raise InvalidInput(
                "score.incomplete",
                count=len(view.totals.missing),
                codes=", ".join(view.totals.missing[:10]),
            )
        ask = ctx.t("score.confirm_submit", total=fmt(view.totals.total))
        if view.unchanged_since_return:  # a returned sheet sent back as it was: say so first
            ask = ctx.t("score.unchanged_since_return") + "\n" + ask
        return ctx.say(
            ask,
            rows(
                [
                    (ctx.t("button.submit_confirm"), encode("scsub", "yes")),
                    (ctx.t("button.keep_editing"), encode("scsum", "0")),
                ]
            ),
            edit=True,
        )
    async with ctx.atomic():
        submitted = await ctx.services.scoring.submit(ctx.member)
        await ctx.finish()
    return ctx.say(render.submitted(ctx.locale, submitted, ctx.member.cluster.timezone), edit=True)


async def show_ranking(ctx: Ctx, args: list[str]) -> list[Reply]:
    ranking = await ctx.services.scoring.ranking(ctx.member)
    text = render.ranking(ctx.locale, ranking)
    if not ranking.rows:
        return ctx.say(text)
    mine = ctx.member.unit.code if ctx.member.unit else None
    image = await offload(ranking_chart, ctx.locale, ranking, mine)
    chart = Attachment("xep-hang.png", image, "image/png")
    return [Reply(text, photo=chart)]


async def export_workbook(ctx: Ctx, args: list[str]) -> list[Reply]:
    caller = ctx.member
    if not ctx.incoming.is_private:
        return private_only(ctx)
    from bot.render.official import score_summary  # loaded when first needed

    export = await ctx.services.scoring.export(caller)
    letter = await ctx.services.paperwork.summary_letter(caller, export.round.key)
    data = await offload(score_workbook, ctx.locale, score_summary(export, letter), export)
    name = f"bang-diem-{export.round.key}.xlsx"
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    # The score summary an office signs, as PDF or Word, one tap away.
    summary = (format_buttons(ctx, "summary", ctx.t("button.summary_prefix")),)
    return [
        Reply(
            ctx.t("export.ready", round=export.round.title, units=len(export.sheets)),
            summary,
            document=Attachment(name, data, mime),
            locale=ctx.locale,
        )
    ]


async def _card(ctx: Ctx, view: SheetView, criterion: Criterion, *, edit: bool = False):
    await ctx.expect(Step("score", "item", {"code": criterion.code}))
    order = [c.code for c in view.scale.criteria]
    index = order.index(criterion.code)
    nav = []
    if index > 0:
        nav.append((ctx.t("button.previous"), encode("sc", order[index - 1])))
    if index + 1 < len(order):
        nav.append((ctx.t("button.next"), encode("sc", order[index + 1])))
    nav.append((ctx.t("button.summary"), encode("scsum", "0")))
    # Jump to a group (and to the bonus and deduction items) in one tap.
    jumps = [(g.code, encode("sc", g.items[0].code)) for g in view.scale.groups if g.items]
    if view.scale.bonus:
        jumps.append((ctx.t("button.bonus"), encode("sc", view.scale.bonus[0].code)))
    if view.scale.deductions:
        jumps.append((ctx.t("button.deductions"), encode("sc", view.scale.deductions[0].code)))
    # The Excel form is only worth offering where it can be sent back.
    takes_documents = ctx.services.takes_documents(ctx.incoming.channel)
    excel = [(ctx.t("button.excel_form"), encode("sctpl", "0"))] if takes_documents else []
    buttons = rows(nav, jumps, excel)
    card = render.item_card(ctx.locale, view, criterion, takes_documents=takes_documents)
    return ctx.say(card, buttons, edit=edit)


def _summary(ctx: Ctx, view: SheetView, *, edit: bool = False) -> list[Reply]:
    buttons: tuple[tuple[Button, ...], ...] = ()
    if view.editable:
        first = _next_unscored(view, None) or view.scale.criteria[0]
        buttons = rows(
            [
                (ctx.t("button.submit"), encode("scsub", "ask")),
                (ctx.t("button.keep_editing"), encode("sc", first.code)),
            ]
        )
    return ctx.say(render.summary(ctx.locale, view), buttons, edit=edit)


def _next_unscored(view: SheetView, after: str | None) -> Criterion | None:
    """The next required item without a score, after `after` (wrapping to the start)."""
    required = [c for g in view.scale.groups for c in g.items]
    codes = [c.code for c in required]
    start = codes.index(after) + 1 if after in codes else 0
    for criterion in required[start:] + required[:start]:
        if criterion.code not in view.scores:
            return criterion
    return None


def _following(view: SheetView, code: str) -> Criterion | None:
    """The item right after `code` in the whole sheet (bonus and deductions included)."""
    order = list(view.scale.criteria)
    codes = [c.code for c in order]
    index = codes.index(code)
    return order[index + 1] if index + 1 < len(order) else None
