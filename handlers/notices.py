"""Notifications the engine queues, rendered in each recipient's locale with their buttons."""

from __future__ import annotations

from bot.domain.models import Member, Unit
from bot.domain.reminders import ReminderKind
from bot.domain.voting import BallotStatus
from bot.i18n import t
from bot.messages import Attachment, Button, Reply, rows
from bot.render import ballots as ballot_render
from bot.render import deadlines as render
from bot.render import scoring as scoring_render
from bot.render.charts import ballot_chart
from bot.services.deadlines import Board

from .actions import encode


def _deadline_buttons(locale: str, board: Board, *, done: bool = True):
    """The one-tap actions of a deadline notice: score (a scoring round), report, template."""
    deadline = board.deadline
    deadline_id = str(deadline.id)
    first = []
    if done and deadline.scoring_round:
        first.append(Button(t(locale, "button.open_sheet"), encode("scsum", "open")))
    if done and deadline.reported_in_chat:
        first.append(Button(t(locale, "button.done"), encode("done", deadline_id)))
    second = [Button(t(locale, "button.details"), encode("dl", deadline_id))]
    if deadline.template_file_id:
        template = Button(
            t(locale, "button.template"), encode("dltpl", deadline_id), sends_file=True
        )
        second.insert(0, template)
    return tuple(tuple(r) for r in (first, second) if r)


class ChatNotices:
    """The `Notices` the deadline service asks for."""

    def reminder(
        self, locale: str, board: Board, kind: ReminderKind, days: int, unscored: int | None
    ) -> Reply:
        return Reply(
            render.reminder(locale, board, kind, days, unscored), _deadline_buttons(locale, board)
        )

    def digest(self, locale: str, boards: list[Board]) -> Reply:
        return Reply(
            render.digest(locale, boards),
            rows([(t(locale, "button.my_deadlines"), encode("menu", "deadlines"))]),
        )

    def summary(self, locale: str, board: Board) -> Reply:
        return Reply(render.summary(locale, board), _deadline_buttons(locale, board, done=False))

    def announcement(self, locale: str, board: Board, change: str) -> Reply:
        buttons = () if change == "cancelled" else _deadline_buttons(locale, board)
        return Reply(render.announcement(locale, board, change), buttons)

    def undeliverable(self, locale: str, member: Member, unit: Unit | None) -> Reply:
        return Reply(
            t(
                locale,
                "outbox.undeliverable",
                name=member.display_name,
                unit=unit.code if unit else "–",
                channel=member.channel,
            )
        )

    def verified(self, locale: str, review) -> Reply:
        round_id = str(review.round.id)
        return Reply(
            scoring_render.verified_notice(locale, review),
            rows(
                [
                    (t(locale, "button.accept"), encode("vfans", round_id, "yes")),
                    (t(locale, "button.comment"), encode("vfans", round_id, "comment")),
                ]
            ),
        )

    def returned(self, locale: str, round_title: str, reason: str, item: str) -> Reply:
        return Reply(
            t(locale, "sheet.returned_notice", round=round_title, reason=reason),
            rows([(t(locale, "button.correct_item", code=item), encode("scfix", item))]),
        )

    def cross_assigned(self, locale: str, round_title: str, units) -> Reply:
        codes = ", ".join(f"{u.code} ({u.name})" for u in units)
        return Reply(t(locale, "cross.assigned_notice", round=round_title, units=codes))

    def sheet_reminder(self, locale: str, round_title: str, unscored: int) -> Reply:
        key = "sheet.nudge_unscored" if unscored else "sheet.nudge_unsubmitted"
        return Reply(
            t(locale, key, round=round_title, count=unscored),
            rows([(t(locale, "button.open_sheet"), encode("scsum", "open"))]),
        )

    def verification_answer(
        self, locale: str, unit, accepted: bool, comment: str | None, may_reverify: bool
    ) -> Reply:
        if accepted:
            return Reply(t(locale, "verify.answer_accepted", unit=unit.name, code=unit.code))
        return Reply(
            t(
                locale,
                "verify.answer_comment",
                unit=unit.name,
                code=unit.code,
                comment=comment or "–",
            ),
            # The way back for a verifier: take the sheet up again to answer the comment.
            rows([(t(locale, "button.reverify", code=unit.code), encode("vfre", str(unit.id)))])
            if may_reverify
            else (),
        )

    def broadcast(self, locale: str, broadcast_id: int, text: str, sender: str) -> Reply:
        return Reply(
            t(locale, "broadcast.message", text=text, sender=sender),
            rows([(t(locale, "button.received"), encode("ack", str(broadcast_id)))]),
        )

    # -- the review meeting -------------------------------------------------------------------

    def check_in_request(self, locale: str, meeting) -> Reply:
        return Reply(
            t(locale, "meeting.check_in_request", title=meeting.title),
            rows([(t(locale, "button.check_in"), encode("mtg", "in"))]),
        )

    def ballot_opened(self, locale: str, view) -> Reply:
        with ballot_render.words_of(view.ballot):
            text = t(
                locale,
                "vote.opened_notice",
                number=view.ballot.number,
                award=view.ballot.award,
                kind=ballot_render.kind_label(locale, view.ballot),
                units=ballot_render.codes(view.candidates),
            )
        return Reply(
            text,
            rows([(t(locale, "button.vote"), encode("vote", str(view.ballot.id), "0"))]),
        )

    def vote_reminder(self, locale: str, view) -> Reply:
        with ballot_render.words_of(view.ballot):
            text = t(locale, "vote.reminder", number=view.ballot.number, award=view.ballot.award)
        return Reply(
            text,
            rows([(t(locale, "button.vote"), encode("vote", str(view.ballot.id), "0"))]),
        )

    def receipt(self, locale: str, ballot, receipt: str) -> Reply:
        with ballot_render.words_of(ballot):
            return Reply(
                t(locale, "vote.receipt", number=ballot.number, award=ballot.award, receipt=receipt)
            )

    def cast_by_colleague(self, locale: str, ballot, name: str) -> Reply:
        with ballot_render.words_of(ballot):
            text = t(
                locale,
                "vote.cast_by_colleague",
                number=ballot.number,
                award=ballot.award,
                name=name,
            )
        return Reply(text)

    def live_view(self, locale: str, view) -> Reply:
        bid = str(view.ballot.id)
        if view.ballot.status != BallotStatus.OPEN:
            return Reply(ballot_render.live_view(locale, view))
        return Reply(
            ballot_render.live_view(locale, view),
            rows(
                [(t(locale, "button.remind_voters"), encode("brem", bid))],
                [(t(locale, "button.close_ballot"), encode("bclose", bid, "ask"))],
            ),
        )

    def ballot_result(self, locale: str, result) -> Reply:
        bid = str(result.ballot.id)
        return Reply(
            ballot_render.result(locale, result),
            (
                (
                    Button(
                        t(locale, "button.minutes_pdf"), encode("bmin", bid, "pdf"), sends_file=True
                    ),
                    Button(
                        t(locale, "button.minutes_docx"),
                        encode("bmin", bid, "docx"),
                        sends_file=True,
                    ),
                    Button(
                        t(locale, "button.minutes_xlsx"),
                        encode("bmin", bid, "xlsx"),
                        sends_file=True,
                    ),
                ),
            ),
        )

    def result_chart(self, locale: str, result) -> Attachment:
        return Attachment(
            f"ket-qua-phieu-{result.ballot.number}.png", ballot_chart(locale, result), "image/png"
        )
