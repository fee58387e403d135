"""/vote: a representative fills in the unit's ballot (marks travel in the buttons, never stored
half-filled), reviews it, confirms, and gets a private receipt code."""

from __future__ import annotations

import re

from bot.domain.errors import InvalidInput
from bot.domain.typed import whole_number
from bot.domain.voting import BallotKind
from bot.messages import Reply, rows
from bot.render import ballots as render
from bot.services.ballot_views import BallotView
from bot.services.conversations import Step

from .actions import encode, number
from .choices import decode_mask, encode_mask, toggled
from .context import Ctx
from .onboarding import private_only


async def start(ctx: Ctx, args: list[str]) -> list[Reply]:
    if not ctx.incoming.is_private:
        return private_only(ctx)
    views = await ctx.services.polling.open_for_me(ctx.member)
    if not views:
        return await _nothing_to_vote(ctx)
    if args:  # "/vote 2": ballot number 2
        wanted = whole_number(args[0], 1)
        chosen = [v for v in views if v.ballot.number == wanted]
        if not chosen:
            numbers = ", ".join(str(v.ballot.number) for v in views)
            return ctx.say(ctx.t("vote.not_waiting", number=args[0][:8], numbers=numbers))
        return await _paper(ctx, chosen[0], frozenset())
    if len(views) == 1:
        return await _paper(ctx, views[0], frozenset())
    return ctx.say(
        ctx.t("vote.choose_ballot"),
        rows(
            *[
                [(render.ballot_line(ctx.locale, v.ballot), encode("vote", str(v.ballot.id), "0"))]
                for v in views
            ]
        ),
    )


async def _nothing_to_vote(ctx: Ctx) -> list[Reply]:
    """No paper for the unit: if that is because it has not checked in, say so and offer it."""
    meeting = await ctx.services.meetings.current(ctx.member)
    unit = ctx.member.unit
    if meeting is None or unit is None or unit.id in meeting.present_ids:
        return ctx.say(ctx.t("vote.none_open"))
    return ctx.say(
        ctx.t("vote.not_checked_in", title=meeting.meeting.title),
        rows([(ctx.t("button.check_in"), encode("mtg", "in"))]),
    )


async def paper_pressed(ctx: Ctx, ballot_id: str, mask: str) -> list[Reply]:
    """Open the paper, or toggle a mark (the mask is the marks after the toggle)."""
    chosen = decode_mask(mask)
    if chosen is None:
        return ctx.say(ctx.t("error.stale_button"))
    view = await ctx.services.polling.ballot_paper(ctx.member, number(ballot_id))
    limit = view.ballot.rules.max_choices
    if len(chosen) > limit:
        return ctx.say(ctx.t("ballot.too_many", limit=limit))
    if any(p >= len(view.candidates) for p in chosen):
        return ctx.say(ctx.t("error.stale_button"))
    return await _paper(ctx, view, chosen, edit=True)


async def _paper(
    ctx: Ctx, view: BallotView, chosen: frozenset[int], *, edit: bool = False
) -> list[Reply]:
    ballot = view.ballot
    bid = str(ballot.id)
    elect = ballot.rules.kind == BallotKind.ELECT
    marks = []
    for position, unit in enumerate(view.candidates):
        if elect:  # one tap picks and goes to the review
            action = encode("vrev", bid, encode_mask(frozenset({position})))
            label = unit.code
        else:
            action = encode("vote", bid, encode_mask(toggled(chosen, position)))
            label = ("☑ " if position in chosen else "☐ ") + unit.code
        marks.append((label, action))
    grid = [marks[i : i + 3] for i in range(0, len(marks), 3)]
    finish = []
    if not elect:
        finish.append((ctx.t("button.review_vote"), encode("vrev", bid, encode_mask(chosen))))
    if ballot.rules.kind != BallotKind.APPROVE:
        finish.append((ctx.t("button.blank_vote"), encode("vrev", bid, "0")))
    # The unit's codes may be typed instead ("BLU, CTO"): the step keeps the ballot's id only,
    # never a mark.
    await ctx.expect(Step("vote", "paper", {"ballot": ballot.id}))
    return ctx.say(render.paper(ctx.locale, view, chosen), rows(*grid, finish), edit=edit)


async def codes_typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    """Candidates typed by code on an open paper: straight to the review, nothing stored."""
    view = await ctx.services.polling.ballot_paper(ctx.member, step.data["ballot"])
    position = {unit.code: i for i, unit in enumerate(view.candidates)}
    typed = [c for c in re.split(r"[\s,;]+", text.upper()) if c]
    unknown = [c for c in typed if c not in position]
    if unknown or not typed:
        raise InvalidInput(
            "vote.unknown_codes",
            codes=", ".join(unknown)[:60] or "–",
            candidates=", ".join(position),
        )
    chosen = frozenset(position[c] for c in typed)
    if len(chosen) > view.ballot.rules.max_choices:
        raise InvalidInput("ballot.too_many", limit=view.ballot.rules.max_choices)
    return _review(ctx, view, chosen, edit=False)


async def review_pressed(ctx: Ctx, ballot_id: str, mask: str) -> list[Reply]:
    chosen = decode_mask(mask)
    if chosen is None:
        return ctx.say(ctx.t("error.stale_button"))
    view = await ctx.services.polling.ballot_paper(ctx.member, number(ballot_id))
    if len(chosen) > view.ballot.rules.max_choices or any(
        p >= len(view.candidates) for p in chosen
    ):
        raise InvalidInput("ballot.too_many", limit=view.ballot.rules.max_choices)
    return _review(ctx, view, chosen, edit=True)


def _review(ctx: Ctx, view: BallotView, chosen: frozenset[int], *, edit: bool) -> list[Reply]:
    ballot_id, mask = str(view.ballot.id), encode_mask(chosen)
    return ctx.say(
        render.review(ctx.locale, view, chosen),
        rows(
            [(ctx.t("button.cast_vote"), encode("vcast", ballot_id, mask))],
            [(ctx.t("button.change_vote"), encode("vote", ballot_id, mask))],
        ),
        edit=edit,
    )


async def cast_pressed(ctx: Ctx, ballot_id: str, mask: str) -> list[Reply]:
    chosen = decode_mask(mask)
    if chosen is None:
        return ctx.say(ctx.t("error.stale_button"))
    async with ctx.atomic():
        await ctx.services.polling.cast(ctx.member, number(ballot_id), chosen)
        await ctx.finish()
    # The receipt follows in a message of its own, queued with the cast itself: delivered once,
    # even if the bot stops right now.
    return ctx.say(ctx.t("vote.cast"), edit=True)
