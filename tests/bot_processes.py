"""Real bot processes (`python -m bot run`) in webhook mode on one PostgreSQL database, talking to
the fake Bot API: what a deployment with several processes behind a load balancer runs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from pathlib import Path

import httpx

from .fake_telegram import TOKEN, FakeBotApi

ROOT = Path(__file__).resolve().parents[1]
HOOK_SECRET = "several-processes-hook-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BotProcess:
    def __init__(self, url: str, api: FakeBotApi, secret_key: str, log: Path) -> None:
        self.url, self.api, self.secret_key, self.log = url, api, secret_key, log
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "THIDUA_TELEGRAM_TOKEN": TOKEN,
            "THIDUA_TELEGRAM_BASE_URL": self.api.base_url,
            "THIDUA_DATABASE_URL": self.url,
            "THIDUA_SECRET_KEY": self.secret_key,
            "THIDUA_WEBHOOK_URL": "https://bot.example.invalid/hook",
            "THIDUA_WEBHOOK_SECRET": HOOK_SECRET,
            "THIDUA_WEBHOOK_PORT": str(self.port),
        }
        with open(self.log, "ab") as log:  # noqa: ASYNC230 (opened once, before the process)
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=env, cwd=ROOT, stdout=log, stderr=log
            )

    async def health(self, client: httpx.AsyncClient, timeout: float = 30) -> dict:
        """/healthz once it answers."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return (await client.get(f"{self.base}/healthz")).json()
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)

    async def post(self, client: httpx.AsyncClient, update: dict) -> bool:
        """Deliver an update to this process's webhook; False when it is gone."""
        try:
            answer = await client.post(
                f"{self.base}/telegram",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET},
            )
        except httpx.TransportError:
            return False
        return answer.status_code == 200

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def kill(self) -> None:
        """kill -9: no handler runs, nothing is flushed."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.process.wait(), 20)
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()


def most_in_any_second(times: list[float]) -> int:
    """The most calls within any one-second window."""
    times, most, start = sorted(times), 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most
