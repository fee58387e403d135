"""A soak of mixed updates through the router on a real SQLite file, as a year compressed: every
update is claimed like a channel claims it, the clock moves a minute per update, and the engine
(reminders, outbox, housekeeping) ticks every 50 updates. After a warm-up, memory and database
growth are measured per 1 000 updates with pruning on.

    python -m bench.soak [UPDATES]
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.clock import ManualClock
from bot.config import Settings
from bot.messages import Incoming
from bot.services.demo import seed_demo
from tests.conftest import TEST_SECRET, VN

WARM_UP = 2_000
TARGET_RSS_MIB = 0.5
UNITS = ("AGG", "BLU", "BTE", "CMU", "DTP", "HGG", "KGG", "LAN", "STG", "TGG", "TVH", "VLG")


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _updates(draw: random.Random):
    """(who, text or None, button data or None), a mix of what people do all year."""
    while True:
        who = draw.choice(UNITS)
        kind = draw.random()
        if kind < 0.3:
            yield who, "/score", None
        elif kind < 0.55:
            yield who, f"1.{draw.randint(1, 4)} = {draw.randint(0, 9)},5", None
        elif kind < 0.7:
            yield who, None, f"1:sc:1.{draw.randint(1, 4)}"
        elif kind < 0.8:
            yield who, "/deadlines", None
        elif kind < 0.9:
            yield who, "/help", None
        else:
            yield "secretariat", "/members", None


async def soak(updates: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "soak.sqlite3"
        settings = Settings(
            _env_file=None,
            database_path=path,
            secret_key=SecretStr(TEST_SECRET),
            update_log_days=1,
            outbox_retention_days=1,
        )
        clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=VN))
        channel = ConsoleChannel(io.StringIO(), clock, settings.timezone)
        app = await App.open(settings, clock, {"console": channel}, scheduled=False)
        await seed_demo(app.services.membership)
        await channel.start(app.router.dispatch)
        secretariat = await app.services.membership.identify("console", "secretariat")
        scale = (Path(__file__).parents[1] / "bot/data/scale-example.yaml").read_text("utf-8")
        await app.services.scoring.import_scale(secretariat, scale)
        due = clock.now() + timedelta(days=20)
        await app.services.deadlines.create(
            secretariat, "Báo cáo tháng", due, None, recurrence="monthly"
        )
        await app.start_engine()
        draw = random.Random(4)
        stream = _updates(draw)
        marks: dict[int, tuple[float, int]] = {}
        for n in range(1, updates + 1):
            who, text, data = next(stream)
            await app.updates.claim("console", n)
            await app.router.dispatch(Incoming("console", who, who, who, text=text, action=data))
            clock.advance(timedelta(minutes=1))
            if n % 50 == 0:
                await app.engine.tick()
                channel.out.seek(0)
                channel.out.truncate()  # the console's own transcript is not the bot's memory
            if n in (WARM_UP, updates):
                await app.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                marks[n] = (_rss_mib(), os.path.getsize(path))
        await app.close()
    (rss0, db0), (rss1, db1) = marks[WARM_UP], marks[updates]
    per = (updates - WARM_UP) / 1000
    return (rss1 - rss0) / per, (db1 - db0) / 1024 / per


def main(updates: int) -> bool:
    rss, db = asyncio.run(soak(updates))
    ok = rss <= TARGET_RSS_MIB
    verdict = "PASS" if ok else "FAIL"
    print(f"rss_growth_per_1000_updates = {rss:.2f} MiB (target <= {TARGET_RSS_MIB}) {verdict}")
    print(f"db_growth_per_1000_updates = {db:.1f} KiB (pruning on; target info) PASS")
    return ok


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else 8_000) else 1)
