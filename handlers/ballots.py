"""/ballot: the chair drafts a ballot (award, kind, quota, candidates), adjusts its rules, opens
it, watches the turnout, reminds the units still to vote, closes it, and settles a tie."""

from __future__ import annotations

from bot.domain.errors import InvalidInput
from bot.domain.policy import Action
from bot.domain.typed import whole_number
from bot.domain.voting import BallotKind, BallotStatus
from bot.messages import Reply, rows
from bot.render import ballots as render
from bot.services.ballot_views import BallotResult, BallotView
from bot.services.conversations import Step

from .actions import encode, number
from .choices import decode_mask, encode_mask, toggled
from .context import Ctx
from .onboarding import private_only
from .results import result_replies
from .units import typed_unit_codes

FLOW = "ballot_new"
QUOTAS = (1, 2, 3, 5)
PROPOSAL_SIZE = 3


async def list_ballots(ctx: Ctx, args: list[str]) -> list[Reply]:
    if not ctx.incoming.is_private:
        return private_only(ctx)
    return await _list(ctx)


async def list_pressed(ctx: Ctx, _: str) -> list[Reply]:
    return await _list(ctx)


async def _list(ctx: Ctx) -> list[Reply]:
    ctx.member.require(Action.MANAGE_BALLOT)
    view = await ctx.services.meetings.current(ctx.member)
    if view is None:
        return ctx.say(ctx.t("meeting.none_open_it"))
    lines = [ctx.t("ballot.list_head", title=view.meeting.title)]
    lines += [render.ballot_line(ctx.locale, b) for b in view.ballots] or [ctx.t("ballot.none_yet")]
    buttons = [
        (ctx.t("button.ballot_n", number=b.number), encode("bv", str(b.id))) for b in view.ballots
    ]
    return ctx.say(
        "\n".join(lines),
        rows(
            *[buttons[i : i + 4] for i in range(0, len(buttons), 4)],
            [(ctx.t("button.new_ballot"), encode("bnew", "0"))],
        ),
    )


# -- drafting: award, kind, quota, candidates ------------------------------------------------


async def new_pressed(ctx: Ctx, _: str) -> list[Reply]:
    awards = await ctx.services.ballot_drafts.awards(ctx.member)
    if await ctx.services.meetings.current(ctx.member) is None:
        raise InvalidInput("meeting.none_open_it")
    await ctx.expect(Step(FLOW, "award", {}))
    buttons = [[(award, encode("baw", str(i)))] for i, award in enumerate(awards[:8])]
    return ctx.say(ctx.t("ballot.ask_award"), rows(*buttons))


async def award_pressed(ctx: Ctx, index: str) -> list[Reply]:
    awards = await ctx.services.ballot_drafts.awards(ctx.member)
    position = number(index)
    if position >= len(awards) or await _step(ctx, "award") is None:
        return ctx.say(ctx.t("error.stale_button"))
    return await _ask_kind(ctx, awards[position])


async def award_typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    ctx.member.require(Action.MANAGE_BALLOT)
    awards = (await ctx.services.ballot_drafts.awards(ctx.member))[:8]
    chosen = whole_number(text, 1, len(awards))  # the number of a listed award picks it
    award = awards[chosen - 1] if chosen else text.strip()
    if not award or len(award) > 200:
        raise InvalidInput("ballot.bad_award", limit=200)
    return await _ask_kind(ctx, award)


async def _ask_kind(ctx: Ctx, award: str) -> list[Reply]:
    await ctx.expect(Step(FLOW, "kind", {"award": award}))
    return ctx.say(
        ctx.t("ballot.ask_kind", award=award),
        rows(
            [(ctx.t("button.kind_approve"), encode("bkind", "approve"))],
            [(ctx.t("button.kind_choose"), encode("bkind", "choose"))],
            [(ctx.t("button.kind_elect"), encode("bkind", "elect"))],
        ),
        edit=True,
    )


async def kind_pressed(ctx: Ctx, kind: str) -> list[Reply]:
    step = await _step(ctx, "kind")
    if step is None or kind not in {k.value for k in BallotKind}:
        return ctx.say(ctx.t("error.stale_button"))
    data = {**step.data, "kind": kind}
    if kind == BallotKind.ELECT:
        return await _ask_candidates(ctx, {**data, "quota": 1})
    await ctx.expect(Step(FLOW, "quota", data))
    return ctx.say(
        ctx.t("ballot.ask_quota"),
        rows([(str(q), encode("bquota", str(q))) for q in QUOTAS]),
        edit=True,
    )


async def quota_pressed(ctx: Ctx, quota: str) -> list[Reply]:
    step = await _step(ctx, "quota")
    if step is None:
        return ctx.say(ctx.t("error.stale_button"))
    return await _ask_candidates(ctx, {**step.data, "quota": number(quota)})


