"""`kill -9` in the middle of a burst of notices: nothing is lost, and what repeats is bounded by
what was in flight at each kill (scheduler/outbox.py IN_FLIGHT)."""

import asyncio
import json
import os
import signal
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.models import Role
from bot.domain.reminders import PlannedReminder, ReminderKind, ReminderPolicy
from bot.services.demo import DEMO_CLUSTER, seed_demo
from scheduler.outbox import IN_FLIGHT
from storage.uow import UnitOfWork

from .fake_telegram import TOKEN, FakeBotApi

ROOT = Path(__file__).resolve().parents[1]
REPS_PER_UNIT = 5
KILLS = 5


@pytest.fixture
async def api():
    server = FakeBotApi()
    server.send_delay = 0.15  # 150 ms on the wire (Telegram from afar): several in flight
    await server.start()
    yield server
    await server.stop()


async def _burst(settings: Settings) -> None:
    """65 representatives; a deadline whose announcement and first reminder are both due now."""
    app = await App.open(settings, SystemClock(), scheduled=False)
    members = app.services.membership
    await seed_demo(members, with_members=False)
    roster = await members.add_member(DEMO_CLUSTER, "console", "sec", "Thư ký", Role.SECRETARIAT)
    units = [u.unit.code for u in (await members.roster(roster)).units]
    for i, code in enumerate(units):
        for j in range(REPS_PER_UNIT):
            user = str(5000 + i * REPS_PER_UNIT + j)
            await members.add_member(
                DEMO_CLUSTER, "telegram", user, f"{code}-{j}", Role.UNIT_REP, code
            )
    due = datetime.now(UTC) + timedelta(days=2)
    # No quiet hours: a reminder caught up at night would otherwise wait for the morning, and
    # this test must not depend on the hour it runs at.
    always = ReminderPolicy(quiet_start=time(0), quiet_end=time(0))
    board = await app.services.deadlines.create(roster, "Báo cáo quý IV", due, None, policy=always)
    now = datetime.now(UTC)
    async with UnitOfWork(app.db) as uow:
        reminder = PlannedReminder(kind=ReminderKind.BEFORE, days=2, at=now - timedelta(minutes=1))
        await uow.reminders.plan(board.deadline.id, board.deadline.revision, [reminder], now)
    await app.close()


async def _expected(settings: Settings) -> list[tuple[int, str]]:
    app = await App.open(settings, SystemClock(), scheduled=False)
    try:
        async with UnitOfWork(app.db) as uow:
            rows = await uow.outbox._all("SELECT chat_id, payload, state FROM outbox")
    finally:
        await app.close()
    assert {r["state"] for r in rows} == {"sent"}
    return [(int(r["chat_id"]), json.loads(r["payload"])["text"]) for r in rows]


async def _start(settings: Settings, api: FakeBotApi) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "THIDUA_TELEGRAM_TOKEN": TOKEN,
        "THIDUA_TELEGRAM_BASE_URL": api.base_url,
        "THIDUA_DATABASE_PATH": str(settings.database_path),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def _sent(api: FakeBotApi) -> list[tuple[int, str]]:
    return [(int(c.params["chat_id"]), c.params["text"]) for c in api.called("sendMessage")]


async def test_kill_9_during_a_reminder_burst_loses_nothing_and_repeats_only_what_was_in_flight(
    db_path, api
):
    settings = Settings(_env_file=None, database_path=db_path)
    await _burst(settings)
    total = 2 * 13 * REPS_PER_UNIT  # an announcement and a reminder to each representative
    for _ in range(KILLS):
        process = await _start(settings, api)
        target = min(len(_sent(api)) + 15, total)  # some go out, then a kill mid-burst
        await api.wait_for(lambda t=target: len(_sent(api)) >= t, timeout=30)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        await asyncio.sleep(0.05)  # sends in flight at the kill reach the server meanwhile
    process = await _start(settings, api)
    try:
        await api.wait_for(lambda: len(set(_sent(api))) >= total, timeout=30)
        await asyncio.sleep(0.5)  # anything still to repeat would arrive now
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 15)
    sent = _sent(api)
    expected = await _expected(settings)
    assert len(expected) == total and set(expected) <= set(sent)  # nothing lost
    repeats = len(sent) - len(set(sent))
    assert repeats <= KILLS * IN_FLIGHT, f"{repeats} repeats after {KILLS} kills"


async def _attempts(settings: Settings) -> list[tuple[str, int]]:
    app = await App.open(settings, SystemClock(), scheduled=False)
    try:
        async with UnitOfWork(app.db) as uow:
            rows = await uow.outbox._all("SELECT state, attempts FROM outbox")
    finally:
        await app.close()
    return [(r["state"], r["attempts"]) for r in rows]


async def test_sigterm_mid_burst_finishes_what_is_on_the_wire_and_spends_no_attempt(db_path, api):
    settings = Settings(_env_file=None, database_path=db_path)
    await _burst(settings)
    total = 2 * 13 * REPS_PER_UNIT
    process = await _start(settings, api)
    await api.wait_for(lambda: len(_sent(api)) >= 20, timeout=30)
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 15) == 0
    stopped = len(_sent(api))
    assert stopped < total  # the stop came mid-burst
    rows = await _attempts(settings)
    assert sorted({a for s, a in rows if s == "sent"}) == [1]  # each sent once, marked once
    assert {a for s, a in rows if s == "pending"} == {0}  # the rest wait, no attempt spent
    assert sum(1 for s, _ in rows if s == "sent") == stopped  # nothing sent and left unmarked

    getme = len(api.called("getMe"))
    process = await _start(settings, api)
    try:
        await api.wait_for(lambda: len(api.called("getMe")) > getme, timeout=30)
        started = asyncio.get_running_loop().time()
        await api.wait_for(lambda: len(_sent(api)) > stopped, timeout=30)
        assert asyncio.get_running_loop().time() - started < 1.0  # resumed at once
        await api.wait_for(lambda: len(set(_sent(api))) >= total, timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 15)
    sent = _sent(api)
    assert len(sent) == len(set(sent)) == total  # every message once
    assert {a for _, a in await _attempts(settings)} == {1}
