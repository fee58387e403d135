"""The web pages, measured as people use them: the bot in webhook mode (`run_live`, one web
server for the webhook, the projector screen and the Mini App) against the fake Bot API in its
own process.

1. `projector_update_after_cast`: a representative casts; how long until the projector page's
   event stream carries the new turnout (the page polls the database every 0.5 s; target ≤ 1.5 s,
   median of 10 casts).
2. `sheet_save_vs_help`: a score saved from the Mini App (signed launch checked, value checked
   and saved, totals rendered: one HTTP request) against a `/help` sent to the same server's
   webhook and answered through the Bot API, interleaved; medians of 20 (target ≤ 3×).

    python -m bench.pages
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from pydantic import SecretStr

from bot.app import App
from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.models import Role
from bot.domain.voting import BallotKind
from bot.domain.webapp import sign_init_data
from bot.serve import run_live
from bot.services.demo import DEMO_CLUSTER, seed_demo
from tests.fake_telegram import TOKEN

from .fake_api_process import start_fake
from .latency import ROOT, SECRET

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SCALE = (ROOT / "bot" / "data" / "scale-example.yaml").read_text(encoding="utf-8")
PRESENT = ("CTO", "AGG", "BLU", "BTE", "CMU", "DTP", "HGG", "KGG", "LAN", "STG")
REP = 4242  # a Telegram representative of An Giang
HOOK_SECRET = "bench-hook-secret-0123456789"
TARGET_SCREEN, TARGET_SAVE = 1.5, 3.0


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _prepare(settings: Settings) -> App:
    app = await App.open(settings, SystemClock(), scheduled=False)
    members = app.services.membership
    await seed_demo(members)
    await members.add_member(DEMO_CLUSTER, "telegram", str(REP), "Lan", Role.UNIT_REP, "AGG")
    await app.services.scoring.import_scale(await members.identify("console", "secretariat"), SCALE)
    return app


def _launch() -> str:
    fields = {"auth_date": str(int(time.time())), "user": json.dumps({"id": REP})}
    return sign_init_data(fields, TOKEN)


async def _screen_latencies(app: App, client: httpx.AsyncClient) -> list[float]:
    who = lambda h: app.services.membership.identify("console", h.lower())  # noqa: E731
    chair = await who("CTO")
    await app.services.meetings.open(chair, "Hội nghị thử")
    for code in PRESENT:
        await app.services.meetings.check_in(await who(code))
    draft = await app.services.ballot_drafts.draft(
        chair, "Cờ thi đua", BallotKind.APPROVE, ["CTO", "AGG", "VLG"], 1
    )
    view = await app.services.polling.open(chair, draft.ballot.id)
    token = await app.services.screens.issue(chair)
    latencies: list[float] = []
    async with client.stream("GET", f"/screen/{token}/events") as stream:
        lines = stream.aiter_lines()
        while "0/10" not in await anext(lines):  # the first state
            pass
        for index, code in enumerate(PRESENT):
            await app.services.polling.cast(await who(code), view.ballot.id, frozenset({0}))
            cast_at = time.perf_counter()
            expected = f"{index + 1}/10"
            while expected not in await anext(lines):
                pass
            latencies.append(time.perf_counter() - cast_at)
    return latencies


async def _help(client: httpx.AsyncClient, control: httpx.AsyncClient, n: int) -> float:
    calls = (await control.get("/control/stats")).json()["calls"]
    update = {
        "update_id": 1_000 + n,
        "message": {
            "message_id": 10 + n,
            "date": int(time.time()),
            "text": "/help",
            "chat": {"id": REP, "type": "private"},
            "from": {"id": REP, "is_bot": False, "first_name": "Lan"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }
    waiting = asyncio.create_task(control.post("/control/next", json={"chat": REP, "after": calls}))
    await asyncio.sleep(0)
    started = time.perf_counter()
    posted = await client.post(
        "/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET}
    )
    assert posted.status_code == 200
    await waiting
    return time.perf_counter() - started


async def _save(client: httpx.AsyncClient, n: int) -> float:
    started = time.perf_counter()
    response = await client.post(
        "/app/score/save",
        headers={"X-Init-Data": _launch()},
        json={"code": "1.1", "value": f"{10 + n % 10},5"},
    )
    assert response.json().get("saved"), response.text
    return time.perf_counter() - started


async def main() -> bool:
    # The demo's console members get the meeting's notices too; no console runs here.
    logging.getLogger("scheduler.outbox").setLevel(logging.ERROR)
    fake, fake_port = await start_fake()
    port = _port()
    try:
        with tempfile.TemporaryDirectory(prefix="thidua-pages-") as folder:
            settings = Settings(
                _env_file=None,
                database_path=Path(folder) / "bench.sqlite3",
                secret_key=SecretStr(SECRET),
                telegram_token=SecretStr(TOKEN),
                telegram_base_url=f"http://127.0.0.1:{fake_port}/bot",
                webhook_url="https://thidua.example.vn",
                webhook_secret=SecretStr(HOOK_SECRET),
                webhook_port=port,
                log_level="WARNING",
            )
            app = await _prepare(settings)
            stop = asyncio.Event()
            live = asyncio.create_task(run_live(settings, stop))
            client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30)
            control = httpx.AsyncClient(base_url=f"http://127.0.0.1:{fake_port}", timeout=60)
            try:
                for _ in range(200):
                    try:
                        if (await client.get("/healthz")).status_code < 600:
                            break
                    except httpx.TransportError:
                        await asyncio.sleep(0.05)
                screen = await _screen_latencies(app, client)
                await _help(client, control, 0)  # warm-up
                await _save(client, 0)
                helps, saves = [], []
                for n in range(1, 21):
                    helps.append(await _help(client, control, n))
                    saves.append(await _save(client, n))
            finally:
                stop.set()
                await live
                await client.aclose()
                await control.aclose()
                await app.close()
    finally:
        fake.terminate()
        await fake.wait()
    screen_median = statistics.median(screen)
    ratio = statistics.median(saves) / statistics.median(helps)
    checks = [
        (
            f"projector_update_after_cast = {screen_median:.2f} s (median of {len(screen)} casts, "
            f"max {max(screen):.2f} s; target <= {TARGET_SCREEN})",
            screen_median <= TARGET_SCREEN,
        ),
        (
            f"sheet_save_vs_help = {ratio:.2f} x (save {statistics.median(saves) * 1000:.0f} ms "
            f"against /help {statistics.median(helps) * 1000:.0f} ms; target <= {TARGET_SAVE})",
            ratio <= TARGET_SAVE,
        ),
    ]
    for line, passed in checks:
        print(f"{line} {'PASS' if passed else 'FAIL'}")
    return all(passed for _, passed in checks)


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(main()) else 1)
