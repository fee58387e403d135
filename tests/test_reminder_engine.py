"""Deadlines, reminders and the outbox with a real SQLite file, a controllable clock, real
APScheduler, and the console channel (or PTB against the fake Bot API) as the transport."""

import io
import os
import time as time_module
from datetime import datetime, timedelta

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.clock import ManualClock, ShiftableClock
from bot.domain.errors import Forbidden, InvalidInput
from bot.services.demo import seed_demo

from .conftest import VN

NOV20 = datetime(2026, 11, 20, 9, 0, tzinfo=VN)
DUE = datetime(2026, 11, 30, 17, 0, tzinfo=VN)


class Harness:
    """The app on a real database file with the console channel as the transport."""

    def __init__(self, app: App, out: io.StringIO, clock):
        self.app, self.out, self.clock = app, out, clock

    @property
    def deadlines(self):
        return self.app.services.deadlines

    async def caller(self, handle):
        return await self.app.services.membership.identify("console", handle.lower())

    async def create(self, units, due=DUE, title="Báo cáo tháng"):
        """The secretariat creates a deadline; its announcements go out at once."""
        board = await self.deadlines.create(await self.caller("secretariat"), title, due, units)
        self.announced = await self.at(self.clock.now())
        return board

    async def at(self, moment: datetime) -> str:
        """Move the clock, run the engine, return what was sent meanwhile."""
        start = len(self.out.getvalue())
        self.clock.move_to(moment)
        await self.app.engine.tick()
        return self.out.getvalue()[start:]


async def _harness(settings, clock, *, scheduled=False, out=None) -> Harness:
    out = out or io.StringIO()
    channel = ConsoleChannel(out, clock, settings.timezone)
    app = await App.open(settings, clock, {"console": channel}, scheduled=scheduled)
    await seed_demo(app.services.membership)
    await channel.start(app.router.dispatch)
    await app.start_engine()
    return Harness(app, out, clock)


@pytest.fixture
async def h(settings):
    harness = await _harness(settings, ManualClock(NOV20))
    yield harness
    await harness.app.close()


def _recipients(output: str) -> list[str]:
    """Who received a message; unit representatives by their unit code."""
    handles = [line[3:] for line in output.splitlines() if line.startswith("→ @")]
    return [h if h in ("secretariat", "observer") else h.upper() for h in handles]


async def test_new_deadline_is_announced_to_its_units_only(h):
    await h.create(["AGG", "BLU"])
    assert _recipients(h.announced) == ["AGG", "BLU"]
    assert "📌 Hạn báo cáo mới: “Báo cáo tháng” – hạn nộp 30/11/2026 17:00." in h.announced


async def test_default_schedule_lands_at_the_right_local_times(h):
    board = await h.create(["AGG"])
    async with h.app.db.conn.execute(
        "SELECT kind, days, at FROM reminders WHERE deadline_id = ? ORDER BY at",
        (board.deadline.id,),
    ) as cursor:
        planned = [
            (k, d, datetime.fromisoformat(a).astimezone(VN).strftime("%d/%m %H:%M"))
            for k, d, a in await cursor.fetchall()
        ]
    assert planned == [
        ("before", 7, "23/11 08:00"),
        ("before", 3, "27/11 08:00"),
        ("before", 1, "29/11 08:00"),
        ("before", 0, "30/11 08:00"),
        ("summary", 0, "30/11 17:00"),
        ("overdue", 1, "01/12 08:00"),
        ("overdue", 2, "02/12 08:00"),
        ("overdue", 3, "03/12 08:00"),
    ]
    assert await h.at(datetime(2026, 11, 23, 7, 59, tzinfo=VN)) == ""
    assert "còn 7 ngày" in await h.at(datetime(2026, 11, 23, 8, 0, tzinfo=VN))


