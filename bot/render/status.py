"""/status (/tinhhinh): each role's one-screen picture. A representative sees what its unit owes;
the secretariat and the chair see who is late on what."""

from __future__ import annotations

from bot.domain.deadlines import UnitStatus
from bot.domain.models import Unit
from bot.domain.scoring import SheetStatus, fmt
from bot.i18n import t
from bot.services.deadlines import Board
from bot.services.meetings import MeetingView
from bot.services.scoring_views import SheetLine, SheetView

from .deadlines import due

MAX_CODES = 12  # beyond this a line says "and N more"; /deadlines has the full board


def unit_picture(
    locale: str,
    unit: Unit,
    sheet: SheetView | None,
    boards: list[Board],
    meeting: MeetingView | None,
    ballots_to_vote: list[int],
) -> str:
    lines = [t(locale, "status_view.unit_head", unit=unit.name, code=unit.code)]
    if sheet is not None:
        items = sum(len(group.items) for group in sheet.scale.groups)  # bonus is optional
        scored = items - len(sheet.totals.missing)
        lines.append(
            t(
                locale,
                f"status_view.sheet_{sheet.status.value}",
                round=sheet.round.title,
                missing=len(sheet.totals.missing),
                scored=scored,
                total=fmt(sheet.totals.total),
            )
        )
    owed = [
        b
        for b in boards
        if not b.deadline.is_event
        and next(r for r in b.rows if r.unit.id == unit.id).completion is None
    ]
    if owed:
        lines.append(t(locale, "status_view.owed_head", count=len(owed)))
        for board in owed:
            row = next(r for r in board.rows if r.unit.id == unit.id)
            key = "status_view.overdue" if row.status == UnitStatus.OVERDUE else "status_view.due"
            lines.append(t(locale, key, title=board.deadline.title, due=due(board)))
    else:
        lines.append(t(locale, "status_view.nothing_owed"))
    events = [b for b in boards if b.deadline.is_event]
    for board in events[:2]:
        lines.append(t(locale, "status_view.event", title=board.deadline.title, due=due(board)))
    if meeting is not None:
        present = unit.id in meeting.present_ids
        key = "status_view.meeting_present" if present else "status_view.meeting_absent"
        lines.append(t(locale, key, title=meeting.meeting.title))
        if ballots_to_vote:
            numbers = ", ".join(str(n) for n in ballots_to_vote)
            lines.append(t(locale, "status_view.ballots_to_vote", numbers=numbers))
    return "\n".join(lines)


def cluster_picture(
    locale: str,
    cluster_name: str,
    boards: list[Board],
    sheets: tuple[str, list[SheetLine]] | None,
    meeting: MeetingView | None,
) -> str:
    lines = [t(locale, "status_view.cluster_head", cluster=cluster_name)]
    late_lines = []
    for board in boards:
        if board.deadline.is_event:
            continue
        overdue = [r.unit.code for r in board.rows if r.status == UnitStatus.OVERDUE]
        pending = [r.unit.code for r in board.rows if r.status == UnitStatus.PENDING]
        if overdue:
            late_lines.append(
                t(
                    locale,
                    "status_view.deadline_overdue",
                    title=board.deadline.title,
                    due=due(board),
                    codes=_codes(locale, overdue),
                )
            )
        elif pending:
            late_lines.append(
                t(
                    locale,
                    "status_view.deadline_pending",
                    title=board.deadline.title,
                    due=due(board),
                    done=len(board.rows) - len(pending),
                    total=len(board.rows),
                )
            )
    lines += late_lines or [t(locale, "status_view.deadlines_clear")]
    if sheets is not None:
        round_title, sheet_lines = sheets
        waiting = [
            line.unit.code
            for line in sheet_lines
            if line.status in (SheetStatus.NONE, SheetStatus.DRAFT, SheetStatus.RETURNED)
        ]
        submitted = len(sheet_lines) - len(waiting)
        verified = sum(1 for line in sheet_lines if line.status == SheetStatus.VERIFIED)
        lines.append(
            t(
                locale,
                "status_view.sheets",
                round=round_title,
                submitted=submitted,
                total=len(sheet_lines),
                verified=verified,
            )
        )
        if waiting:
            lines.append(t(locale, "status_view.sheets_waiting", codes=_codes(locale, waiting)))
    if meeting is not None:
        lines.append(
            t(
                locale,
                "status_view.meeting_open",
                title=meeting.meeting.title,
                present=len(meeting.present),
                total=len(meeting.units),
                quorum=t(
                    locale, "status_view.quorum_yes" if meeting.quorum else "status_view.quorum_no"
                ),
            )
        )
        if meeting.open_ballot is not None:
            lines.append(t(locale, "status_view.ballot_open", number=meeting.open_ballot.number))
    return "\n".join(lines)


def _codes(locale: str, codes: list[str]) -> str:
    shown = ", ".join(codes[:MAX_CODES])
    if len(codes) > MAX_CODES:
        shown += t(locale, "status_view.and_more", count=len(codes) - MAX_CODES)
    return shown
