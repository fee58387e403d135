"""Reply latency as people feel it, with the bot and the fake Bot API each in a process of their
own (`python -m bot run` against bench/fake_api_process.py over loopback HTTP, Telegram's 30
messages a second enforced by the fake with 429s, the bot's rate limiter on).

A 1 000-unit cluster (3 000 representatives, 900 sheets submitted) is seeded into a SQLite file.

1. `first_poll_seconds`: launched with 1 000 notices queued, how long until the first getUpdates
   (target ≤ 1.5 s): updates are taken before the queue drains.
2. Idle: `/help` and a typed score (`/score` then `20` on the open card), interleaved, from
   different people: `typed_score_vs_help` = median score round trip / median `/help` round trip
   (target ≤ 3×).
3. Busy: the secretariat sends a broadcast to all 3 000 members through the chat, the chair asks
   for the 1 000-unit `/ranking`, and meanwhile `/help` is asked again: `help_p95_busy_vs_idle`
   (target ≤ 5×).
4. In this process, on the same file: `ranking_1000_through_service` (database, ranking, chart,
   text; target ≤ 2 s, median of 3) and the chart of a 5 000-unit ranking within Telegram's photo
   limits (width + height ≤ 10 000 px, ratio ≤ 20, ≤ 10 MB).

    python -m bench.latency
"""

from __future__ import annotations

import asyncio
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
from pydantic import SecretStr

from bot.app import App
from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.cluster_file import parse_cluster_file
from bot.domain.models import Role
from bot.domain.scoring import RankEntry, band, rank
from bot.messages import Lane
from bot.render import scoring as render
from bot.render.charts import ranking_chart
from bot.services.scoring_views import Ranked, Ranking
from storage.uow import UnitOfWork
from tests.fake_telegram import TOKEN

from .fake_api_process import start_fake

ROOT = Path(__file__).resolve().parents[1]
UNITS, REPS = 1_000, 3
SUBMITTED = 900
SECRETARY, CHAIR = 90_001, 100_000  # the chair is the first unit's first representative
SECRET = "bench-latency-secret-key-0123456789abcdef"
SCALE = (ROOT / "bot" / "data" / "scale-example.yaml").read_text(encoding="utf-8")
ASKS = 15
TARGETS = {"first_poll": 1.5, "score_vs_help": 3.0, "busy_vs_idle": 5.0, "ranking": 2.0}


def _user(unit: int, rep: int) -> int:
    return CHAIR + unit * REPS + rep


async def _seed(settings: Settings) -> None:
    units = "\n".join(f"      - {{code: U{i:04d}, name: Đơn vị số {i}}}" for i in range(UNITS))
    text = (
        "clusters:\n  - key: big\n    name: Cụm thi đua 1 000 đơn vị\n    period: 2026\n"
        f"    chair: U0000\n    units:\n{units}\n"
    )
    app = await App.open(settings, SystemClock(), scheduled=False)
    try:
        members = app.services.membership
        [spec] = parse_cluster_file(text)
        await members.import_clusters([spec])
        await members.add_member("big", "telegram", str(SECRETARY), "Thư ký", Role.SECRETARIAT)
        for i, unit in enumerate(spec.units):
            for j in range(REPS):
                await members.add_member(
                    "big",
                    "telegram",
                    str(_user(i, j)),
                    f"{unit.code}-{j}",
                    Role.UNIT_REP,
                    unit.code,
                )
        secretary = await members.identify("telegram", str(SECRETARY))
        await app.services.scoring.import_scale(secretary, SCALE)
        for i in range(SUBMITTED):
            rep = await members.identify("telegram", str(_user(i, 0)))
            _, scale = await app.services.scoring.current(rep)
            scores = {c.code: str(c.max - i % 5) for g in scale.groups for c in g.items}
            await app.services.scoring.set_scores(rep, scores)
            await app.services.scoring.submit(rep)
    finally:
        await app.close()


