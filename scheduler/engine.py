"""The reminder engine: APScheduler only wakes it up; the database says what is due.

Each tick rolls recurring deadlines over, turns due reminders into outbox messages, closes the
ballots whose time is up, refreshes live views, drains the outbox, then arms one APScheduler job
for the next moment anything is due. On start a tick runs at once, so reminders missed while the
bot was down are caught up (once). Every commit that writes wakes the engine to re-plan (the
database's `changed` event): queued work is never left waiting for the next scheduled wake-up.

With several processes on one PostgreSQL database only the leader (an advisory lock) runs the
engine, and so sends the outbox; another takes over within seconds of its end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.services.counting import Counting
from bot.services.housekeeping import Housekeeping
from bot.services.live_views import LiveViews
from bot.services.reminders import Reminders
from storage.db import Database

from .outbox import OutboxDispatcher

if TYPE_CHECKING:  # APScheduler loads only with real timers (a scripted console has none)
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)
JOB_ID = "thidua-tick"
DRAIN_JOB_ID = "thidua-drain"
LIVE_JOB_ID = "thidua-live-views"
LEADER_POLL_SECONDS = 2.0  # a follower asks this often whether the leader is gone
LIVE_VIEW_DELAY = timedelta(seconds=1)  # live views are edited at most about once a second


class ReminderEngine:
    def __init__(
        self,
        db: Database,
        reminders: Reminders,
        counting: Counting,
        housekeeping: Housekeeping,
        live_views: LiveViews,
        outbox: OutboxDispatcher,
        clock: Clock,
        scheduler: AsyncIOScheduler | None = None,
    ) -> None:
        self.db, self.reminders, self.outbox, self.clock = db, reminders, outbox, clock
        self.counting = counting  # ballots with an auto-close time are closed on time
        self.housekeeping = housekeeping
        self.live_views = live_views
        # None: ticks run only when called (scripted console runs stay deterministic).
        self.scheduler = scheduler
        self._lock = asyncio.Lock()
        self._arming = asyncio.Lock()  # one plan at a time, so an older plan never wins
        self._watcher: asyncio.Task[None] | None = None
        # Several processes on PostgreSQL: one runs the scheduler and sends the outbox (the
        # leader); the others answer updates and wait to take over.
        self.leading = False
        self._campaign: asyncio.Task[None] | None = None
        self._guard: asyncio.Task[None] | None = None
        self.next_wake: datetime | None = None  # as last planned (for /healthz)
        self.ticks = 0  # wake-ups so far, full ticks and drains alike (tests wait on them)
        self._ticked = asyncio.Condition()

    async def start(self) -> None:
        """Catch up on what is due. With a scheduler the catch-up runs as its first job, so the
        channels take updates at once, however much is queued; without one (scripted console
        runs) it runs before this returns."""
        if self.scheduler is None:
            self.leading = True
            await self.tick()
            return
        if await self.db.lead():
            self._begin()
        else:  # another process runs the scheduler; take over when it is gone
            self._campaign = asyncio.create_task(self._await_leadership())

    def _begin(self) -> None:
        from apscheduler.schedulers.base import STATE_PAUSED

        assert self.scheduler is not None
        self.leading = True
        self.db.leadership_lost.clear()
        if not self.scheduler.running:
            self.scheduler.start()
        elif self.scheduler.state == STATE_PAUSED:
            self.scheduler.resume()
        self._watcher = asyncio.create_task(self._replan_on_change())
        self._guard = asyncio.create_task(self._step_down_when_lost())
        self._schedule(JOB_ID, self.tick, self.clock.now())

    async def _step_down_when_lost(self) -> None:
        """Another process may hold the leader lock now: plan nothing more (a tick in flight
        ends by itself; the outbox leases keep it from sending what the new leader takes),
        then ask for the lock again like any follower."""
        await self.db.leadership_lost.wait()
        self.leading = False
        if self._watcher is not None:
            self._watcher.cancel()
            self._watcher = None
        assert self.scheduler is not None
        self.scheduler.remove_all_jobs()
        self.scheduler.pause()
        self._campaign = asyncio.create_task(self._await_leadership())

    async def _await_leadership(self) -> None:
        while not await self._try_lead():
            await asyncio.sleep(LEADER_POLL_SECONDS)
        log.info("this process now runs the scheduler")
        self._begin()

    async def _try_lead(self) -> bool:
        try:
            return await self.db.lead()
        except Exception:
            log.exception("asking for the scheduler's leadership failed; asking again")
            return False

    async def stop(self) -> None:
        """No new wake-up; a tick or drain in flight finishes its messages (channels still
        open), then the scheduler stops."""
        self.outbox.request_stop()
        for task in (self._guard, self._campaign):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._guard = self._campaign = None
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.pause()
        async with self._lock:  # a tick in flight finishes the messages it is sending
            await self.outbox.stop()  # and so does a drain
            if self.scheduler is not None and self.scheduler.running:
                self.scheduler.shutdown(wait=False)

    async def _replan_on_change(self) -> None:
        """Re-plan after every write: a burst of commits costs one plan."""
        while True:
            await self.db.changed.wait()
            self.db.changed.clear()
            try:
                await self.arm()
            except Exception:
                log.exception("re-planning the next wake-up failed")

    async def tick(self) -> None:
        async with self._lock:
            try:
                await self.reminders.roll_recurring()
                await self.reminders.send_due_reminders()
                await self.counting.close_due()
                await self.live_views.refresh_behind()
                await self.housekeeping.prune()
                await self.outbox.drain()
            except Exception:
                log.exception("reminder tick failed; retrying at the next wake-up")
            await self.arm()
        await self._woke()

    async def _woke(self) -> None:
        async with self._ticked:
            self.ticks += 1
            self._ticked.notify_all()

    async def arm(self) -> datetime | None:
        """Schedule the next wake-up (in real time: the clock may have been moved)."""
        async with self._arming:
            return await self._arm()

    async def _arm(self) -> datetime | None:
        work = [
            await self.reminders.next_wake(),
            await self.counting.next_close_time(),
            self.live_views.due(),
        ]
        due_work = min((m for m in work if m), default=None)
        sending = await self.outbox.next_time()
        wake = min((m for m in (due_work, sending) if m), default=None)
        self.next_wake = wake
        if self.scheduler is None or not self.leading:  # (a tick ending after a step-down)
            return wake
        if not self._lock.locked():  # a tick in flight re-arms when it ends
            self._schedule(JOB_ID, self.tick, due_work)
        # Messages due before the next tick go out on their own, without the tick's other work
        # (a cast's receipt, a reply-like notice): the cheap path for the common case. A drain
        # in flight takes new messages itself.
        early = sending if sending and (due_work is None or sending < due_work) else None
        if not self.outbox.draining:
            self._schedule(DRAIN_JOB_ID, self._drain, early)
        return wake

    def _schedule(self, job_id: str, job, moment: datetime | None) -> None:
        from apscheduler.triggers.date import DateTrigger

        assert self.scheduler is not None
        if moment is None:
            if self.scheduler.get_job(job_id):
                self.scheduler.remove_job(job_id)
            return
        delay = max(timedelta(0), moment - self.clock.now())
        self.scheduler.add_job(
            job,
            DateTrigger(run_date=datetime.now(moment.tzinfo) + delay),
            id=job_id,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    async def _drain(self) -> None:
        try:
            await self.outbox.drain()
        except Exception:
            log.exception("outbox drain failed; retrying at the next wake-up")
        await self._woke()

    async def wait_ticks(self, count: int, timeout: float = 10) -> None:
        async def _wait():
            async with self._ticked:
                await self._ticked.wait_for(lambda: self.ticks >= count)

        await asyncio.wait_for(_wait(), timeout)
