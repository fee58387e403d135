"""Two real bot processes on one PostgreSQL database behind one webhook address, the fake Bot API
as Telegram: a broadcast to 300 members, a ballot of 30 units cast through both processes and a
reminder burst, with the scheduler's leader killed (`kill -9`) in the middle. Nothing is lost,
nothing repeats beyond what was on the wire at the kill, each unit votes once, and the two
together never send more than 30 messages in any second."""

from __future__ import annotations

import asyncio
import itertools
import json
import time as clock
from collections import Counter
from datetime import UTC, datetime, time, timedelta

import httpx
from pydantic import SecretStr

from bot.app import App
from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.models import Role
from bot.domain.reminders import PlannedReminder, ReminderKind, ReminderPolicy
from bot.domain.voting import BallotKind
from scheduler.outbox import IN_FLIGHT
from storage.opening import open_database
from storage.uow import UnitOfWork

from .bot_processes import BotProcess, most_in_any_second
from .conftest import TEST_SECRET
from .fake_telegram import FakeBotApi

UNITS, OBSERVERS = 30, 270  # with the secretary, 301 members
KEY = "two-process-cluster"
SECRETARY = 1
AWARD = "Cờ thi đua của Chính phủ"


def rep(unit: int) -> int:
    return 10_000 + unit


def _cluster_file() -> str:
    units = "\n".join(f"      - {{code: U{i:02d}, name: Đơn vị số {i}}}" for i in range(UNITS))
    return (
        "clusters:\n"
        f"  - key: {KEY}\n    name: Cụm thi đua thử hai tiến trình\n    kind: cụm\n"
        f"    period: 2026\n    chair: U00\n    awards: [{AWARD}]\n    units:\n{units}\n"
    )


async def _prepare(url: str) -> int:
    """The cluster, its people, an open meeting with every unit present and a ballot open; a
    broadcast to everyone and a deadline whose reminder is due, all queued. The ballot's id."""
    settings = Settings(
        _env_file=None, database_url=SecretStr(url), secret_key=SecretStr(TEST_SECRET)
    )
    app = await App.open(settings, SystemClock(), scheduled=False)
    try:
        members = app.services.membership
        await members.import_cluster_file(_cluster_file())
        secretary = await members.add_member(
            KEY, "telegram", str(SECRETARY), "Thư ký", Role.SECRETARIAT
        )
        for unit in range(UNITS):
            code = f"U{unit:02d}"
            await members.add_member(KEY, "telegram", str(rep(unit)), code, Role.UNIT_REP, code)
        for n in range(OBSERVERS):  # the provincial board's staff, say
            await members.add_member(KEY, "telegram", str(20_000 + n), f"QS{n}", Role.OBSERVER)
        await app.services.meetings.open(secretary, "Hội nghị tổng kết")
        for unit in range(UNITS):
            await app.services.meetings.check_in(await members.identify("telegram", str(rep(unit))))
        chair = await members.identify("telegram", str(rep(0)))
        draft = await app.services.ballot_drafts.draft(
            chair, AWARD, BallotKind.ELECT, ["U01", "U02"]
        )
        ballot_id = (await app.services.polling.open(chair, draft.ballot.id)).ballot.id
        await app.services.broadcasts.send(secretary, "Thông báo họp tổng kết năm.", "all")
        always = ReminderPolicy(quiet_start=time(0), quiet_end=time(0))
        due = datetime.now(UTC) + timedelta(days=2)
        board = await app.services.deadlines.create(
            secretary, "Báo cáo quý IV", due, None, policy=always  # every unit: 60 notices
        )
        now = datetime.now(UTC)
        async with UnitOfWork(app.db) as uow:
            reminder = PlannedReminder(
                kind=ReminderKind.BEFORE, days=2, at=now - timedelta(minutes=1)
            )
            await uow.reminders.plan(board.deadline.id, board.deadline.revision, [reminder], now)
        return ballot_id
    finally:
        await app.close()


class Voter:
    """A unit's representative casting through whichever process the balancer picks: presses
    the button the last message offers, and presses again when no answer comes (as a person
    would after a process died holding the press)."""

    def __init__(self, unit: int, ballot_id: int, api: FakeBotApi, route) -> None:
        self.chat, self.ballot_id, self.api, self.route = rep(unit), ballot_id, api, route

    def _messages(self) -> list:
        return [
            c
            for c in self.api.calls
            if c.method in ("sendMessage", "editMessageText")
            and int(c.params["chat_id"]) == self.chat
        ]

    def _done(self) -> bool:
        return any(
            "Mã biên nhận" in c.params["text"] or "đã bỏ phiếu số" in c.params["text"]
            for c in self._messages()
        )

    def _next_press(self) -> str:
        for call in reversed(self._messages()):
            keyboard = call.params.get("reply_markup") or {}
            buttons = [b for row in keyboard.get("inline_keyboard", []) for b in row]
            for wanted in ("Xác nhận", "Xem lại", "U01"):  # confirm, review, the candidate
                for button in buttons:
                    if wanted in button["text"] and "☑" not in button["text"]:
                        return button["callback_data"]
            if buttons and "Chọn" in call.params["text"]:
                break
        return f"1:vote:{self.ballot_id}:0"

    async def cast(self) -> None:
        while not self._done():
            seen = len(self._messages())
            await self.route(self.chat, self._next_press())
            deadline = clock.monotonic() + 6
            while len(self._messages()) == seen and not self._done():
                if clock.monotonic() > deadline:
                    break  # lost with a killed process: press again
                await asyncio.sleep(0.05)


