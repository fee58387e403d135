"""Deadline use cases: create, move, cancel, import a calendar; units mark done; the secretariat
confirms or reopens; status boards. The engine's side is in `reminders`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Settings
from bot.domain.calendar_file import CalendarEntry, parse_calendar
from bot.domain.deadlines import (
    Completion,
    Deadline,
    DeadlineKind,
    DeadlineState,
    UnitStatus,
    unit_status,
)
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.models import Member, Period, Role, Unit
from bot.domain.policy import Action
from bot.domain.reminders import (
    ReminderKind,
    ReminderPolicy,
    in_quiet_hours,
    out_of_quiet_hours,
    plan_reminders,
)
from bot.domain.scoring import totals
from bot.messages import Reply
from storage.db import Database
from storage.uow import UnitOfWork

from .membership import Caller
from .recipients import enqueue, locale_of, representatives
from .scoring_views import scale_of

MAX_TITLE = 200
MAX_DETAIL = 1000  # a description or "how to submit"
MAX_TEMPLATE_MB = 20
# Words for an audience that follows the rotation rather than fixed codes (calendar `units:`).
CHAIR_WORDS = frozenset({"CHAIR", "CỤM TRƯỞNG", "KHỐI TRƯỞNG"})
VICE_CHAIR_WORDS = frozenset({"VICE_CHAIR", "CỤM PHÓ", "KHỐI PHÓ"})
UNDO_MINUTES = 10
UNDO_DONE = timedelta(minutes=UNDO_MINUTES)  # a mistaken "Đã nộp" can be taken back


@dataclass(frozen=True)
class BoardRow:
    unit: Unit
    status: UnitStatus
    completion: Completion | None


@dataclass(frozen=True)
class Board:
    """Where one deadline stands: every concerned unit with its status."""

    deadline: Deadline
    rows: list[BoardRow]
    timezone: str

    def count(self, *statuses: UnitStatus) -> int:
        return sum(1 for r in self.rows if r.status in statuses)


class Notices(Protocol):
    """How notifications look (injected, so services never format text): each returns a Reply
    in the recipient's locale."""

    def reminder(
        self, locale: str, board: Board, kind: ReminderKind, days: int, unscored: int | None
    ) -> Reply:
        """`unscored`: for a scoring round, how many items the unit has yet to score."""
        ...

    def digest(self, locale: str, boards: list[Board]) -> Reply:
        """Several new deadlines at once (a calendar import), in one message."""
        ...

    def summary(self, locale: str, board: Board) -> Reply: ...

    def announcement(self, locale: str, board: Board, change: str) -> Reply:
        """`change`: new | moved | cancelled."""
        ...

    def undeliverable(self, locale: str, member: Member, unit: Unit | None) -> Reply: ...


