"""Official documents in chat, as PDF and as Word: a ballot's vote-count minutes (from its result),
the meeting's minutes and a nomination letter per award (from /results), the score summary (from
/export); and the meeting's place and people, which they record (from /meeting)."""

from __future__ import annotations

from bot.domain.documents import names, person_and_position, place_text
from bot.domain.errors import InvalidInput
from bot.domain.policy import Action, may
from bot.messages import Attachment, Button, Reply
from bot.render import ballots as ballot_render
from bot.render.offload import offload
from bot.services.conversations import Step
from bot.services.paperwork import MeetingPapers

from .actions import encode, number
from .context import Ctx

# The documents' builders and writers load when a document is first made, not at start-up.
FORMATS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PEOPLE_STEPS = ("place", "chair", "secretary", "counters")


def _writer(fmt: str):
    if fmt == "pdf":
        from bot.render.pdf_writer import pdf_bytes

        return pdf_bytes
    from bot.render.docx_writer import docx_bytes

    return docx_bytes


async def _file(ctx: Ctx, document, fmt: str, note: str) -> list[Reply]:
    mime = FORMATS[fmt]
    data = await offload(_writer(fmt), document)  # a worker process: other chats go on
    return [Reply(note, document=Attachment(f"{document.file_stem}.{fmt}", data, mime))]


def format_buttons(ctx: Ctx, what: str, prefix: str = "") -> tuple[Button, Button]:
    """PDF to print and sign, Word to finish first; `prefix` names the document on the button."""
    return (
        Button(prefix + ctx.t("button.doc_pdf"), encode("doc", what, "pdf"), sends_file=True),
        Button(prefix + ctx.t("button.doc_docx"), encode("doc", what, "docx"), sends_file=True),
    )


# -- a ballot's minutes -------------------------------------------------------------------------


async def minutes_pressed(ctx: Ctx, ballot_id: str, fmt: str) -> list[Reply]:
    from bot.render.official import vote_minutes
    from bot.render.xlsx_document import document_xlsx

    result, letter = await ctx.services.paperwork.ballot_minutes(ctx.member, number(ballot_id))
    with ballot_render.words_of(result.ballot):
        note = ctx.t("result.minutes_ready", number=result.ballot.number)
    document = vote_minutes(result, letter, ctx.member.cluster.timezone)
    if fmt == "xlsx":
        data = await offload(document_xlsx, document, "Biên bản kiểm phiếu")
        name = f"{document.file_stem}.xlsx"
        return [Reply(note, document=Attachment(name, data, XLSX))]
    if fmt not in FORMATS:
        return ctx.say(ctx.t("error.stale_button"))
    return await _file(ctx, document, fmt, note)


# -- the meeting's minutes, nomination letters, the score summary -------------------------------


def meeting_buttons(ctx: Ctx, papers: MeetingPapers) -> tuple[tuple[Button, ...], ...]:
    """For those who make documents: the meeting's minutes, then a letter per award."""
    out: list[tuple[Button, ...]] = [
        (Button(ctx.t("button.doc_meeting"), encode("doc", "meeting", "ask")),)
    ]
    for index, award in enumerate(papers.awards()):
        label = ctx.t("button.doc_nomination", award=award[:30])
        out.append((Button(label, encode("doc", f"a{index}", "ask")),))
    return tuple(out)


async def document_pressed(ctx: Ctx, what: str, fmt: str) -> list[Reply]:
    """`what`: meeting | a<award index> | summary; `fmt`: ask (which format?) | pdf | docx."""
    if fmt == "ask":
        return ctx.say(ctx.t("documents.which_format"), (format_buttons(ctx, what),))
    if fmt not in FORMATS:
        return ctx.say(ctx.t("error.stale_button"))
    if what == "summary":
        return await _summary(ctx, fmt)
    from bot.render.official import meeting_minutes, nomination, nominees_of, record_of

    paperwork = ctx.services.paperwork
    papers = await paperwork.meeting_papers(ctx.member)
    tz = ctx.member.cluster.timezone
    minutes_letter = await paperwork.meeting_letter(ctx.member, papers)
    if what == "meeting":
        document = meeting_minutes(record_of(papers), minutes_letter, tz)
        return await _file(ctx, document, fmt, ctx.t("documents.meeting_ready"))
    awards = papers.awards()
    index = number(what[1:]) if what.startswith("a") else -1
    if not 0 <= index < len(awards):
        return ctx.say(ctx.t("error.stale_button"))
    award = awards[index]
    letter = await paperwork.nomination_letter(ctx.member, papers, award)
    document = nomination(
        award,
        nominees_of(papers, award),
        letter,
        minutes_letter.number_line("BB"),
        papers.meeting.opened_at.astimezone(letter.issued_at.tzinfo),
    )
    return await _file(ctx, document, fmt, ctx.t("documents.nomination_ready", award=award))


async def _summary(ctx: Ctx, fmt: str) -> list[Reply]:
    from bot.render.official import score_summary

    export = await ctx.services.scoring.export(ctx.member)
    letter = await ctx.services.paperwork.summary_letter(ctx.member, export.round.key)
    document = score_summary(export, letter)
    return await _file(ctx, document, fmt, ctx.t("documents.summary_ready"))


# -- the meeting's place and people -------------------------------------------------------------


async def people_pressed(ctx: Ctx, _: str) -> list[Reply]:
    """Four typed answers, each skippable with "-": place, chair, secretary, counting board."""
    ctx.member.require(Action.OPEN_MEETING)
    people = await ctx.services.paperwork.people(ctx.member)
    await ctx.expect(Step("people", "place"))
    current = ctx.t(
        "people.current",
        place=people.place or "–",
        chair=", ".join(p for p in (people.chair_name, people.chair_position) if p) or "–",
        secretary=people.secretary_name or "–",
        counters="; ".join(people.counters) or "–",
    )
    return ctx.say(current + "\n\n" + ctx.t("people.ask_place"))


async def people_typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    if text.strip() not in ("-", "–"):
        await ctx.services.paperwork.set_people(ctx.member, **_read(step.step, text))
    following = PEOPLE_STEPS.index(step.step) + 1
    if following < len(PEOPLE_STEPS):
        await ctx.expect(Step("people", PEOPLE_STEPS[following]))
        return ctx.say(ctx.t(f"people.ask_{PEOPLE_STEPS[following]}"))
    await ctx.finish()
    people = await ctx.services.paperwork.people(ctx.member)
    done = ctx.t(
        "people.saved",
        place=people.place or "–",
        chair=", ".join(p for p in (people.chair_name, people.chair_position) if p) or "–",
        secretary=people.secretary_name or "–",
        counters="; ".join(people.counters) or "–",
    )
    buttons: tuple[tuple[Button, ...], ...] = ()
    if may(ctx.member.roles, Action.MAKE_DOCUMENTS):
        buttons = meeting_buttons(ctx, await ctx.services.paperwork.meeting_papers(ctx.member))
    return ctx.say(done, buttons)


def _read(step: str, text: str) -> dict[str, object]:
    if step == "place":
        return {"place": place_text(text)}
    if step == "chair":
        name, position = person_and_position(text)
        return {"chair_name": name, "chair_position": position}
    if step == "secretary":
        name, _ = person_and_position(text)
        return {"secretary_name": name}
    if step == "counters":
        return {"counters": names(text)}
    raise InvalidInput("error.stale_button")
