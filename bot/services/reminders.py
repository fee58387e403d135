"""The engine's side of deadlines: due reminders become outbox messages (only to units not yet
done, missed ones collapsed into the latest), recurring deadlines roll over, and the secretariat
hears once when a person can no longer be reached."""

from __future__ import annotations

from datetime import datetime

from bot.clock import Clock
from bot.config import Settings
from bot.domain.deadlines import (
    Deadline,
    DeadlineState,
    next_occurrence,
)
from bot.domain.models import Cluster, Role
from bot.domain.reminders import ReminderKind, ReminderPolicy, catch_up
from bot.i18n import speaking_of
from storage.db import Database
from storage.uow import UnitOfWork

from .deadlines import Notices, after_quiet_hours, load_board, plan_deadline, unscored_items
from .recipients import enqueue, locale_of, members_with, representatives


class Reminders:
    def __init__(self, db: Database, clock: Clock, settings: Settings, notices: Notices) -> None:
        self.db, self.clock, self.settings, self.notices = db, clock, settings, notices

    async def send_due_reminders(self) -> int:
        """Turn every reminder whose time has come into outbox messages; returns how many
        messages were queued. Missed reminders collapse into one (see `catch_up`)."""
        now = self.clock.now()
        queued = 0
        async with UnitOfWork(self.db) as uow:
            due = await uow.reminders.due(now)
            for deadline_id in dict.fromkeys(r.deadline_id for r in due):
                mine = [r for r in due if r.deadline_id == deadline_id]
                queued += await self._send_for_deadline(uow, deadline_id, mine, now)
        return queued

    async def _send_for_deadline(
        self, uow: UnitOfWork, deadline_id: int, due: list, now: datetime
    ) -> int:
        deadline = await uow.deadlines.one(deadline_id)
        cluster = await uow.clusters.one(deadline.cluster_id)
        with speaking_of(cluster.kind):
            return await self._send_due(uow, deadline, cluster, due, now)

    async def _send_due(
        self, uow: UnitOfWork, deadline: Deadline, cluster: Cluster, due: list, now: datetime
    ) -> int:
        if deadline.status != DeadlineState.OPEN:
            for r in due:
                await uow.reminders.mark(r.id, "cancelled", now)
            return 0
        board = await load_board(uow, deadline, self.clock.now(), cluster.timezone)
        queued = 0
        # Caught up late (after a downtime) in quiet hours: it waits for the morning.
        hold = after_quiet_hours(now, cluster.timezone, deadline.policy)
        summaries = [r for r in due if r.planned.kind == ReminderKind.SUMMARY]
        for stored in summaries:
            for member in await members_with(uow, cluster.id, Role.SECRETARIAT):
                reply = self.notices.summary(locale_of(self.settings, member), board)
                queued += await enqueue(
                    uow,
                    f"reminder:{stored.id}:{member.id}",
                    member,
                    reply,
                    now,
                    f"deadline:{deadline.id}",
                    not_before=hold,
                )
            await uow.reminders.mark(stored.id, "sent", now)
        unit_due = [r for r in due if r.planned.kind != ReminderKind.SUMMARY]
        policy = deadline.policy or ReminderPolicy()
        chosen = catch_up([r.planned for r in unit_due], deadline.due_at, now, policy.overdue_days)
        if deadline.is_event and now >= deadline.due_at:
            chosen = []  # an event that has taken place needs no reminder
        latest = max(unit_due, key=lambda r: r.planned.at) if unit_due else None
        for stored in unit_due:
            if stored is not latest or not chosen:  # stale: marked, so it is never due again
                await uow.reminders.mark(stored.id, "skipped", now)
        if latest is not None and chosen:
            notice = chosen[0]
            for row in board.rows:
                if row.completion is not None:
                    continue  # only units not yet done, at the moment of sending
                unscored = await unscored_items(uow, deadline, row.unit.id)
                for member in await representatives(uow, row.unit.id):
                    reply = self.notices.reminder(
                        locale_of(self.settings, member), board, notice.kind, notice.days, unscored
                    )
                    queued += await enqueue(
                        uow,
                        f"reminder:{latest.id}:{member.id}",
                        member,
                        reply,
                        now,
                        f"deadline:{deadline.id}",
                        not_before=hold,
                    )
            await uow.reminders.mark(latest.id, "sent", now)
        return queued

    async def roll_recurring(self) -> int:
        """Create the next occurrence of every recurring deadline whose due time has passed."""
        now = self.clock.now()
        created = 0
        async with UnitOfWork(self.db) as uow:
            for deadline in await uow.deadlines.recurring_due(now):
                cluster = await uow.clusters.one(deadline.cluster_id)
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
                    kind=deadline.kind,
                    description=deadline.description,
                    how=deadline.how,
                    template_file_id=deadline.template_file_id,
                )
                await plan_deadline(uow, self.clock.now(), await uow.deadlines.one(new_id))
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
        async with UnitOfWork(self.db) as uow:
            member = await uow.members.get(member_id)
            if member is None:
                return
            unit = await uow.units.get(member.unit_id) if member.unit_id else None
            for secretary in await members_with(uow, member.cluster_id, Role.SECRETARIAT):
                if secretary.id == member.id:
                    continue
                reply = self.notices.undeliverable(
                    locale_of(self.settings, secretary), member, unit
                )
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
        async with UnitOfWork(self.db) as uow:
            return await uow.reminders.next_time()
