"""An ASGI app served by uvicorn on a free loopback port, for the fake platform servers."""

from __future__ import annotations

import asyncio
import socket

import uvicorn


class LoopbackServer:
    def __init__(self) -> None:
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task | None = None

    async def serve(self, app) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Accepted connections inherit this: without it a reply written in two parts waits
        # ~40 ms for a delayed ACK, which no real platform does.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            await asyncio.sleep(0.01)

    @property
    def stopping(self) -> bool:
        return self._server is not None and self._server.should_exit

    def exit_soon(self) -> None:
        """Mark the server stopping (long polls waiting on it return), then `shutdown`."""
        self._server.should_exit = True

    async def shutdown(self) -> None:
        self.exit_soon()
        await self._task
