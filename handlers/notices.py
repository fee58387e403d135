"""Notifications the engine queues, rendered in each recipient's locale with their buttons."""

from __future__ import annotations

from bot.channels.base import Reply, rows
from bot.domain.models import Member, Unit
from bot.domain.reminders import ReminderKind
from bot.i18n import t
from bot.render import deadlines as render
from bot.render import scoring as scoring_render
from bot.services.deadlines import Board

from .actions import encode


def _deadline_buttons(locale: str, board: Board, *, done: bool = True):
    deadline_id = str(board.deadline.id)
    pairs = [(t(locale, "button.done"), encode("done", deadline_id))] if done else []
    pairs.append((t(locale, "button.details"), encode("dl", deadline_id)))
    return rows(pairs)


class ChatNotices:
    """The `Notices` the deadline service asks for."""

    def reminder(self, locale: str, board: Board, kind: ReminderKind, days: int) -> Reply:
        return Reply(render.reminder(locale, board, kind, days), _deadline_buttons(locale, board))

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

    def returned(self, locale: str, round_title: str, reason: str) -> Reply:
        return Reply(t(locale, "sheet.returned_notice", round=round_title, reason=reason))

    def cross_assigned(self, locale: str, round_title: str, units) -> Reply:
        codes = ", ".join(f"{u.code} ({u.name})" for u in units)
        return Reply(t(locale, "cross.assigned_notice", round=round_title, units=codes))

    def verification_answer(self, locale: str, unit, accepted: bool, comment: str | None) -> Reply:
        if accepted:
            return Reply(t(locale, "verify.answer_accepted", unit=unit.name, code=unit.code))
        return Reply(
            t(
                locale,
                "verify.answer_comment",
                unit=unit.name,
                code=unit.code,
                comment=comment or "–",
            )
        )

    def broadcast(self, locale: str, broadcast_id: int, text: str, sender: str) -> Reply:
        return Reply(
            t(locale, "broadcast.message", text=text, sender=sender),
            rows([(t(locale, "button.received"), encode("ack", str(broadcast_id)))]),
        )