class Deadlines:
    def __init__(self, db: Database, clock: Clock, settings: Settings, notices: Notices) -> None:
        self.db, self.clock, self.settings, self.notices = db, clock, settings, notices

    async def create(
        self,
        by: Caller,
        title: str,
        due_at: datetime,
        unit_codes: list[str] | None = None,
        *,
        recurrence: str | None = None,
        scoring_round: str | None = None,
        policy: ReminderPolicy | None = None,
        kind: DeadlineKind = DeadlineKind.REPORT,
        description: str | None = None,
        how: str | None = None,
        announce: bool = True,
    ) -> Board:
        """`announce=False`: the caller tells the units itself (a calendar sends one digest)."""
        by.require(Action.MANAGE_DEADLINES)
        title = _clean_title(title)
        now = self.clock.now()
        if due_at <= now:
            raise InvalidInput("deadline.due_past", text=_local(due_at, by.cluster.timezone))
        async with UnitOfWork(self.db) as uow:
            unit_ids = await _unit_ids(uow, by.cluster.id, unit_codes, by.period)
            deadline_id = await uow.deadlines.add(
                by.cluster.id,
                title,
                due_at,
                unit_ids,
                policy,
                scoring_round,
                recurrence,
                by.actor,
                now,
                kind=kind,
                description=_clean_detail(description),
                how=_clean_detail(how),
            )
            deadline = await uow.deadlines.one(deadline_id)
            await plan_deadline(uow, self.clock.now(), deadline)
            await uow.audit.record(
                now,
                "deadline.created",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(deadline_id),
                detail={"title": title, "due_at": due_at.isoformat()},
            )
            board = await load_board(uow, deadline, self.clock.now(), by.cluster.timezone)
            if announce:
                await self._announce(uow, board, "new")
        return board

    async def import_calendar(
        self, by: Caller, text: str, *, quiet: bool = False
    ) -> tuple[list[Board], list]:
        """Every entry of a calendar file becomes a deadline; each person concerned hears of
        theirs in one message, not one per deadline (`quiet`: nobody is told, as when the demo
        is seeded)."""
        by.require(Action.MANAGE_DEADLINES)
        # A file is read in a worker thread: other chats go on meanwhile.
        read = asyncio.to_thread(parse_calendar, text, by.cluster.timezone, self.clock.now())
        entries, skipped = await read
        async with UnitOfWork(self.db) as uow:  # every unit code checked before anything is created
            for entry in entries:
                codes = list(entry.unit_codes or []) or None
                await _unit_ids(uow, by.cluster.id, codes, by.period)
        boards = [await self._create_entry(by, e) for e in entries]
        if not quiet:
            async with UnitOfWork(self.db) as uow:
                await self._announce_digest(uow, by, boards)
        return boards, skipped

    async def _create_entry(self, by: Caller, entry: CalendarEntry) -> Board:
        return await self.create(
            by,
            entry.title,
            entry.due_at,
            list(entry.unit_codes) if entry.unit_codes else None,
            recurrence=entry.recurrence,
            scoring_round=entry.scoring_round,
            policy=entry.policy,
            kind=entry.kind,
            description=entry.description,
            how=entry.how,
            announce=False,
        )

    async def _announce_digest(self, uow: UnitOfWork, by: Caller, boards: list[Board]) -> None:
        now = self.clock.now()
        for unit in await uow.units.in_cluster(by.cluster.id):
            theirs = [b for b in boards if unit.id in b.deadline.unit_ids]
            if not theirs:
                continue
            for member in await representatives(uow, unit.id):
                reply = self.notices.digest(locale_of(self.settings, member), theirs)
                first = theirs[0].deadline.id
                await enqueue(
                    uow,
                    f"calendar:{first}:{len(theirs)}:{member.id}",
                    member,
                    reply,
                    now,
                    f"deadline:{first}",
                    not_before=after_quiet_hours(now, by.cluster.timezone),
                )

    async def describe(
        self,
        by: Caller,
        deadline_id: int,
        *,
        description: str | None = None,
        how: str | None = None,
        template: tuple[str, str | None, bytes] | None = None,
    ) -> Board:
        """Set what a deadline asks for, how to submit it, or its template file (only the
        parts given change)."""
        by.require(Action.MANAGE_DEADLINES)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            deadline = await self._open_deadline(uow, by, deadline_id)
            template_id = deadline.template_file_id
            if template is not None:
                name, mime_type, data = template
                if not data or len(data) > MAX_TEMPLATE_MB * 1024 * 1024:
                    raise InvalidInput("import.too_large", limit=MAX_TEMPLATE_MB * 1024)
                template_id = await uow.files.add(name, mime_type, data, now)
            await uow.deadlines.describe(
                deadline.id,
                description=_clean_detail(description)
                if description is not None
                else deadline.description,
                how=_clean_detail(how) if how is not None else deadline.how,
                template_file_id=template_id,
            )
            await uow.audit.record(
                now,
                "deadline.described",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(deadline.id),
                detail={
                    "description": description is not None,
                    "how": how is not None,
                    "template": template[0] if template else None,
                },
            )
            deadline = await uow.deadlines.one(deadline.id)
            return await load_board(uow, deadline, now, by.cluster.timezone)

    async def template(self, by: Caller, deadline_id: int) -> tuple[str, str | None, bytes]:
        by.require(Action.VIEW_DEADLINES)
        async with UnitOfWork(self.db) as uow:
            deadline = await self._deadline_of(uow, by, deadline_id)
            stored = (
                await uow.files.get(deadline.template_file_id)
                if deadline.template_file_id
                else None
            )
            if stored is None:
                raise NotFound("deadline.no_template", title=deadline.title)
            return stored

    async def nudge(self, by: Caller, deadline_id: int) -> tuple[int, datetime | None]:
        """Remind now every unit that has not reported (held until morning in quiet hours);
        returns how many units were reminded, and until when the reminder is held."""
        by.require(Action.MANAGE_DEADLINES)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            deadline = await self._open_deadline(uow, by, deadline_id)
            board = await load_board(uow, deadline, now, by.cluster.timezone)
            owing = [r for r in board.rows if r.completion is None]
            if deadline.is_event or not owing:
                raise InvalidInput("deadline.nobody_to_nudge", title=deadline.title)
            kind = ReminderKind.OVERDUE if now >= deadline.due_at else ReminderKind.BEFORE
            days = _days_between(deadline.due_at, now, by.cluster.timezone)
            hold = after_quiet_hours(now, by.cluster.timezone, deadline.policy)
            for row in owing:
                for member in await representatives(uow, row.unit.id):
                    unscored = await unscored_items(uow, deadline, row.unit.id)
                    reply = self.notices.reminder(
                        locale_of(self.settings, member), board, kind, days, unscored
                    )
                    await enqueue(
                        uow,
                        f"nudge:{deadline.id}:{now.isoformat()}:{member.id}",
                        member,
                        reply,
                        now,
                        f"deadline:{deadline.id}",
                        not_before=hold,
                    )
            await uow.audit.record(
                now,
                "deadline.nudged",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(deadline.id),
                detail={"units": [r.unit.code for r in owing]},
            )
            return len(owing), hold

    async def confirm_all(self, by: Caller, deadline_id: int) -> Board:
        """Confirm every report received and not yet confirmed, in one tap."""
        by.require(Action.MANAGE_DEADLINES)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            deadline = await self._deadline_of(uow, by, deadline_id)
            confirmed = [
                unit_id
                for unit_id, c in (await uow.deadlines.completions(deadline.id)).items()
                if c.confirmed_at is None and await uow.deadlines.confirm(deadline.id, unit_id, now)
            ]
            if not confirmed:
                raise InvalidInput("deadline.nothing_to_confirm")
            await uow.audit.record(
                now,
                "deadline.confirmed",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(deadline.id),
                detail={"unit_ids": confirmed},
            )
            return await load_board(uow, deadline, now, by.cluster.timezone)

    async def move(self, by: Caller, deadline_id: int, due_at: datetime) -> Board:
        """A new due time re-plans every reminder not yet sent."""
        by.require(Action.MANAGE_DEADLINES)
        now = self.clock.now()
        if due_at <= now:
            raise InvalidInput("deadline.due_past", text=_local(due_at, by.cluster.timezone))
        async with UnitOfWork(self.db) as uow:
            deadline = await self._open_deadline(uow, by, deadline_id)
            await uow.deadlines.change(
                deadline.id,
                title=deadline.title,
                due_at=due_at,
                status=DeadlineState.OPEN,
                bump_revision=True,
            )
            deadline = await uow.deadlines.one(deadline.id)
            await plan_deadline(uow, self.clock.now(), deadline)
            await uow.audit.record(
                now,
                "deadline.moved",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(deadline.id),
                detail={"due_at": due_at.isoformat()},
            )
            board = await load_board(uow, deadline, self.clock.now(), by.cluster.timezone)
            await self._announce(uow, board, "moved")
        return board

    async def cancel(self, by: Caller, deadline_id: int) -> Board:
        by.require(Action.MANAGE_DEADLINES)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            deadline = await self._open_deadline(uow, by, deadline_id)
            await uow.deadlines.change(
                deadline.id,
                title=deadline.title,
                due_at=deadline.due_at,
                status=DeadlineState.CANCELLED,
                bump_revision=True,
            )
            await uow.reminders.cancel_planned(deadline.id, now)
            await uow.audit.record(
                now,
                "deadline.cancelled",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(deadline.id),
            )
            cancelled = await uow.deadlines.one(deadline.id)
            board = await load_board(uow, cancelled, self.clock.now(), by.cluster.timezone)
            await self._announce(uow, board, "cancelled")
        return board

    async def confirm(self, by: Caller, deadline_id: int, unit_id: int) -> Board:
        by.require(Action.MANAGE_DEADLINES)
        async with UnitOfWork(self.db) as uow:
            deadline = await self._deadline_of(uow, by, deadline_id)
            if not await uow.deadlines.confirm(deadline.id, unit_id, self.clock.now()):
                raise InvalidInput("deadline.nothing_to_confirm")
            await uow.audit.record(
                self.clock.now(),
                "deadline.confirmed",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(deadline.id),
                detail={"unit_id": unit_id},
            )
            return await load_board(uow, deadline, self.clock.now(), by.cluster.timezone)

    async def reopen(self, by: Caller, deadline_id: int, unit_id: int) -> Board:
        """The unit owes the report again, and reminders reach it again."""
        by.require(Action.MANAGE_DEADLINES)
        async with UnitOfWork(self.db) as uow:
            deadline = await self._deadline_of(uow, by, deadline_id)
            if not await uow.deadlines.reopen(deadline.id, unit_id):
                raise InvalidInput("deadline.nothing_to_reopen")
            await uow.audit.record(
                self.clock.now(),
                "deadline.reopened",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(deadline.id),
                detail={"unit_id": unit_id},
            )
            return await load_board(uow, deadline, self.clock.now(), by.cluster.timezone)

    # -- units -------------------------------------------------------------------------------

    async def mark_done(self, by: Caller, deadline_id: int) -> Board:
        async with UnitOfWork(self.db) as uow:
            deadline = await self._open_deadline(uow, by, deadline_id)
            unit_id = by.member.unit_id
            by.require(Action.MARK_DEADLINE_DONE, unit_id=unit_id)
            if deadline.is_event:
                raise InvalidInput("deadline.is_event", title=deadline.title)
            if deadline.scoring_round:
                raise InvalidInput("deadline.by_sheet", title=deadline.title)
            if unit_id not in deadline.unit_ids:
                raise InvalidInput("deadline.not_concerned")
            if not await uow.deadlines.complete(
                deadline.id, unit_id, by.member.id, self.clock.now()
            ):
                raise InvalidInput("deadline.already_done")
            await uow.audit.record(
                self.clock.now(),
                "deadline.done",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(deadline.id),
                detail={"unit_id": unit_id},
            )
            return await load_board(uow, deadline, self.clock.now(), by.cluster.timezone)

    async def undo_done(self, by: Caller, deadline_id: int) -> Board:
        """Take back "reported", pressed by mistake, within UNDO_DONE of pressing it."""
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            deadline = await self._open_deadline(uow, by, deadline_id)
            unit_id = by.member.unit_id
            by.require(Action.MARK_DEADLINE_DONE, unit_id=unit_id)
            if unit_id is None or not await uow.deadlines.uncomplete(
                deadline.id, unit_id, now - UNDO_DONE
            ):
                raise InvalidInput("deadline.undo_too_late", minutes=UNDO_MINUTES)
            await uow.audit.record(
                now,
                "deadline.undone",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(deadline.id),
                detail={"unit_id": unit_id},
            )
            return await load_board(uow, deadline, now, by.cluster.timezone)

    async def attach_report(
        self, by: Caller, deadline_id: int, file_name: str, data: bytes
    ) -> None:
        async with UnitOfWork(self.db) as uow:
            deadline = await self._deadline_of(uow, by, deadline_id)
            unit = by.for_own_unit(Action.MARK_DEADLINE_DONE)
            if unit.id not in (await uow.deadlines.completions(deadline.id)):
                raise InvalidInput("deadline.not_done_yet")
            await uow.deadlines.attach_report(deadline.id, unit.id, file_name, data)
            await uow.audit.record(
                self.clock.now(),
                "deadline.report_attached",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(deadline.id),
                detail={"file": file_name},
            )

    # -- reading -----------------------------------------------------------------------------

    async def boards(self, by: Caller) -> list[Board]:
        """Open deadlines of the caller's cluster (a representative: those of their unit)."""
        by.require(Action.VIEW_DEADLINES)
        async with UnitOfWork(self.db) as uow:
            deadlines = await uow.deadlines.in_cluster(by.cluster.id)
            if Role.UNIT_REP in by.roles and not by.roles & {Role.SECRETARIAT}:
                deadlines = [d for d in deadlines if by.member.unit_id in d.unit_ids]
            now = self.clock.now()
            deadlines = [d for d in deadlines if not (d.is_event and d.due_at <= now)]  # held
            return [await load_board(uow, d, now, by.cluster.timezone) for d in deadlines]

    async def board(self, by: Caller, deadline_id: int) -> Board:
        by.require(Action.VIEW_DEADLINES)
        async with UnitOfWork(self.db) as uow:
            deadline = await self._deadline_of(uow, by, deadline_id)
            return await load_board(uow, deadline, self.clock.now(), by.cluster.timezone)

    async def _announce(self, uow: UnitOfWork, board: Board, change: str) -> None:
        deadline = board.deadline
        for row in board.rows:
            if row.completion is not None and change != "cancelled":
                continue
            for member in await representatives(uow, row.unit.id):
                reply = self.notices.announcement(locale_of(self.settings, member), board, change)
                await enqueue(
                    uow,
                    f"announce:{deadline.id}:{deadline.revision}:{member.id}",
                    member,
                    reply,
                    self.clock.now(),
                    f"deadline:{deadline.id}",
                )

    async def _deadline_of(self, uow: UnitOfWork, by: Caller, deadline_id: int) -> Deadline:
        deadline = await uow.deadlines.get(deadline_id)
        if deadline is None or deadline.cluster_id != by.cluster.id:
            raise NotFound("deadline.unknown", id=deadline_id)
        return deadline

    async def _open_deadline(self, uow: UnitOfWork, by: Caller, deadline_id: int) -> Deadline:
        deadline = await self._deadline_of(uow, by, deadline_id)
        if deadline.status != DeadlineState.OPEN:
            raise InvalidInput("deadline.cancelled", title=deadline.title)
        return deadline


