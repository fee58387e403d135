"""Casting a ballot against a bare python-telegram-bot echo, each bot and each fake Bot API in a
process of its own (nothing shares an event loop with what it measures).

N representatives press "confirm and cast" at once: through python-telegram-bot, the router and
the ballot service into SQLite (sealing the paper, the receipt queued, the chair's live view
falling behind), answered by an edit. The same N presses go to bench/echo_bot.py, which answers
and edits and does nothing else. Both send through a rate limiter at 29.5 messages a second.
A round is one cast (on a freshly opened ballot) then one echo; the figure is the median over
rounds of cast time / echo time (target ≤ 1.5).

    python -m bench.cast_vs_echo [N] [ROUNDS]   (default 30 voters, 5 rounds)
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from pydantic import SecretStr

from bot.app import App
from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.cluster_file import ClusterSpec, UnitSpec
from bot.domain.models import Role
from bot.domain.voting import BallotKind

from .fake_api_process import start_fake
from .latency import ROOT, SECRET, Bot

BASE_USER = 50_000
TARGET = 1.5


async def _setup(settings: Settings, n: int) -> None:
    app = await App.open(settings, SystemClock(), scheduled=False)
    try:
        units = tuple(UnitSpec(code=f"U{i:03d}", name=f"Đơn vị {i}") for i in range(n))
        spec = ClusterSpec(
            key="bench", name="Cụm thử tải", period="2026", chair="U000", units=units
        )
        members = app.services.membership
        await members.import_clusters([spec])
        for i, unit in enumerate(units):
            await members.add_member(
                "bench", "telegram", str(BASE_USER + i), unit.name, Role.UNIT_REP, unit.code
            )
        await members.add_member("bench", "telegram", "1", "Thư ký", Role.SECRETARIAT)
        await app.services.meetings.open(await members.identify("telegram", "1"), "Hội nghị")
        for i in range(n):
            await app.services.meetings.check_in(
                await members.identify("telegram", str(BASE_USER + i))
            )
    finally:
        await app.close()


async def _open_ballot(settings: Settings, previous: int | None) -> int:
    """Close the last round's ballot, open a fresh one among five units; the chair watches it."""
    app = await App.open(settings, SystemClock(), scheduled=False)
    try:
        chair = await app.services.membership.identify("telegram", str(BASE_USER))
        if previous is not None:
            await app.services.counting.close(chair, previous)
        codes = [f"U{i:03d}" for i in range(5)]
        draft = await app.services.ballot_drafts.draft(
            chair, "Cờ thi đua", BallotKind.APPROVE, codes, 2
        )
        opened = await app.services.polling.open(chair, draft.ballot.id)
        await app.services.polling.watch(chair, opened.ballot.id)
        return opened.ballot.id
    finally:
        await app.close()


async def _presses(control: httpx.AsyncClient, n: int, data: str) -> float:
    async def press(i: int) -> None:
        body = {"user": BASE_USER + i, "message_id": 7, "data": data}
        answer = (await control.post("/control/press", json=body, timeout=120)).json()
        assert answer["text"], answer

    started = time.perf_counter()
    await asyncio.gather(*(press(i) for i in range(n)))
    return time.perf_counter() - started


async def main(n: int, rounds: int) -> bool:
    (fake_bot, bot_port), (fake_echo, echo_port) = await start_fake(), await start_fake()
    echo = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.echo_bot",
        f"http://127.0.0.1:{echo_port}/bot",
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    bot_control = httpx.AsyncClient(base_url=f"http://127.0.0.1:{bot_port}")
    echo_control = httpx.AsyncClient(base_url=f"http://127.0.0.1:{echo_port}")
    casts, echoes = [], []
    try:
        with tempfile.TemporaryDirectory(prefix="thidua-cast-") as folder:
            settings = Settings(
                _env_file=None,
                database_path=Path(folder) / "bench.sqlite3",
                secret_key=SecretStr(SECRET),
            )
            await _setup(settings, n)
            bot = Bot(settings, bot_port)
            await bot.start()
            try:
                ballot = None
                for _ in range(rounds + 1):  # the first round warms both up and is not counted
                    ballot = await _open_ballot(settings, ballot)
                    cast = await _presses(bot_control, n, f"1:vcast:{ballot}:1")
                    echo_time = await _presses(echo_control, n, "1:echo:1")
                    casts.append(cast)
                    echoes.append(echo_time)
            finally:
                await bot.stop()
    finally:
        for client in (bot_control, echo_control):
            await client.aclose()
        for process in (echo, fake_bot, fake_echo):
            process.terminate()
            await process.wait()
    ratios = [c / e for c, e in zip(casts[1:], echoes[1:], strict=True)]
    ratio = statistics.median(ratios)
    passed = ratio <= TARGET
    print(
        f"cast_vs_bare_ptb_echo = {ratio:.2f} x (median of {rounds} rounds: cast "
        f"{statistics.median(casts[1:]) * 1000:.0f} ms, echo "
        f"{statistics.median(echoes[1:]) * 1000:.0f} ms for {n} voters; target <= {TARGET}) "
        f"{'PASS' if passed else 'FAIL'}"
    )
    return passed


if __name__ == "__main__":
    voters = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    sys.exit(0 if asyncio.run(main(voters, count)) else 1)
