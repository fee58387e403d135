"""Texts about deadlines: reminders, summaries, announcements, lists and status boards."""

from __future__ import annotations

from bot.domain.deadlines import UnitStatus
from bot.domain.reminders import ReminderKind
from bot.i18n import t
from bot.services.deadlines import Board

from .text import local_time

STATUS_ICON = {
    UnitStatus.DONE: "✅",
    UnitStatus.LATE: "🕓",
    UnitStatus.PENDING: "⏳",
    UnitStatus.OVERDUE: "❌",
}


def due(board: Board) -> str:
    return local_time(board.deadline.due_at, board.timezone)


def reminder(
    locale: str, board: Board, kind: ReminderKind, days: int, unscored: int | None = None
) -> str:
    """What is due and when, then what is asked and how to submit it; for a scoring round, how
    many items the unit still has to score."""
    title = board.deadline.title
    if board.deadline.is_event:
        key = "reminder.event_today" if days == 0 else "reminder.event_before"
    elif kind == ReminderKind.OVERDUE:
        key = "reminder.overdue" if days else "reminder.overdue_now"
    elif days == 0:
        key = "reminder.today"
    else:
        key = "reminder.before"
    lines = [
        t(
            locale,
            key,
            title=title,
            due=due(board),
            days=days,
            time=local_time(board.deadline.due_at, board.timezone)[-5:],
        )
    ]
    if unscored:
        lines.append(t(locale, "reminder.unscored", count=unscored))
    return "\n".join(lines + particulars(locale, board))


def particulars(locale: str, board: Board) -> list[str]:
    """What a deadline asks for, how to submit it, and whether a template comes with it."""
    deadline = board.deadline
    lines = []
    if deadline.description:
        lines.append(t(locale, "deadline.description", text=deadline.description))
    if deadline.how:
        lines.append(t(locale, "deadline.how", text=deadline.how))
    if deadline.template_file_id:
        lines.append(t(locale, "deadline.has_template"))
    return lines


def digest(locale: str, boards: list[Board]) -> str:
    """Several new deadlines in one message, in due order."""
    lines = [t(locale, "deadline.digest_head", count=len(boards))]
    for index, board in enumerate(sorted(boards, key=lambda b: b.deadline.due_at), start=1):
        key = "deadline.digest_event" if board.deadline.is_event else "deadline.digest_line"
        lines.append(t(locale, key, index=index, title=board.deadline.title, due=due(board)))
    lines.append(t(locale, "deadline.digest_foot"))
    return "\n".join(lines)


def summary(locale: str, board: Board) -> str:
    missing = [r.unit.code for r in board.rows if r.completion is None]
    late = board.count(UnitStatus.LATE)
    text = t(
        locale,
        "summary.head",
        title=board.deadline.title,
        due=due(board),
        done=len(board.rows) - len(missing),
        total=len(board.rows),
        late=late,
    )
    if missing:
        text += "\n" + t(locale, "summary.missing", units=", ".join(missing))
    return text


def announcement(locale: str, board: Board, change: str) -> str:
    units = len(board.rows)
    event = "_event" if board.deadline.is_event and change == "new" else ""
    text = t(
        locale,
        f"deadline.announce.{change}{event}",
        title=board.deadline.title,
        due=due(board),
        units=units,
    )
    if change == "cancelled":
        return text
    return "\n".join([text, *particulars(locale, board)])


def status_label(locale: str, status: UnitStatus) -> str:
    return f"{STATUS_ICON[status]} {t(locale, f'status.{status.value}')}"


def unit_view(locale: str, boards: list[Board], unit_id: int, unit_name: str) -> str:
    if not boards:
        return t(locale, "deadlines.none")
    lines = [t(locale, "deadlines.unit_head", unit=unit_name)]
    for index, board in enumerate(boards, start=1):
        row = next(r for r in board.rows if r.unit.id == unit_id)
        if board.deadline.is_event:
            lines.append(
                t(
                    locale,
                    "deadlines.unit_event",
                    index=index,
                    title=board.deadline.title,
                    due=due(board),
                )
            )
            continue
        lines.append(
            t(
                locale,
                "deadlines.unit_line",
                index=index,
                title=board.deadline.title,
                due=due(board),
                status=status_label(locale, row.status),
            )
        )
    return "\n".join(lines)


def cluster_view(locale: str, boards: list[Board]) -> str:
    if not boards:
        return t(locale, "deadlines.none")
    lines = [t(locale, "deadlines.board_head")]
    for index, board in enumerate(boards, start=1):
        if board.deadline.is_event:
            lines.append(
                t(
                    locale,
                    "deadlines.board_event",
                    index=index,
                    title=board.deadline.title,
                    due=due(board),
                    total=len(board.rows),
                )
            )
            continue
        lines.append(
            t(
                locale,
                "deadlines.board_line",
                index=index,
                title=board.deadline.title,
                due=due(board),
                done=board.count(UnitStatus.DONE, UnitStatus.LATE),
                total=len(board.rows),
                late=board.count(UnitStatus.LATE),
                overdue=board.count(UnitStatus.OVERDUE),
            )
        )
    return "\n".join(lines)


def detail(locale: str, board: Board, *, unit_id: int | None = None) -> str:
    """Every concerned unit for the secretariat; only the caller's unit for a representative."""
    head = "deadline.detail_event" if board.deadline.is_event else "deadline.detail_head"
    lines = [t(locale, head, title=board.deadline.title, due=due(board))]
    if board.deadline.recurrence:
        lines.append(t(locale, "deadline.monthly"))
    lines += particulars(locale, board)
    if board.deadline.is_event:
        codes = ", ".join(r.unit.code for r in board.rows)
        return "\n".join([*lines, t(locale, "deadline.event_units", codes=codes)])
    for row in board.rows:
        if unit_id is not None and row.unit.id != unit_id:
            continue
        extra = ""
        if row.completion is not None:
            extra = t(
                locale, "deadline.done_at", at=local_time(row.completion.done_at, board.timezone)
            )
            if row.completion.file_name:
                extra += t(locale, "deadline.with_file", file=row.completion.file_name)
            if row.completion.confirmed_at:
                extra += t(locale, "deadline.confirmed")
        lines.append(f"{STATUS_ICON[row.status]} {row.unit.code} – {row.unit.name}{extra}")
    return "\n".join(lines)