async def _unit_ids(
    uow: UnitOfWork, cluster_id: int, codes: list[str] | None, period: Period | None
) -> frozenset[int]:
    """Unit codes (and the words chair / vice chair, meaning this period's) → unit ids;
    no codes: every unit."""
    units = await uow.units.in_cluster(cluster_id)
    if not codes:
        return frozenset(u.id for u in units)
    by_code: dict[str, int | None] = {u.code: u.id for u in units}
    by_code |= dict.fromkeys(CHAIR_WORDS, period.chair_unit_id if period else None)
    by_code |= dict.fromkeys(VICE_CHAIR_WORDS, period.vice_chair_unit_id if period else None)
    wanted = [c.strip().upper() for c in codes if c.strip()]
    unknown = [c for c in wanted if c not in by_code]
    if unknown or not wanted:
        raise InvalidInput("deadline.unknown_units", codes=", ".join(unknown) or "–")
    # "vice_chair" in a period without one is no one; an audience of no one is an error.
    ids = frozenset(i for i in (by_code[c] for c in wanted) if i is not None)
    if not ids:
        raise InvalidInput("deadline.no_chair_unit")
    return ids


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not 3 <= len(title) <= MAX_TITLE:
        raise InvalidInput("deadline.bad_title", limit=MAX_TITLE)
    return title


