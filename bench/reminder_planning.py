"""Planning and arming 10 000 pending reminders: 1 250 deadlines × 8 reminders each (due 17:00
on successive days), written to SQLite through the deadline service, then the engine computing
its next wake-up.

    python -m bench.reminder_planning
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from bot.app import App
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.models import Role
from bot.services.demo import seed_demo
from tests.conftest import VN

DEADLINES = 1_250
TARGET_SECONDS = 10.0
TARGET_ARM_MS = 50.0


async def main() -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, database_path=Path(tmp) / "bench.sqlite3")
        clock = ManualClock(datetime(2026, 1, 1, 9, 0, tzinfo=VN))
        app = await App.open(settings, clock)
        await seed_demo(app.services.membership, with_members=False)
        await app.start_engine()
        secretariat = await app.services.membership.add_member(
            "mekong-health-2024", "console", "secretariat", "Thư ký", role=Role.SECRETARIAT
        )
        started = time.perf_counter()
        for i in range(DEADLINES):
            due = datetime(2026, 3, 1, 17, 0, tzinfo=VN) + timedelta(days=i)
            await app.services.deadlines.create(secretariat, f"Báo cáo {i}", due, ["AGG"])
        planned = time.perf_counter() - started
        async with app.db.conn.execute(
            "SELECT COUNT(*) FROM reminders WHERE state = 'planned'"
        ) as c:
            pending = (await c.fetchone())[0]
        started = time.perf_counter()
        await app.engine.arm()
        armed_ms = (time.perf_counter() - started) * 1000
        await app.close()
    checks = [
        (f"reminders_planned = {pending} (target = {DEADLINES * 8})", pending == DEADLINES * 8),
        (
            f"plan_10k_reminders_seconds = {planned:.2f} s (target <= {TARGET_SECONDS})",
            planned <= TARGET_SECONDS,
        ),
        (
            f"arm_next_wake_ms = {armed_ms:.2f} ms (target <= {TARGET_ARM_MS})",
            armed_ms <= TARGET_ARM_MS,
        ),
    ]
    for line, passed in checks:
        print(f"{line} {'PASS' if passed else 'FAIL'}")
    return all(passed for _, passed in checks)


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(main()) else 1)
