"""Deadline use cases: create, move, cancel, import a calendar; units mark done; the secretariat
confirms or reopens; status boards; and turning due reminders into outbox messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Settings
from bot.domain.deadlines import (
    CalendarEntry,
    Completion,
    Deadline,
    DeadlineState,
    UnitStatus,
    next_occurrence,
    parse_calendar,
    unit_status,
)
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.models import Member, Role, Unit
from bot.domain.policy import Action
from bot.domain.reminders import ReminderKind, ReminderPolicy, catch_up, plan_reminders
from bot.messages import Reply
from storage.db import Database
from storage.uow import UnitOfWork

from .membership import Caller
from .recipients import enqueue, members_with, representatives

MAX_TITLE = 200


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

    def reminder(self, locale: str, board: Board, kind: ReminderKind, days: int) -> Reply: ...

    def summary(self, locale: str, board: Board) -> Reply: ...

    def announcement(self, locale: str, board: Board, change: str) -> Reply:
        """`change`: new | moved | cancelled."""
        ...

    def undeliverable(self, locale: str, member: Member, unit: Unit | None) -> Reply: ...


class Deadlines:
    def __init__(self, db: Database, clock: Clock, settings: Settings, notices: Notices) -> None:
        self.db, self.clock, self.settings, self.notices = db, clock, settings, notices

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self.db)

    # -- the secretariat ---------------------------------------------------------------------

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
    ) -> Board:
        by.require(Action.MANAGE_DEADLINES)
        title = _clean_title(title)
        now = self.clock.now()
        if due_at <= now:
            raise InvalidInput("deadline.due_past", text=_local(due_at, by.cluster.timezone))
        async with self._uow() as uow:
            unit_ids = await _unit_ids(uow, by.cluster.id, unit_codes)
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
            )
            deadline = await uow.deadlines.get(deadline_id)
            await self._plan(uow, deadline)
            await uow.audit.record(
                now,
                "deadline.created",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(deadline_id),
                detail={"title": title, "due_at": due_at.isoformat()},
            )
            board = await self._board(uow, deadline, by.cluster.timezone)
            await self._announce(uow, board, "new")
        return board

    async def import_calendar(self, by: Caller, text: str) -> tuple[list[Board], list]:
        by.require(Action.MANAGE_DEADLINES)
        entries, skipped = parse_calendar(text, by.cluster.timezone, self.clock.now())
        async with self._uow() as uow:  # every unit code checked before anything is created
            for entry in entries:
                await _unit_ids(uow, by.cluster.id, list(entry.unit_codes or []) or None)
        boards = [await self._create_entry(by, e) for e in entries]
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
        )

    async def move(self, by: Caller, deadline_id: int, due_at: datetime) -> Board:
        """A new due time re-plans every reminder not yet sent."""
        by.require(Action.MANAGE_DEADLINES)
        now = self.clock.now()
        if due_at <= now:
            raise InvalidInput("deadline.due_past", text=_local(due_at, by.cluster.timezone))
        async with self._uow() as uow:
            deadline = await self._open_deadline(uow, by, deadline_id)
            await uow.deadlines.change(
                deadline.id,
                title=deadline.title,
                due_at=due_at,
                status=DeadlineState.OPEN,
                bump_revision=True,
            )
            deadline = await uow.deadlines.get(deadline.id)
            await self._plan(uow, deadline)
            await uow.audit.record(
                now,
                "deadline.moved",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(deadline.id),
                detail={"due_at": due_at.isoformat()},
            )
            board = await self._board(uow, deadline, by.cluster.timezone)
            await self._announce(uow, board, "moved")
        return board

    async def cancel(self, by: Caller, deadline_id: int) -> Board:
        by.require(Action.MANAGE_DEADLINES)
        now = self.clock.now()
        async with self._uow() as uow:
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
            board = await self._board(
                uow, await uow.deadlines.get(deadline.id), by.cluster.timezone
            )
            await self._announce(uow, board, "cancelled")
        return board

    async def confirm(self, by: Caller, deadline_id: int, unit_id: int) -> Board:
        by.require(Action.MANAGE_DEADLINES)
        async with self._uow() as uow:
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
            return await self._board(uow, deadline, by.cluster.timezone)

    async def reopen(self, by: Caller, deadline_id: int, unit_id: int) -> Board:
        """The unit owes the report again, and reminders reach it again."""
        by.require(Action.MANAGE_DEADLINES)
        async with self._uow() as uow:
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
            return await self._board(uow, deadline, by.cluster.timezone)

    # -- units -------------------------------------------------------------------------------

    async def mark_done(self, by: Caller, deadline_id: int) -> Board:
        async with self._uow() as uow:
            deadline = await self._open_deadline(uow, by, deadline_id)
            unit_id = by.member.unit_id
            by.require(Action.MARK_DEADLINE_DONE, unit_id=unit_id)
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
            return await self._board(uow, deadline, by.cluster.timezone)

    async def attach_report(
        self, by: Caller, deadline_id: int, file_name: str, data: bytes
    ) -> None:
        async with self._uow() as uow:
            deadline = await self._deadline_of(uow, by, deadline_id)
            by.require(Action.MARK_DEADLINE_DONE, unit_id=by.member.unit_id)
            if by.member.unit_id not in (await uow.deadlines.completions(deadline.id)):
                raise InvalidInput("deadline.not_done_yet")
            await uow.deadlines.attach_report(deadline.id, by.member.unit_id, file_name, data)
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
        async with self._uow() as uow:
            deadlines = await uow.deadlines.in_cluster(by.cluster.id)
            if Role.UNIT_REP in by.roles and not by.roles & {Role.SECRETARIAT}:
                deadlines = [d for d in deadlines if by.member.unit_id in d.unit_ids]
            return [await self._board(uow, d, by.cluster.timezone) for d in deadlines]

    async def board(self, by: Caller, deadline_id: int) -> Board:
        by.require(Action.VIEW_DEADLINES)
        async with self._uow() as uow:
            deadline = await self._deadline_of(uow, by, deadline_id)
            return await self._board(uow, deadline, by.cluster.timezone)

    # -- the engine's side -------------------------------------------------------------------

    async def send_due_reminders(self) -> int:
        """Turn every reminder whose time has come into outbox messages; returns how many
        messages were queued. Missed reminders collapse into one (see `catch_up`)."""
        now = self.clock.now()
        queued = 0
        async with self._uow() as uow:
            due = await uow.reminders.due(now)
            for deadline_id in dict.fromkeys(r.deadline_id for r in due):
                mine = [r for r in due if r.deadline_id == deadline_id]
                queued += await self._send_for_deadline(uow, deadline_id, mine, now)
        return queued

    async def _send_for_deadline(
        self, uow: UnitOfWork, deadline_id: int, due: list, now: datetime
    ) -> int:
        deadline = await uow.deadlines.get(deadline_id)
        cluster = await uow.clusters.get(deadline.cluster_id)
        if deadline.status != DeadlineState.OPEN:
            for r in due:
                await uow.reminders.mark(r.id, "cancelled", now)
            return 0
        board = await self._board(uow, deadline, cluster.timezone)
        queued = 0
        summaries = [r for r in due if r.planned.kind == ReminderKind.SUMMARY]
        for stored in summaries:
            for member in await members_with(uow, cluster.id, Role.SECRETARIAT):
                reply = self.notices.summary(self._locale(member), board)
                queued += await enqueue(
                    uow,
                    f"reminder:{stored.id}:{member.id}",
                    member,
                    reply,
                    now,
                    f"deadline:{deadline.id}",
                )
            await uow.reminders.mark(stored.id, "sent", now)
        unit_due = [r for r in due if r.planned.kind != ReminderKind.SUMMARY]
        chosen = catch_up([r.planned for r in unit_due], deadline.due_at, now)
        latest = max(unit_due, key=lambda r: r.planned.at) if unit_due else None
        for stored in unit_due:
            if stored is not latest:
                await uow.reminders.mark(stored.id, "skipped", now)
        if latest is not None and chosen:
            notice = chosen[0]
            for row in board.rows:
                if row.completion is not None:
                    continue  # only units not yet done, at the moment of sending
                for member in await representatives(uow, row.unit.id):
                    reply = self.notices.reminder(
                        self._locale(member), board, notice.kind, notice.days
                    )
                    queued += await enqueue(
                        uow,
                        f"reminder:{latest.id}:{member.id}",
                        member,
                        reply,
                        now,
                        f"deadline:{deadline.id}",
                    )
            await uow.reminders.mark(latest.id, "sent", now)
        return queued

    async def roll_recurring(self) -> int:
        """Create the next occurrence of every recurring deadline whose due time has passed."""
        now = self.clock.now()
        created = 0
        async with self._uow() as uow:
            for deadline in await uow.deadlines.recurring_due(now):
                cluster = await uow.clusters.get(deadline.cluster_id)
                due = next_occurrence(deadline.due_at, deadline.recurrence, cluster.timezone)
                while due is not None and due <= now:
                    due = next_occurrence(due, deadline.recurrence, cluster.timezone)
                if due is None or await uow.deadlines.successor_exists(deadline, due):
                    continue
                new_id = await uow.deadlines.add(
                    deadline.cluster_id,
                    deadline.title,
                    due,
                    deadline.unit_ids,
                    deadline.policy,
                    deadline.scoring_round,
                    deadline.recurrence,
                    "recurrence",
                    now,
                )
                await self._plan(uow, await uow.deadlines.get(new_id))
                await uow.audit.record(
                    now,
                    "deadline.recurred",
                    cluster_id=cluster.id,
                    subject=str(new_id),
                    detail={"from": deadline.id},
                )
                created += 1
        return created

    async def report_undeliverable(self, member_id: int | None) -> None:
        """Tell the secretariat, once per person, that messages no longer reach them."""
        if member_id is None:
            return
        async with self._uow() as uow:
            member = await uow.members.get(member_id)
            if member is None:
                return
            unit = await uow.units.get(member.unit_id) if member.unit_id else None
            for secretary in await members_with(uow, member.cluster_id, Role.SECRETARIAT):
                if secretary.id == member.id:
                    continue
                reply = self.notices.undeliverable(self._locale(secretary), member, unit)
                await enqueue(
                    uow,
                    f"undeliverable:{member.id}:{secretary.id}",
                    secretary,
                    reply,
                    self.clock.now(),
                    f"member:{member.id}",
                )

    async def next_wake(self) -> datetime | None:
        """The next moment the engine has work: a planned reminder or a recurring roll-over."""
        async with self._uow() as uow:
            return await uow.reminders.next_time()

    # -- helpers -----------------------------------------------------------------------------

    def _locale(self, member: Member) -> str:
        return member.locale or self.settings.default_locale

    async def _plan(self, uow: UnitOfWork, deadline: Deadline) -> None:
        cluster = await uow.clusters.get(deadline.cluster_id)
        now = self.clock.now()
        planned = plan_reminders(
            deadline.due_at, cluster.timezone, deadline.policy or ReminderPolicy()
        )
        await uow.reminders.plan(
            deadline.id, deadline.revision, [r for r in planned if r.at > now], now
        )

    async def _announce(self, uow: UnitOfWork, board: Board, change: str) -> None:
        deadline = board.deadline
        for row in board.rows:
            if row.completion is not None and change != "cancelled":
                continue
            for member in await representatives(uow, row.unit.id):
                reply = self.notices.announcement(self._locale(member), board, change)
                await enqueue(
                    uow,
                    f"announce:{deadline.id}:{deadline.revision}:{member.id}",
                    member,
                    reply,
                    self.clock.now(),
                    f"deadline:{deadline.id}",
                )

    async def _board(self, uow: UnitOfWork, deadline: Deadline, timezone: str) -> Board:
        units = [
            u for u in await uow.units.in_cluster(deadline.cluster_id) if u.id in deadline.unit_ids
        ]
        done = await uow.deadlines.completions(deadline.id)
        now = self.clock.now()
        rows = [
            BoardRow(u, unit_status(deadline, done.get(u.id), now), done.get(u.id)) for u in units
        ]
        return Board(deadline, rows, timezone)

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


async def _unit_ids(uow: UnitOfWork, cluster_id: int, codes: list[str] | None) -> frozenset[int]:
    units = await uow.units.in_cluster(cluster_id)
    if not codes:
        return frozenset(u.id for u in units)
    by_code = {u.code: u.id for u in units}
    wanted = [c.strip().upper() for c in codes if c.strip()]
    unknown = [c for c in wanted if c not in by_code]
    if unknown or not wanted:
        raise InvalidInput("deadline.unknown_units", codes=", ".join(unknown) or "–")
    return frozenset(by_code[c] for c in wanted)


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not 3 <= len(title) <= MAX_TITLE:
        raise InvalidInput("deadline.bad_title", limit=MAX_TITLE)
    return title


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y %H:%M")