async def quota_typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    quota = whole_number(text, 1, 40)
    if quota is None:
        raise InvalidInput("ballot.bad_quota", limit=40)
    return await _ask_candidates(ctx, {**step.data, "quota": quota})


async def _ask_candidates(ctx: Ctx, data: dict) -> list[Reply]:
    await ctx.expect(Step(FLOW, "candidates", data))
    size = max(PROPOSAL_SIZE, data["quota"] + 2)
    proposals = await ctx.services.ballot_drafts.proposals(ctx.member, size, data["award"])
    everyone = max((p.units for p in proposals), key=len, default=[])
    lines = [ctx.t("ballot.ask_candidates", example=_example(everyone))]
    buttons = []
    for i, proposal in enumerate(proposals, start=1):
        label = ctx.t(
            f"ballot.proposal.{proposal.source}",
            number=proposal.ballot_number,
            units=render.codes(proposal.units),
            count=len(proposal.units),
        )
        lines.append(f"{i}. {label}")
        buttons.append([(ctx.t("button.proposal_n", number=i), encode("bcand", str(i - 1)))])
    return ctx.say("\n".join(lines), rows(*buttons), edit=True)


def _example(units) -> str:
    """Codes of this cluster to show how a list is typed (e.g. "CTO, AGG, VLG")."""
    return ", ".join(u.code for u in list(units)[:3]) or "AGG, BLU"


async def candidates_pressed(ctx: Ctx, index: str) -> list[Reply]:
    step = await _step(ctx, "candidates")
    position = number(index)
    if step is None:
        return ctx.say(ctx.t("error.stale_button"))
    size = max(PROPOSAL_SIZE, step.data["quota"] + 2)
    proposals = await ctx.services.ballot_drafts.proposals(ctx.member, size, step.data["award"])
    if position >= len(proposals):
        return ctx.say(ctx.t("error.stale_button"))
    return await _draft(ctx, step, [u.code for u in proposals[position].units])


async def candidates_typed(ctx: Ctx, step: Step, text: str) -> list[Reply]:
    listed = whole_number(text)
    if listed is not None:  # the number of a listed proposal picks it
        return await candidates_pressed(ctx, str(listed - 1))
    return await _draft(ctx, step, await typed_unit_codes(ctx, text))


async def _draft(ctx: Ctx, step: Step, codes: list[str]) -> list[Reply]:
    data = step.data
    async with ctx.atomic():
        view = await ctx.services.ballot_drafts.draft(
            ctx.member, data["award"], BallotKind(data["kind"]), codes, data["quota"]
        )
        await ctx.finish()
    return _card(ctx, view, edit=ctx.incoming.action is not None)


async def _step(ctx: Ctx, name: str) -> Step | None:
    step = await ctx.step()
    return step if step is not None and step.flow == FLOW and step.step == name else None


# -- one ballot's card -----------------------------------------------------------------------


async def show(ctx: Ctx, ballot_id: str) -> list[Reply]:
    bid = number(ballot_id)
    view = await ctx.services.polling.view(ctx.member, bid)
    if view.ballot.status == BallotStatus.CLOSED:
        return await _result(ctx, await ctx.services.counting.result(ctx.member, bid))
    return _card(ctx, view, edit=True)


def _card(ctx: Ctx, view: BallotView, *, edit: bool = False) -> list[Reply]:
    ballot = view.ballot
    bid = str(ballot.id)
    text = render.ballot_card(ctx.locale, view)
    if ballot.status == BallotStatus.DRAFT:
        rule_buttons = [
            (ctx.t("button.rule_threshold"), encode("brule", bid, "threshold")),
            (ctx.t("button.rule_denominator"), encode("brule", bid, "denominator")),
            (ctx.t("button.rule_secret"), encode("brule", bid, "secret")),
        ]
        more = [
            (ctx.t("button.rule_tie"), encode("brule", bid, "tie")),
            (ctx.t("button.rule_close"), encode("brule", bid, "close")),
        ]
        if ballot.rules.kind != BallotKind.ELECT:
            more.insert(0, (ctx.t("button.rule_quota"), encode("brule", bid, "quota")))
        actions = [
            (ctx.t("button.open_ballot"), encode("bopen", bid)),
            (ctx.t("button.discard"), encode("bdel", bid)),
        ]
        return ctx.say(
            text + "\n" + ctx.t("ballot.draft_hint"), rows(rule_buttons, more, actions), edit=edit
        )
    return ctx.say(text, _open_buttons(ctx, bid), edit=edit)


def _open_buttons(ctx: Ctx, bid: str):
    return rows(
        [
            (ctx.t("button.refresh"), encode("bv", bid)),
            (ctx.t("button.remind_voters"), encode("brem", bid)),
        ],
        [(ctx.t("button.close_ballot"), encode("bclose", bid, "ask"))],
    )


