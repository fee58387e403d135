"""What the fake platform servers share: an ASGI app served by uvicorn on a free loopback port,
the calls the bot made, the updates waiting for it, and a condition tests wait on."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette


@dataclass
class Call:
    method: str
    params: dict
    files: dict = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when the request reached the server


class FakePlatform:
    def __init__(self) -> None:
        self.port = 0
        self.calls: list[Call] = []
        self.pending: list[dict] = []  # updates the bot has not fetched yet
        self._changed = asyncio.Condition()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task | None = None

    def routes(self) -> list:
        raise NotImplementedError

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Accepted connections inherit this: without it a reply written in two parts waits
        # ~40 ms for a delayed ACK, which no real platform does.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            Starlette(routes=self.routes()), log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._server.should_exit = True
        async with self._changed:
            self._changed.notify_all()  # long polls waiting on the condition return
        await self._task

    # -- what the test does -------------------------------------------------------------------

    async def queue(self, update: dict) -> dict:
        async with self._changed:
            self.pending.append(update)
            self._changed.notify_all()
        return update

    async def wait_for(self, predicate, timeout: float = 15.0) -> None:
        async def _wait():
            async with self._changed:
                await self._changed.wait_for(predicate)

        await asyncio.wait_for(_wait(), timeout)

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # -- what the fake API does (call with the condition held) ---------------------------------

    def record(self, call: Call) -> None:
        self.calls.append(call)
        self._changed.notify_all()

    async def wait_for_update(self, seconds: float) -> None:
        """Hold a long poll until an update is pending, the server stops, or time is up."""
        if self.pending or seconds <= 0:
            return
        stopping = lambda: self.pending or self._server.should_exit  # noqa: E731
        try:
            await asyncio.wait_for(self._changed.wait_for(stopping), seconds)
        except TimeoutError:
            pass


@contextlib.asynccontextmanager
async def serving(asgi):
    """An ASGI app of ours served by uvicorn on a free loopback port: its base URL."""
    sock = socket.socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(asgi, log_level="warning", lifespan="off"))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