async def test_two_processes_kill_9_mid_burst_lose_nothing_repeat_nothing_and_keep_the_rate(
    pg_url, tmp_path
):
    database_url = pg_url  # PostgreSQL only: SQLite refuses a second process
    api = FakeBotApi()
    api.send_delay = 0.05
    await api.start()
    ballot_id = await _prepare(database_url)
    processes = [
        BotProcess(database_url, api, TEST_SECRET, tmp_path / f"bot-{n}.log") for n in (1, 2)
    ]
    update_ids = itertools.count(1)
    turn = itertools.count()
    try:
        async with httpx.AsyncClient(timeout=10) as client:

            async def route(chat: int, data: str) -> None:
                """The load balancer: round robin over the processes that answer."""
                update = {
                    "update_id": next(update_ids),
                    "callback_query": {
                        "id": str(next(update_ids)),
                        "from": api.user(chat),
                        "chat_instance": "1",
                        "data": data,
                        "message": {
                            "message_id": 900,
                            "date": int(clock.time()),
                            "chat": {"id": chat, "type": "private"},
                            "text": "…",
                        },
                    },
                }
                for _ in range(len(processes)):
                    target = processes[next(turn) % len(processes)]
                    if target.alive and await target.post(client, update):
                        return

            for process in processes:
                await process.start()
            # /healthz answers as soon as the web server is up; the scheduler starts just after.
            for _ in range(100):
                reports = [await p.health(client) for p in processes]
                if all(r["scheduler"]["leader"] for r in reports):
                    break
                await asyncio.sleep(0.1)
            leader = next(
                p for p, report in zip(processes, reports, strict=True)
                if report["scheduler"]["this_process"]
            )
            follower = next(p for p in processes if p is not leader)
            assert reports[0]["scheduler"]["leader"] == reports[1]["scheduler"]["leader"]

            voters = [Voter(unit, ballot_id, api, route) for unit in range(UNITS)]
            casting = [asyncio.create_task(v.cast()) for v in voters[: UNITS // 2]]
            await api.wait_for(lambda: len(api.called("sendMessage")) >= 150, timeout=60)
            await leader.kill()  # mid-broadcast, mid-ballot
            killed_at = clock.monotonic()
            casting += [asyncio.create_task(v.cast()) for v in voters[UNITS // 2 :]]
            await asyncio.wait_for(asyncio.gather(*casting), 90)

            # The follower takes the scheduler over within seconds.
            for _ in range(100):
                report = await follower.health(client)
                if report["scheduler"]["this_process"]:
                    break
                await asyncio.sleep(0.1)
            assert report["scheduler"]["this_process"], report
            assert clock.monotonic() - killed_at < 10

            db = await open_database(database_url)
            try:

                async def unsent() -> int:
                    rows = await db.conn.execute_fetchall(
                        "SELECT COUNT(*) FROM outbox WHERE state != 'sent'"
                    )
                    return rows[0][0]

                for _ in range(600):  # the dead process's claims end with their lease
                    if await unsent() == 0:
                        break
                    await asyncio.sleep(0.1)
                assert await unsent() == 0
                queued = await db.conn.execute_fetchall("SELECT chat_id, payload FROM outbox")
                register = await db.conn.execute_fetchall(
                    "SELECT COUNT(*), SUM(voted) FROM voter_register WHERE ballot_id = ?",
                    (ballot_id,),
                )
                papers = await db.conn.execute_fetchall(
                    "SELECT COUNT(*) FROM sealed_papers WHERE ballot_id = ?", (ballot_id,)
                )
            finally:
                await db.close()
    finally:
        for process in processes:
            await process.stop()
        await api.stop()

    # 0 lost: every queued message reached its chat.
    sent = Counter(  # a live view's update edits its message in place
        (int(c.params["chat_id"]), c.params["text"])
        for c in api.calls
        if c.method in ("sendMessage", "editMessageText")
    )
    expected = {(int(chat), json.loads(payload).get("text")) for chat, payload in queued}
    expected = {e for e in expected if e[1]}  # receipts' content is erased once sent
    assert len(queued) >= UNITS + OBSERVERS and expected <= set(sent)
    # Repeats: only what was on the wire at the kill.
    repeats = sum(n - 1 for key, n in sent.items() if key in expected)
    assert repeats <= IN_FLIGHT, repeats
    # One ballot per unit.
    assert register[0][0] == UNITS and register[0][1] == UNITS and papers[0][0] == UNITS
    # The rate, both processes together.
    paced = [c.at for c in api.calls if "chat_id" in c.params]
    assert most_in_any_second(paced) <= 30
