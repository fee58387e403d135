"""Two bot processes (`python -m bot run`, webhook mode) on one PostgreSQL database send a broadcast
to N members through a fake Bot API server that answers 429 beyond 30 messages a second. Figures:
duplicates (target 0), the most messages in any one second, both processes together (target
<= 30), and the time from the secretariat's "send" to the last delivery as a ratio to the
flood-limit floor N / 30 s (target <= 1.1).

PostgreSQL runs with its defaults (every commit on disk), in a throwaway cluster on a Unix socket.

    python -m bench.two_processes [N]   (default 3000: `two_process_broadcast_3000`)
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pydantic import SecretStr

from bot.app import App
from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.cluster_file import ClusterSpec, UnitSpec
from bot.domain.models import Role
from storage.uow import UnitOfWork
from tests.bot_processes import BotProcess, most_in_any_second
from tests.conftest import TEST_SECRET
from tests.fake_telegram import FakeBotApi
from tests.postgres_server import running

FLOOR_RATE = 30.0
TARGET_RATIO = 1.1
FIRST_USER = 100_000


async def _members(url: str, n: int) -> App:
    """A cluster of 30 units, n members and the secretary; the app the secretary sends from
    (a broadcast goes to everyone but its sender: n messages)."""
    settings = Settings(
        _env_file=None, database_url=SecretStr(url), secret_key=SecretStr(TEST_SECRET)
    )
    app = await App.open(settings, SystemClock(), scheduled=False)
    units = tuple(UnitSpec(code=f"U{i:02d}", name=f"Đơn vị {i}") for i in range(30))
    spec = ClusterSpec(key="bench", name="Cụm thử tải", period="2026", chair="U00", units=units)
    await app.services.membership.import_clusters([spec])
    await app.services.membership.add_member("bench", "telegram", "1", "Thư ký", Role.SECRETARIAT)
    now = datetime.now(UTC)
    async with UnitOfWork(app.db) as uow:
        cluster = await uow.clusters.by_key("bench")
        assert cluster is not None
        unit_ids = [u.id for u in await uow.units.in_cluster(cluster.id)]
        for i in range(n):
            await uow.members.add(
                cluster.id, "telegram", str(FIRST_USER + i), f"Thành viên {i}",
                unit_ids[i % len(unit_ids)], frozenset({Role.UNIT_REP}), None, now,
            )  # fmt: skip
    return app


async def run(n: int, folder: Path, url: str) -> tuple[int, int, float, int]:
    """(duplicates, most in any second, seconds to deliver all, 429s answered)."""
    api = FakeBotApi(rate_limit=30)
    await api.start()
    app = await _members(url, n)
    processes = [BotProcess(url, api, TEST_SECRET, folder / f"bot-{k}.log") for k in (1, 2)]
    try:
        async with httpx.AsyncClient() as client:
            for process in processes:
                await process.start()
            for process in processes:
                await process.health(client, timeout=60)
            secretary = await app.services.membership.identify("telegram", "1")
            assert secretary is not None
            started = time.monotonic()
            await app.services.broadcasts.send(secretary, "Thông báo thử tải.", "all")

            def delivered() -> int:
                return len({c.params["chat_id"] for c in api.called("sendMessage")})

            await api.wait_for(lambda: delivered() >= n, timeout=n / 10 + 60)
            seconds = api.called("sendMessage")[-1].at - started
            await asyncio.sleep(2)  # a repeat would arrive now
    finally:
        for process in processes:
            await process.stop()
        await app.close()
        await api.stop()
    sends = api.called("sendMessage")
    duplicates = sum(k - 1 for k in Counter(c.params["chat_id"] for c in sends).values())
    paced = [c.at for c in api.calls if "chat_id" in c.params]
    return duplicates, most_in_any_second(paced), seconds, api.rejected_for_rate


async def main(n: int) -> bool:
    with running(durable=True) as server, tempfile.TemporaryDirectory() as tmp:
        if server is None:
            print(f"two_process_broadcast_{n} = skipped: PostgreSQL is not installed")
            return False
        import asyncpg

        admin = await asyncpg.connect(server.url())
        await admin.execute("CREATE DATABASE bench")
        await admin.close()
        duplicates, most, seconds, rejected = await run(n, Path(tmp), server.url("bench"))
    ratio = seconds / (n / FLOOR_RATE)
    ok = duplicates == 0 and most <= 30 and rejected == 0 and ratio <= TARGET_RATIO
    print(f"two_process_broadcast_{n}_duplicates = {duplicates} (target 0)"
          f" {'PASS' if duplicates == 0 else 'FAIL'}")  # fmt: skip
    print(f"two_process_broadcast_{n}_most_in_any_second = {most} (target <= 30; 429s: {rejected})"
          f" {'PASS' if most <= 30 and rejected == 0 else 'FAIL'}")  # fmt: skip
    print(f"two_process_broadcast_{n} = {ratio:.3f} x floor ({seconds:.1f} s; target <="
          f" {TARGET_RATIO}) {'PASS' if ratio <= TARGET_RATIO else 'FAIL'}")  # fmt: skip
    return ok


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)) else 1)