async def rule_pressed(ctx: Ctx, ballot_id: str, rule: str) -> list[Reply]:
    view = await ctx.services.ballot_drafts.change_rule(ctx.member, number(ballot_id), rule)
    return _card(ctx, view, edit=True)


async def open_pressed(ctx: Ctx, ballot_id: str) -> list[Reply]:
    view = await ctx.services.polling.open(ctx.member, number(ballot_id))
    with render.words_of(view.ballot):
        text = ctx.t("ballot.opened", number=view.ballot.number, issued=view.issued)
    return ctx.say(text, edit=True)


async def discard_pressed(ctx: Ctx, ballot_id: str) -> list[Reply]:
    await ctx.services.ballot_drafts.discard(ctx.member, number(ballot_id))
    return ctx.say(ctx.t("ballot.discarded"), edit=True)


async def remind_pressed(ctx: Ctx, ballot_id: str) -> list[Reply]:
    missing = await ctx.services.polling.remind(ctx.member, number(ballot_id))
    if not missing:
        return ctx.say(ctx.t("ballot.nobody_to_remind"))
    return ctx.say(ctx.t("ballot.reminded", units=render.codes(missing)))


async def close_pressed(ctx: Ctx, ballot_id: str, answer: str) -> list[Reply]:
    bid = number(ballot_id)
    if answer != "yes":
        view = await ctx.services.polling.view(ctx.member, bid)
        if view.ballot.status != BallotStatus.OPEN:
            raise InvalidInput("ballot.not_open", number=view.ballot.number)
        return ctx.say(
            ctx.t(
                "ballot.ask_close", number=view.ballot.number, voted=view.voted, issued=view.issued
            ),
            rows(
                [
                    (ctx.t("button.close_ballot_yes"), encode("bclose", ballot_id, "yes")),
                    (ctx.t("button.back"), encode("bv", ballot_id)),
                ]
            ),
            edit=True,
        )
    result = await ctx.services.counting.close(ctx.member, bid)
    return await _result(ctx, result)


async def _result(ctx: Ctx, result: BallotResult) -> list[Reply]:
    replies = result_replies(ctx, result)
    if result.tie_open:
        replies += _tie_prompt(ctx, result, frozenset())
    elif result.second_round_allowed:
        units = render.codes(result.second_round)
        button = (ctx.t("button.second_round", units=units), encode("brun", str(result.ballot.id)))
        replies += ctx.say(ctx.t("ballot.second_round_prompt", units=units), rows([button]))
    return replies


def _tie_prompt(
    ctx: Ctx, result: BallotResult, chosen: frozenset[int], *, edit: bool = False
) -> list[Reply]:
    bid = str(result.ballot.id)
    pool, placed = result.chair_choice
    need = result.places - len(placed)
    lines = [ctx.t("ballot.tie_prompt", units=render.codes(pool), places=need)]
    buttons = []
    if result.runoff_allowed:
        buttons.append([(ctx.t("button.runoff", units=render.codes(pool)), encode("brun", bid))])
    if result.runoff is None or result.runoff.ballot.status == BallotStatus.CLOSED:
        lines.append(ctx.t("ballot.decide_hint", places=need))
        buttons.append(
            [
                (
                    ("☑ " if i in chosen else "☐ ") + u.code,
                    encode("bdec", bid, encode_mask(toggled(chosen, i))),
                )
                for i, u in enumerate(pool)
            ]
        )
        buttons.append([(ctx.t("button.decide"), encode("bdecok", bid, encode_mask(chosen)))])
    return ctx.say("\n".join(lines), rows(*buttons), edit=edit)


async def runoff_pressed(ctx: Ctx, ballot_id: str) -> list[Reply]:
    view = await ctx.services.polling.runoff(ctx.member, number(ballot_id))
    return ctx.say(
        ctx.t(
            "ballot.runoff_opened",
            number=view.ballot.number,
            units=render.codes(view.candidates),
            issued=view.issued,
        ),
        edit=True,
    )


async def decide_toggled(ctx: Ctx, ballot_id: str, mask: str) -> list[Reply]:
    chosen = decode_mask(mask)
    result = await ctx.services.counting.result(ctx.member, number(ballot_id))
    ctx.member.require(Action.MANAGE_BALLOT)
    if chosen is None or not result.tie_open:
        return ctx.say(ctx.t("error.stale_button"))
    return _tie_prompt(ctx, result, chosen, edit=True)


async def decide_pressed(ctx: Ctx, ballot_id: str, mask: str) -> list[Reply]:
    chosen = decode_mask(mask)
    if chosen is None:
        return ctx.say(ctx.t("error.stale_button"))
    result = await ctx.services.counting.decide(ctx.member, number(ballot_id), chosen)
    return ctx.say(ctx.t("ballot.decided", units=render.codes(result.winners)), edit=True)
