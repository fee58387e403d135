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


def reminder(locale: str, board: Board, kind: ReminderKind, days: int) -> str:
    title = board.deadline.title
    if kind == ReminderKind.OVERDUE:
        key = "reminder.overdue" if days else "reminder.overdue_now"
    elif days == 0:
        key = "reminder.today"
    else:
        key = "reminder.before"
    return t(
        locale,
        key,
        title=title,
        due=due(board),
        days=days,
        time=local_time(board.deadline.due_at, board.timezone)[-5:],
    )


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
    return t(
        locale,
        f"deadline.announce.{change}",
        title=board.deadline.title,
        due=due(board),
        units=units,
    )


def status_label(locale: str, status: UnitStatus) -> str:
    return f"{STATUS_ICON[status]} {t(locale, f'status.{status.value}')}"


def unit_view(locale: str, boards: list[Board], unit_id: int, unit_name: str) -> str:
    if not boards:
        return t(locale, "deadlines.none")
    lines = [t(locale, "deadlines.unit_head", unit=unit_name)]
    for index, board in enumerate(boards, start=1):
        row = next(r for r in board.rows if r.unit.id == unit_id)
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
    lines = [t(locale, "deadline.detail_head", title=board.deadline.title, due=due(board))]
    if board.deadline.recurrence:
        lines.append(t(locale, "deadline.monthly"))
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
