"""The outbox draining N notifications through python-telegram-bot to a fake Bot API server that
enforces 30 messages/s with 429s, against the flood-limit floor N / 30 s.

    python -m bench.outbox_drain [N]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bot.channels.telegram import TelegramChannel, build_application
from bot.clock import SystemClock
from bot.config import Settings
from scheduler.outbox import OutboxDispatcher
from storage.db import Database
from storage.uow import UnitOfWork
from tests.fake_telegram import TOKEN, FakeBotApi

FLOOR_RATE = 30.0
TARGET_RATIO = 1.1


async def main(n: int) -> bool:
    api = FakeBotApi(rate_limit=30)
    await api.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            database_path=Path(tmp) / "bench.sqlite3",
            telegram_token=TOKEN,
            telegram_base_url=api.base_url,
        )
        db = await Database.open(settings.database_path)
        now = datetime.now(UTC)
        async with UnitOfWork(db) as uow:
            for i in range(n):
                await uow.outbox.enqueue(
                    f"bench:{i}",
                    channel="telegram",
                    chat_id=str(10_000 + i),
                    payload={"text": f"Nhắc hạn số {i}", "buttons": []},
                    now=now,
                )
        channel = TelegramChannel(build_application(settings), claim=None, commands={})
        await channel.start(lambda incoming: [])
        dispatcher = OutboxDispatcher(db, SystemClock(), {"telegram": channel})
        started = time.perf_counter()
        await dispatcher.drain()
        elapsed = time.perf_counter() - started
        await channel.stop()
        await db.close()
    await api.stop()
    delivered = Counter(int(c.params["chat_id"]) for c in api.called("sendMessage"))
    lost = n - len(delivered)
    duplicated = sum(count - 1 for count in delivered.values())
    ratio = elapsed / (n / FLOOR_RATE)
    results = [
        ("outbox_drain_seconds", elapsed, "s", f"floor {n / FLOOR_RATE:.1f}", None),
        ("outbox_drain_vs_floor_ratio", ratio, "x", f"<= {TARGET_RATIO}", ratio <= TARGET_RATIO),
        ("outbox_lost_messages", lost, "", "= 0", lost == 0),
        ("outbox_duplicated_messages", duplicated, "", "= 0", duplicated == 0),
        ("server_429_answers", api.rejected_for_rate, "", "info", None),
    ]
    ok = True
    for name, value, unit, target, passed in results:
        verdict = "" if passed is None else (" PASS" if passed else " FAIL")
        number = f"{value:.2f}" if isinstance(value, float) else str(value)
        print(f"{name} = {number} {unit} (target {target}){verdict}".replace("  (", " ("))
        ok = ok and passed is not False
    return ok


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    sys.exit(0 if asyncio.run(main(count)) else 1)