async def _queue_notices(settings: Settings, count: int) -> None:
    app = await App.open(settings, SystemClock(), scheduled=False)
    try:
        async with UnitOfWork(app.db) as uow:
            for i in range(count):
                await uow.outbox.enqueue(
                    f"bench-notice:{i}",
                    channel="telegram",
                    chat_id=str(_user(i % UNITS, 2)),
                    payload={"text": f"Nhắc hạn {i}", "buttons": []},
                    now=datetime.now(UTC),
                    lane=Lane.NOTICE,
                )
    finally:
        await app.close()


async def _forget_queue(settings: Settings) -> None:
    app = await App.open(settings, SystemClock(), scheduled=False)
    try:
        async with UnitOfWork(app.db) as uow:
            await uow.outbox.drop_pending()
    finally:
        await app.close()


class Bot:
    """`python -m bot run` in its own process."""

    def __init__(self, settings: Settings, port: int) -> None:
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "THIDUA_TELEGRAM_TOKEN": TOKEN,
            "THIDUA_TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}/bot",
            "THIDUA_DATABASE_PATH": str(settings.database_path),
            "THIDUA_SECRET_KEY": SECRET,
            "THIDUA_LOG_LEVEL": "WARNING",
        }
        self.process: asyncio.subprocess.Process | None = None
        # What the bot says goes to a file beside its database, read when something fails.
        self.log = open(Path(settings.database_path).with_suffix(".log"), "ab")  # noqa: SIM115

    async def start(self) -> float:
        started = time.time()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=self.env,
            cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=self.log,
        )
        return started

    async def stop(self) -> None:
        if self.process and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def _first_poll(control: httpx.AsyncClient, since: float) -> float:
    for _ in range(600):
        stats = (await control.get("/control/stats")).json()
        if stats["first_poll_at"] and stats["first_poll_at"] >= since:
            return stats["first_poll_at"] - since
        await asyncio.sleep(0.02)
    raise TimeoutError("no getUpdates (see the bot's log beside its database)")


async def _ask(control: httpx.AsyncClient, user: int, text: str) -> dict:
    response = await control.post("/control/ask", json={"user": user, "text": text}, timeout=180)
    return response.json()


async def _press(control: httpx.AsyncClient, user: int, answer: dict, label_part: str) -> dict:
    rows = answer["buttons"].get("inline_keyboard", [])
    button = next(b for row in rows for b in row if label_part in b["text"])
    body = {"user": user, "message_id": answer["message_id"], "data": button["callback_data"]}
    return (await control.post("/control/press", json=body, timeout=180)).json()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def _service_figures(settings: Settings) -> tuple[float, bool, str]:
    app = await App.open(settings, SystemClock(), scheduled=False)
    try:
        chair = await app.services.membership.identify("telegram", str(CHAIR))
        times = []
        for _ in range(3):
            started = time.perf_counter()
            ranking = await app.services.scoring.ranking(chair)
            render.ranking("vi", ranking)
            ranking_chart("vi", ranking, "U0000")
            times.append(time.perf_counter() - started)
    finally:
        await app.close()
    big = Ranking(
        ranking.round,
        ranking.scale,
        [
            Ranked(r, e, band(e.total, ranking.scale.total))
            for r, e in rank(
                [
                    RankEntry(
                        f"V{i:04d}",
                        f"Đơn vị {i}",
                        Decimal(i % 100),
                        Decimal(0),
                        Decimal(0),
                        None,
                        True,
                    )
                    for i in range(5_000)
                ]
            )
        ],
        [],
    )
    png = ranking_chart("vi", big, "V0042")
    from PIL import Image

    width, height = Image.open(io.BytesIO(png)).size
    fits = width + height <= 10_000 and max(width, height) / min(width, height) <= 20
    fits = fits and len(png) <= 10 * 1024 * 1024
    return statistics.median(times), fits, f"{width}x{height}, {len(png) / 1e6:.2f} MB"