def _clean_detail(text: str | None) -> str | None:
    """Trimmed lines, blank ones dropped; None when nothing is left."""
    if text is None:
        return None
    lines = [" ".join(line.split()) for line in text.splitlines()]
    cleaned = "\n".join(line for line in lines if line)
    if len(cleaned) > MAX_DETAIL:
        raise InvalidInput("deadline.detail_too_long", limit=MAX_DETAIL)
    return cleaned or None


def after_quiet_hours(
    now: datetime, timezone: str, policy: ReminderPolicy | None = None
) -> datetime | None:
    """None now, or the morning a message sent in quiet hours should wait for."""
    policy = policy or ReminderPolicy()
    local = now.astimezone(ZoneInfo(timezone))
    if not in_quiet_hours(local.time(), policy):
        return None
    return out_of_quiet_hours(local, policy)


def _days_between(due_at: datetime, now: datetime, timezone: str) -> int:
    """Whole calendar days from today to the due day (or since it, once passed)."""
    tz = ZoneInfo(timezone)
    return abs((due_at.astimezone(tz).date() - now.astimezone(tz).date()).days)


async def unscored_items(uow: UnitOfWork, deadline: Deadline, unit_id: int) -> int | None:
    """For a scoring-round deadline: how many items the unit has yet to score (None when the
    round has no scale yet, or the deadline is not a scoring round)."""
    if not deadline.scoring_round:
        return None
    period = await uow.periods.current(deadline.cluster_id)
    if period is None:
        return None
    scoring_round = await uow.scoring.round_by_key(period.id, deadline.scoring_round)
    if scoring_round is None:
        return None
    sheet = await uow.scoring.sheet_of(scoring_round.id, unit_id)
    scores = (await uow.scoring.scores(sheet.id)).own if sheet else {}
    return len(totals(scale_of(scoring_round.scale_yaml), scores).missing)


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y %H:%M")


async def plan_deadline(uow: UnitOfWork, now: datetime, deadline: Deadline) -> None:
    """Plan the reminders of a deadline (those still ahead), replacing earlier plans."""
    cluster = await uow.clusters.one(deadline.cluster_id)
    policy = deadline.policy or ReminderPolicy()
    if deadline.is_event:  # nothing is owed: no overdue notices, no summary of who reported
        policy = policy.model_copy(update={"overdue_days": 0, "summary": False})
    planned = plan_reminders(deadline.due_at, cluster.timezone, policy)
    await uow.reminders.plan(
        deadline.id, deadline.revision, [r for r in planned if r.at > now], now
    )


async def load_board(uow: UnitOfWork, deadline: Deadline, now: datetime, timezone: str) -> Board:
    units = [
        u for u in await uow.units.in_cluster(deadline.cluster_id) if u.id in deadline.unit_ids
    ]
    done = await uow.deadlines.completions(deadline.id)
    rows = [BoardRow(u, unit_status(deadline, done.get(u.id), now), done.get(u.id)) for u in units]
    return Board(deadline, rows, timezone)
