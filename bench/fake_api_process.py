"""The fake Telegram Bot API of the tests, in a process of its own (so its work never shares the
bot's event loop), with a control API for the benchmarks:

    POST /control/ask {"user": 3001, "text": "/help"}      → {"latency": 0.012, "text": "…"}
        queue a message from `user` and answer when the bot's first message to that chat after
        it arrives; the latency is measured here, on this process's clock
    POST /control/press {"user": …, "message_id": …, "data": "1:…"} → the same for a button
    GET  /control/stats → {"first_poll_at": wall-clock seconds, "sends": n}
    POST /control/reset → the next getUpdates counts as the first (before a launch)
    POST /control/next {"chat": …, "after": n} → when the bot's next message to chat arrives

    python -m bench.fake_api_process   (prints the port, then serves until killed)
"""

from __future__ import annotations

import asyncio
import sys
import time

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fake_telegram import FakeBotApi


class ControlledBotApi(FakeBotApi):
    def __init__(self) -> None:
        super().__init__(rate_limit=30)  # like Telegram: 429 beyond 30 messages a second
        self.first_poll_at: float | None = None

    def routes(self) -> list:
        return [
            Route("/control/ask", self._ask, methods=["POST"]),
            Route("/control/press", self._press, methods=["POST"]),
            Route("/control/stats", self._stats, methods=["GET"]),
            Route("/control/reset", self._reset, methods=["POST"]),
            Route("/control/next", self._next, methods=["POST"]),
            *super().routes(),
        ]

    def _answer(self, method: str, params: dict, files: dict):
        result = super()._answer(method, params, files)
        if isinstance(result, dict) and "message_id" in result:
            params["_message_id"] = result["message_id"]  # what a later press refers to
        return result

    async def _get_updates(self, params: dict) -> list[dict]:
        if self.first_poll_at is None:
            self.first_poll_at = time.time()
        return await super()._get_updates(params)

    async def _answered(self, chat: int, push) -> JSONResponse:
        before = len(self.calls)
        started = time.perf_counter()
        await push()

        def answered() -> bool:
            return any(
                c.method in ("sendMessage", "editMessageText", "sendPhoto", "sendDocument")
                and int(c.params.get("chat_id", 0)) == chat
                for c in self.calls[before:]
            )

        await self.wait_for(answered, timeout=120)
        latency = time.perf_counter() - started
        reply = next(
            c
            for c in self.calls[before:]
            if c.method in ("sendMessage", "editMessageText", "sendPhoto", "sendDocument")
            and int(c.params.get("chat_id", 0)) == chat
        )
        return JSONResponse(
            {
                "latency": latency,
                "text": reply.params.get("text") or reply.params.get("caption") or "",
                "message_id": reply.params.get("_message_id"),
                "buttons": reply.params.get("reply_markup") or {},
            }
        )

    async def _ask(self, request: Request) -> JSONResponse:
        body = await request.json()
        user = int(body["user"])
        return await self._answered(user, lambda: self.send_text(user, body["text"]))

    async def _press(self, request: Request) -> JSONResponse:
        body = await request.json()
        user = int(body["user"])
        return await self._answered(
            user, lambda: self.press(user, int(body["message_id"]), body["data"])
        )

    async def _next(self, request: Request) -> JSONResponse:
        """Wait for the bot's next message to `chat` after `after` calls (for a bot on a
        webhook, where the update is posted to the bot, not queued here)."""
        body = await request.json()
        chat, after = int(body["chat"]), int(body["after"])

        def arrived() -> bool:
            return any(
                c.method in ("sendMessage", "editMessageText")
                and int(c.params.get("chat_id", 0)) == chat
                for c in self.calls[after:]
            )

        await self.wait_for(arrived, timeout=60)
        return JSONResponse({"at": time.perf_counter()})

    async def _reset(self, request: Request) -> JSONResponse:
        """Before a launch: the next getUpdates is the new process's first."""
        self.first_poll_at = None
        return JSONResponse({})

    async def _stats(self, request: Request) -> JSONResponse:
        sends = sum(1 for c in self.calls if c.method == "sendMessage")
        return JSONResponse(
            {
                "first_poll_at": self.first_poll_at,
                "sends": sends,
                "rejected": self.rejected_for_rate,  # 429s: faster than Telegram allows
                "calls": len(self.calls),
            }
        )


async def start_fake() -> tuple[asyncio.subprocess.Process, int]:
    """This server in a process of its own: (the process, its port)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.fake_api_process", cwd=root, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    return process, int((await process.stdout.readline()).decode())


async def main() -> None:
    server = ControlledBotApi()
    await server.start()
    print(server.port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