async def main() -> bool:
    fake, port = await start_fake()
    control = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60)
    results: list[tuple[str, bool]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="thidua-latency-") as folder:
            settings = Settings(
                _env_file=None,
                database_path=Path(folder) / "bench.sqlite3",
                secret_key=SecretStr(SECRET),
            )
            await _seed(settings)

            # 1. the first poll with 1 000 notices queued
            await _queue_notices(settings, 1_000)
            await control.post("/control/reset")
            bot = Bot(settings, port)
            since = await bot.start()
            first_poll = await _first_poll(control, since)
            await bot.stop()
            await _forget_queue(settings)

            # 2. idle: /help and a typed score, interleaved
            await control.post("/control/reset")
            bot = Bot(settings, port)
            since = await bot.start()
            await _first_poll(control, since)
            await _ask(control, _user(1, 1), "/help")  # warm-up
            helps, scores = [], []
            for n in range(ASKS):
                helps.append((await _ask(control, _user(10 + n, 1), "/help"))["latency"])
                scorer = _user(SUBMITTED + n, 0)  # a unit whose sheet is still open
                await _ask(control, scorer, "/score")
                scores.append((await _ask(control, scorer, "20"))["latency"])

            # 3. busy: a broadcast to every member drains while the chair's ranking renders
            prompt = await _ask(control, SECRETARY, "/broadcast")
            assert "thông báo" in prompt["text"].lower(), prompt["text"]
            audience = await _ask(control, SECRETARY, "Kính mời các đơn vị dự hội nghị tổng kết.")
            confirm = await _press(control, SECRETARY, audience, "Tất cả")
            await _press(control, SECRETARY, confirm, "Gửi")
            ranking = asyncio.create_task(_ask(control, CHAIR, "/ranking"))
            await asyncio.sleep(0.2)
            busy = []
            for n in range(ASKS):
                busy.append((await _ask(control, _user(100 + n, 1), "/help"))["latency"])
            ranking_latency = (await ranking)["latency"]
            stats = (await control.get("/control/stats")).json()
            sends, rejected = stats["sends"], stats["rejected"]
            await bot.stop()

            # 4. the service on its own, and the chart of 5 000 units
            through_service, fits, chart_size = await _service_figures(settings)
    finally:
        await control.aclose()
        fake.terminate()
        await fake.wait()

    idle = statistics.median(helps)
    score_ratio = statistics.median(scores) / idle
    busy_ratio = _p95(busy) / _p95(helps)
    lines = [
        (f"first_poll_seconds = {first_poll:.2f} s with 1000 queued", first_poll, "first_poll"),
        (
            f"typed_score_vs_help = {score_ratio:.2f} x ({statistics.median(scores) * 1000:.0f} "
            f"ms against {idle * 1000:.0f} ms)",
            score_ratio,
            "score_vs_help",
        ),
        (
            f"help_p95_busy_vs_idle = {busy_ratio:.2f} x ({_p95(busy) * 1000:.0f} ms against "
            f"{_p95(helps) * 1000:.0f} ms; broadcast to {UNITS * REPS + 1} members draining, "
            f"{sends} messages sent so far, {rejected} answered 429; /ranking answered in "
            f"{ranking_latency:.2f} s)",
            busy_ratio,
            "busy_vs_idle",
        ),
        (
            f"ranking_1000_through_service = {through_service:.2f} s",
            through_service,
            "ranking",
        ),
    ]
    for text, value, key in lines:
        passed = value <= TARGETS[key]
        results.append((text, passed))
        print(f"{text} (target <= {TARGETS[key]}) {'PASS' if passed else 'FAIL'}")
    print(f"chart_5000_units_within_photo_limits = {chart_size} {'PASS' if fits else 'FAIL'}")
    return all(p for _, p in results) and fits


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(main()) else 1)
