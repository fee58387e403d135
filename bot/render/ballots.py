"""Texts of the review meeting: the meeting card, ballot cards, the ballot paper and the result."""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from bot.domain.scoring import fmt
from bot.domain.voting import Ballot, BallotKind, BallotStatus, Denominator
from bot.i18n import electing, t
from bot.services.ballot_views import BallotResult, BallotView
from bot.services.meetings import MeetingView

Render = TypeVar("Render", bound=Callable[..., Any])


def words_of(ballot: Ballot) -> AbstractContextManager[None]:
    """Messages written within are in the words of the ballot's kind ("phiếu bầu" if elect)."""
    return electing(ballot.rules.kind == BallotKind.ELECT)


def in_ballot_words(render: Render) -> Render:
    """Write about a ballot (the 2nd argument, or what it is about) in the words of its kind:
    an election's paper is a "phiếu bầu"."""

    @functools.wraps(render)
    def wrapped(locale: str, subject: Any, *args: Any, **kwargs: Any) -> Any:
        ballot = subject if isinstance(subject, Ballot) else subject.ballot
        with words_of(ballot):
            return render(locale, subject, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


def percent(share: Decimal) -> str:
    """0.6153… -> '61,54%' (two decimals at most, decimal comma as on Vietnamese minutes)."""
    value = (share * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{fmt(value)}%"


def codes(units) -> str:
    return ", ".join(u.code for u in units) or "–"


def meeting_card(locale: str, view: MeetingView) -> str:
    present, members = len(view.present), len(view.units)
    lines = [
        t(locale, "meeting.head", title=view.meeting.title),
        t(locale, "meeting.present", present=present, members=members, units=codes(view.present)),
        t(locale, "meeting.absent", units=codes(view.absent)),
        t(locale, "meeting.quorum_ok" if view.quorum else "meeting.quorum_missing"),
    ]
    for ballot in view.ballots:
        lines.append(ballot_line(locale, ballot))
    return "\n".join(lines)


@in_ballot_words
def ballot_line(locale: str, ballot: Ballot) -> str:
    return t(
        locale,
        "ballot.line",
        number=ballot.number,
        award=ballot.award,
        status=t(locale, f"ballot.status.{ballot.status.value}"),
        runoff=t(locale, "ballot.runoff_mark") if ballot.runoff_of else "",
    )


def kind_label(locale: str, ballot: Ballot) -> str:
    rules = ballot.rules
    return t(locale, f"ballot.kind.{rules.kind.value}", quota=rules.quota)


def rules_lines(locale: str, ballot: Ballot, members: int) -> list[str]:
    rules = ballot.rules
    base = (
        t(locale, "ballot.base.members", count=members)
        if rules.denominator == Denominator.MEMBERS
        else t(locale, "ballot.base.present")
    )
    lines = [
        t(locale, "ballot.rule.kind", kind=kind_label(locale, ballot)),
        t(locale, "ballot.rule.threshold", share=percent(rules.threshold), base=base),
        t(locale, "ballot.rule.secret" if rules.secret else "ballot.rule.open"),
        t(locale, f"ballot.rule.tie.{ballot.tie_policy.value}"),
    ]
    if ballot.close_after:
        lines.append(t(locale, "ballot.rule.close_after", minutes=ballot.close_after))
    return lines


@in_ballot_words
def ballot_card(locale: str, view: BallotView) -> str:
    """The chair's card: the draft with its rules, or the turnout while open."""
    ballot = view.ballot
    lines = [ballot_line(locale, ballot)]
    lines.append(t(locale, "ballot.candidates", units=_names(view.candidates)))
    lines += rules_lines(locale, ballot, len(view.units))
    for unit, award in view.also_proposed:
        lines.append(t(locale, "ballot.also_proposed", unit=unit.code, award=award))
    if ballot.status == BallotStatus.OPEN:
        lines.append(turnout(locale, view))
    return "\n".join(lines)


def turnout(locale: str, view: BallotView) -> str:
    lines = [t(locale, "ballot.turnout", voted=view.voted, issued=view.issued)]
    if view.missing:
        lines.append(t(locale, "ballot.missing", units=codes(view.missing)))
    if view.running is not None:
        lines += [
            t(locale, "ballot.running", code=u.code, votes=view.running.get(u.id, 0))
            for u in view.candidates
        ]
    elif view.ballot.status == BallotStatus.OPEN:
        lines.append(t(locale, "ballot.secret_until_close"))
    return "\n".join(lines)


@in_ballot_words
def live_view(locale: str, view: BallotView) -> str:
    ballot = view.ballot
    if ballot.status == BallotStatus.CLOSED:
        return t(
            locale,
            "ballot.live_closed",
            number=ballot.number,
            award=ballot.award,
            voted=view.voted,
            issued=view.issued,
        )
    return "\n".join(
        [
            t(locale, "ballot.live_head", number=ballot.number, award=ballot.award),
            turnout(locale, view),
        ]
    )


@in_ballot_words
def paper(locale: str, view: BallotView, chosen: frozenset[int]) -> str:
    """The ballot paper a voter fills in (`chosen`: candidate positions)."""
    ballot = view.ballot
    lines = [
        t(locale, "vote.head", number=ballot.number, award=ballot.award),
        t(locale, f"vote.how.{ballot.rules.kind.value}", quota=ballot.rules.quota),
    ]
    for position, unit in enumerate(view.candidates):
        line = _mark(locale, ballot, position in chosen, position, unit)
        if unit.id in view.standing:
            rank, total = view.standing[unit.id]
            line += t(locale, "vote.standing", rank=rank, total=fmt(total))
        lines.append(line)
    return "\n".join(lines)


@in_ballot_words
def review(locale: str, view: BallotView, chosen: frozenset[int]) -> str:
    ballot = view.ballot
    lines = [t(locale, "vote.review_head", number=ballot.number, award=ballot.award)]
    if not chosen and ballot.rules.kind != BallotKind.APPROVE:
        lines.append(t(locale, "vote.blank"))
    else:
        for position, unit in enumerate(view.candidates):
            if ballot.rules.kind == BallotKind.APPROVE or position in chosen:
                lines.append(_mark(locale, ballot, position in chosen, position, unit))
    lines.append(t(locale, "vote.review_warning"))
    return "\n".join(lines)


def _mark(locale: str, ballot: Ballot, chosen: bool, position: int, unit) -> str:
    if ballot.rules.kind == BallotKind.APPROVE:
        mark = t(locale, "vote.agree" if chosen else "vote.disagree")
    else:
        mark = "☑" if chosen else "☐"
    return f"{position + 1}. {mark} {unit.name} ({unit.code})"


@in_ballot_words
def result(locale: str, data: BallotResult) -> str:
    ballot, tally = data.ballot, data.count
    approve = ballot.rules.kind == BallotKind.APPROVE
    lines = [
        t(locale, "result.head", number=ballot.number, award=ballot.award),
        t(
            # On an approve ballot a paper marking nobody is valid, against every candidate.
            locale,
            "result.turnout.approve" if approve else "result.turnout",
            members=tally.members,
            issued=tally.issued,
            cast=tally.cast,
            valid=tally.valid,
            invalid=tally.invalid,
            blank=tally.abstentions,
        ),
        t(
            locale,
            "result.threshold",
            share=percent(ballot.rules.threshold),
            base=t(locale, f"result.base.{ballot.rules.denominator.value}"),
        ),
    ]
    for row in sorted(tally.candidates, key=lambda r: -r.votes):
        unit = data.units[row.candidate]
        lines.append(
            t(
                locale,
                "result.row.approve" if approve else "result.row",
                mark="✅" if unit in data.winners else ("✔" if row.passed else "✖"),
                code=unit.code,
                name=unit.name,
                votes=row.votes,
                against=tally.valid - row.votes,
                share=percent(row.share),
                of_issued=percent(row.share_of_issued),
            )
        )
    if any(
        row.passed and data.units[row.candidate] not in data.winners for row in tally.candidates
    ):
        lines.append(t(locale, "result.legend_passed", quota=ballot.rules.quota))
    if data.runoff is not None:
        runoff = data.runoff.count
        lines.append(
            t(
                locale,
                "result.second_round_votes" if data.second_round else "result.runoff",
                votes=", ".join(
                    f"{data.units[r.candidate].code} {r.votes}" for r in runoff.candidates
                ),
            )
        )
    if ballot.decision is not None:
        lines.append(
            t(locale, "result.decided", units=codes(data.units[u] for u in ballot.decision))
        )
    if data.tie_open:
        lines.append(t(locale, "result.tie", units=codes(data.chair_choice[0]), places=data.places))
    elif data.undecided:
        lines.append(t(locale, "result.second_round", units=codes(data.second_round)))
    elected = ballot.rules.kind == BallotKind.ELECT
    if data.winners:
        key = "result.elected" if elected else "result.winners"
        lines.append(t(locale, key, units=_names(data.winners), award=ballot.award))
    elif not data.undecided:
        lines.append(t(locale, "result.nobody_elected" if elected else "result.no_winner"))
    return "\n".join(lines)


def _names(units) -> str:
    return "; ".join(f"{u.name} ({u.code})" for u in units) or "–"