async def test_schedule_ignores_the_machine_timezone(settings, monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time_module.tzset()
    try:
        harness = await _harness(settings, ManualClock(NOV20))
        await harness.create(["AGG"])
        assert "còn 3 ngày" in await harness.at(datetime(2026, 11, 27, 8, 0, tzinfo=VN))
        await harness.app.close()
    finally:
        monkeypatch.delenv("TZ")
        time_module.tzset()
    assert os.environ.get("TZ") is None


async def test_a_unit_that_reports_stops_receiving_reminders(h):
    board = await h.create(["AGG", "BLU"])
    await h.deadlines.mark_done(await h.caller("AGG"), board.deadline.id)
    for day in (23, 27, 29, 30):
        assert _recipients(await h.at(datetime(2026, 11, day, 8, 0, tzinfo=VN))) == ["BLU"]
    assert _recipients(await h.at(datetime(2026, 11, 30, 17, 0, tzinfo=VN))) == ["secretariat"]
    for day in (1, 2, 3):
        assert _recipients(await h.at(datetime(2026, 12, day, 8, 0, tzinfo=VN))) == ["BLU"]
    assert await h.at(datetime(2026, 12, 10, 8, 0, tzinfo=VN)) == ""


async def test_a_report_is_recorded_once_and_undone_only_within_minutes(h):
    board = await h.create(["AGG"])
    agg = await h.caller("AGG")
    await h.deadlines.mark_done(agg, board.deadline.id)
    with pytest.raises(InvalidInput) as twice:
        await h.deadlines.mark_done(agg, board.deadline.id)
    assert twice.value.key == "deadline.already_done"
    h.clock.advance(timedelta(minutes=9))
    undone = await h.deadlines.undo_done(agg, board.deadline.id)
    assert all(row.completion is None for row in undone.rows)
    await h.deadlines.mark_done(agg, board.deadline.id)
    h.clock.advance(timedelta(minutes=11))
    with pytest.raises(InvalidInput) as late:
        await h.deadlines.undo_done(agg, board.deadline.id)
    assert late.value.key == "deadline.undo_too_late"
    assert _recipients(await h.at(datetime(2026, 11, 27, 8, 0, tzinfo=VN))) == []


async def test_a_reopened_unit_is_reminded_again(h):
    secretariat = await h.caller("secretariat")
    board = await h.create(["AGG"])
    await h.deadlines.mark_done(await h.caller("AGG"), board.deadline.id)
    assert await h.at(datetime(2026, 11, 23, 8, 0, tzinfo=VN)) == ""
    agg = next(r.unit for r in board.rows)
    await h.deadlines.reopen(secretariat, board.deadline.id, agg.id)
    assert _recipients(await h.at(datetime(2026, 11, 27, 8, 0, tzinfo=VN))) == ["AGG"]


async def test_a_moved_deadline_re_plans_its_reminders(h):
    secretariat = await h.caller("secretariat")
    board = await h.create(["AGG"])
    await h.deadlines.move(secretariat, board.deadline.id, datetime(2026, 12, 10, 17, 0, tzinfo=VN))
    assert "đã đổi sang 10/12/2026 17:00" in await h.at(NOV20 + timedelta(minutes=1))
    assert await h.at(datetime(2026, 11, 27, 8, 0, tzinfo=VN)) == ""  # the old 3-day reminder
    assert "còn 3 ngày" in await h.at(datetime(2026, 12, 7, 8, 0, tzinfo=VN))


async def test_a_cancelled_deadline_sends_nothing_more(h):
    secretariat = await h.caller("secretariat")
    board = await h.create(["AGG"])
    await h.deadlines.cancel(secretariat, board.deadline.id)
    assert "đã được hủy" in await h.at(NOV20)
    assert await h.at(datetime(2026, 12, 5, 8, 0, tzinfo=VN)) == ""
    with pytest.raises(InvalidInput):
        await h.deadlines.mark_done(await h.caller("AGG"), board.deadline.id)


async def test_missed_reminders_are_caught_up_once_as_an_overdue_notice(h):
    await h.create(["AGG"])
    # The bot was down from 20/11 to the evening of 30/11: five reminders were missed.
    out = await h.at(datetime(2026, 11, 30, 20, 0, tzinfo=VN))
    assert _recipients(out) == ["secretariat", "AGG"]
    assert "Đã quá hạn" in out and "còn" not in out
    assert await h.at(datetime(2026, 11, 30, 20, 5, tzinfo=VN)) == ""


async def test_only_the_secretariat_manages_and_only_a_unit_marks_its_own(h):
    secretariat = await h.caller("secretariat")
    with pytest.raises(Forbidden):
        await h.deadlines.create(await h.caller("AGG"), "Báo cáo tháng", DUE, None)
    board = await h.deadlines.create(secretariat, "Báo cáo tháng", DUE, ["AGG"])
    with pytest.raises(InvalidInput) as caught:
        await h.deadlines.mark_done(await h.caller("BLU"), board.deadline.id)
    assert caught.value.key == "deadline.not_concerned"
    with pytest.raises(Forbidden):
        await h.deadlines.mark_done(await h.caller("observer"), board.deadline.id)


async def test_a_restart_in_the_middle_of_a_burst_neither_loses_nor_repeats(settings):
    class StopsAfter(io.StringIO):
        """SIGTERM arrives while the fourth message of the burst is being printed."""

        def __init__(self, limit):
            super().__init__()
            self.limit, self.engine = limit, None

        def write(self, text):
            written = super().write(text)
            if text.startswith("→") and self.getvalue().count("→") == self.limit:
                self.engine.outbox.request_stop()
            return written

    out = StopsAfter(4)
    first = await _harness(settings, ManualClock(NOV20), out=out)
    out.engine = first.app.engine
    await first.create(None)
    await first.app.close()
    second = await _harness(settings, ManualClock(NOV20))
    await second.at(NOV20 + timedelta(minutes=1))
    await second.app.close()
    before, after = _recipients(first.out.getvalue()), _recipients(second.out.getvalue())
    assert 4 <= len(before) < 13 and after  # the burst really was cut in two
    assert sorted(before + after) == sorted(
        ["CTO", "AGG", "BLU", "BTE", "CMU", "DTP", "HGG", "KGG", "LAN", "STG", "TGG", "TVH", "VLG"]
    )


async def test_real_apscheduler_wakes_the_engine_when_a_reminder_is_due(settings):
    clock = ShiftableClock(datetime(2026, 11, 23, 7, 59, 59, tzinfo=VN))
    harness = await _harness(settings, clock, scheduled=True)
    try:
        await harness.create(["AGG"])
        engine = harness.app.engine
        assert isinstance(engine.scheduler, AsyncIOScheduler) and engine.scheduler.running
        wake = await engine.arm()
        assert wake.astimezone(VN) == datetime(2026, 11, 23, 8, 0, tzinfo=VN)
        for _ in range(3):  # a wake-up for the announcement may come first
            if "còn 7 ngày" in harness.out.getvalue():
                break
            await engine.wait_ticks(engine.ticks + 1, timeout=10)
        assert "còn 7 ngày" in harness.out.getvalue()
    finally:
        await harness.app.close()


async def test_work_queued_by_a_chat_wakes_the_engine_without_anyone_asking(settings):
    clock = ShiftableClock(NOV20)
    harness = await _harness(settings, clock, scheduled=True)
    try:
        ticks = harness.app.engine.ticks
        # The secretariat creates a deadline; nothing but the commit tells the engine.
        await harness.deadlines.create(
            await harness.caller("secretariat"), "Báo cáo quý", DUE, ["AGG"]
        )
        for _ in range(3):
            if "Báo cáo quý" in harness.out.getvalue():
                break
            await harness.app.engine.wait_ticks(harness.app.engine.ticks + 1, timeout=10)
        assert "→ @agg\n📌 Hạn báo cáo mới: “Báo cáo quý”" in harness.out.getvalue()
        assert harness.app.engine.ticks > ticks
    finally:
        await harness.app.close()
