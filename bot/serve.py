"""Running live: Telegram, Zalo or both on one core, one database and one reminder engine.

Without THIDUA_WEBHOOK_URL every channel long-polls, and a local web server shows the meeting's
projector screen (`/screen/…`). With it, one web server takes both platforms' webhooks
(`/telegram`, `/zalo`), serves the file links Zalo users get (`/files/…`), the projector screen,
and answers `/healthz`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import cast
from urllib.parse import quote

from bot.app import App, ChannelFactory, telegram_commands
from bot.channels.base import Channel, TakesUploads, WebhookChannel
from bot.channels.chat_menus import ChatMenus
from bot.channels.file_links import ROUTE as FILES_ROUTE
from bot.channels.file_links import FileLinks
from bot.channels.upload_links import MAX_UPLOAD, UploadLinks
from bot.channels.upload_links import ROUTE as UPLOAD_ROUTE
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.logs import keep_secrets
from bot.messages import Attachment
from bot.render import upload_page
from bot.screen_pages import screen_app, screen_routes
from bot.services.updates import UpdateLog
from bot.sheet_pages import sheet_routes
from storage.db import Database
from storage.uow import UnitOfWork

log = logging.getLogger("thidua")
ZALO_POLL_SECONDS = 30


def channel_factory(settings: Settings, clock: Clock, poll_timeout: float) -> ChannelFactory:
    """The channels that have a token, built from the database once it is open."""

    def build(db: Database, updates: UpdateLog) -> dict[str, Channel]:
        channels: dict[str, Channel] = {}
        if settings.telegram_token is not None:
            from bot.channels.telegram import (
                SHARED_PER_SECOND,
                TelegramChannel,
                build_application,
            )

            shared = db.send_budget("telegram", SHARED_PER_SECOND)  # None: no other process
            channels["telegram"] = TelegramChannel(
                build_application(settings, poll_timeout=poll_timeout, shared=shared),
                claim=updates.claim,
                commands=telegram_commands(),
                poll_timeout=poll_timeout,
                progress_after=settings.progress_after_seconds,
            )
        if settings.zalo_token is not None:
            from bot.channels.zalo import ZaloChannel
            from bot.channels.zalo_api import ZaloApi

            channels["zalo"] = ZaloChannel(
                ZaloApi(settings.zalo_token.get_secret_value(), settings.zalo_base_url),
                claim=updates.claim,
                menus=ChatMenus(db),
                files=file_links(settings, db, clock),
                locale=settings.default_locale,
                poll_seconds=ZALO_POLL_SECONDS,
                uploads=upload_links(settings, db, clock),
            )
        return channels

    return build


def file_links(settings: Settings, db: Database, clock: Clock) -> FileLinks | None:
    """Files handed out as links need a public address (the webhook's)."""
    if not settings.webhook_url:
        return None
    return FileLinks(db, clock, settings.webhook_url, settings.file_link_days)


def upload_links(settings: Settings, db: Database, clock: Clock) -> UploadLinks | None:
    """So does the upload page for people who cannot send documents in the chat."""
    if not settings.webhook_url:
        return None
    return UploadLinks(db, clock, settings.webhook_url, settings.upload_link_minutes)


async def run_live(
    settings: Settings, stop: asyncio.Event | None = None, *, poll_timeout: float = 10
) -> None:
    """Run every channel with a token until SIGTERM/SIGINT (or `stop` is set)."""
    keep_secrets(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    clock = SystemClock()
    app = await App.open(settings, clock, channel_factory(settings, clock, poll_timeout))
    started: list[Channel] = []
    try:
        await app.services.counting.check_can_open_sealed()
        for channel in app.channels.values():
            await channel.start(app.router.dispatch)
            started.append(channel)
        if settings.webhook_url:
            links = file_links(settings, app.db, clock)
            await _serve_web(app, links, settings, stop)
        else:
            for channel in app.channels.values():
                await channel.start_polling()
            # Updates are taken first; what queued up while the bot was down goes out meanwhile.
            await app.start_engine()
            async with local_web(app, settings):
                await stop.wait()
    finally:
        # Stop taking updates and stop the engine together (no new message starts; those on
        # the wire finish and are marked while the channels can still send), then close the
        # channels.
        await asyncio.gather(app.engine.stop(), *(ch.stop_receiving() for ch in started))
        for channel in reversed(started):
            await channel.stop()
        await app.close()


FORM_OVERHEAD = 16 * 1024  # multipart boundaries and headers around the file
STALE_OUTBOX = timedelta(minutes=10)  # a message due this long and unsent: alert


def web_app(app: App, links: FileLinks | None, secret: str):
    """The webhook endpoints of every channel, the file links and a health check."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    async def file(request: Request) -> Response:
        found = await links.fetch(request.path_params["token"]) if links else None
        if found is None:
            return PlainTextResponse("not found", status_code=404)
        return Response(
            found.data,
            media_type=found.mime_type or "application/octet-stream",
            headers={
                "Content-Disposition": f"inline; filename*=UTF-8''{quote(found.file_name)}",
                "Cache-Control": "private, max-age=3600",
                "X-Content-Type-Options": "nosniff",
            },
        )

    hooks = [cast(WebhookChannel, channel) for channel in app.channels.values()]
    routes = [channel.webhook_route(secret) for channel in hooks]
    routes += [
        upload_route(app, upload_links(app.services.settings, app.db, app.services.clock)),
        Route(FILES_ROUTE + "/{token}/{name}", file, methods=["GET"]),
        health_route(app),
        *screen_routes(app),
        *sheet_routes(app),
    ]
    return Starlette(routes=routes)


def health_route(app: App):
    """`GET /healthz`: the report of `health`, 503 when unhealthy."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    async def healthz(request: Request) -> Response:
        report, healthy = await health(app)
        return JSONResponse(report, status_code=200 if healthy else 503)

    return Route("/healthz", healthz, methods=["GET"])


def upload_route(app: App, uploads: UploadLinks | None):
    """The page behind an /upload link: a form (GET) that takes one file (POST) and hands it to
    the bot as if sent in the chat where the link was asked for; the answer goes there too."""
    from starlette.datastructures import UploadFile
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, Response
    from starlette.routing import Route

    locale = app.services.settings.default_locale
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

    def html(body: str, status: int = 200) -> Response:
        return HTMLResponse(body, status_code=status, headers=headers)

    async def page(request: Request) -> Response:
        token = request.path_params["token"]
        if uploads is None or not await uploads.is_open(token):
            return html(upload_page.gone(locale), 410)
        if request.method == "GET":
            return html(upload_page.form(locale))
        # Browsers say how long a form is: anything unsaid or too long is refused unread.
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > MAX_UPLOAD + FORM_OVERHEAD:
            return html(upload_page.form(locale, "upload.page_too_large"), 413)
        async with request.form(max_files=1, max_fields=1) as form:
            sent = form.get("file")
            if not isinstance(sent, UploadFile) or not sent.filename:
                return html(upload_page.form(locale, "upload.page_no_file"), 400)
            name, data = sent.filename.rsplit("/", 1)[-1], await sent.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            return html(upload_page.form(locale, "upload.page_too_large"), 413)
        sender = await uploads.take(token)
        channel = app.channels.get(sender.channel) if sender else None
        if sender is None or not isinstance(channel, TakesUploads):
            return html(upload_page.gone(locale), 410)
        answers = await channel.upload_received(replace(sender, attachment=Attachment(name, data)))
        return html(upload_page.done(locale, name, answers))

    return Route(UPLOAD_ROUTE + "/{token}", page, methods=["GET", "POST"])


async def health(app: App) -> tuple[dict, bool]:
    """What a monitor needs: the database answers, which process runs the scheduler, when the
    engine wakes next, and how far behind the outbox is. Unhealthy (503): no database, no
    scheduler leader, or a due message unsent for too long."""
    now = app.services.clock.now()
    try:
        await app.db.ping()
        async with UnitOfWork(app.db) as uow:
            backlog, oldest = await uow.outbox.backlog(now)
        leader = await app.db.leader()
    except Exception as error:  # the point of a health check: report, never raise
        return {"status": "error", "database": type(error).__name__}, False
    waiting = (now - oldest).total_seconds() if oldest else 0.0
    wake = app.engine.next_wake
    # No leader: nobody sends reminders or queued messages (a follower takes over in seconds).
    status = "ok" if leader else "no_leader"
    if waiting >= STALE_OUTBOX.total_seconds():
        status = "behind"
    report = {
        "status": status,
        "database": "ok",
        "backend": app.db.dialect,
        "scheduler": {"leader": leader, "this_process": app.engine.leading},
        "engine": {"next_wake": wake.isoformat() if wake else None},
        "outbox": {"due": backlog, "oldest_due_seconds": round(waiting, 1)},
    }
    return report, status == "ok"


async def _start_server(asgi, settings: Settings):
    """uvicorn on THIDUA_WEBHOOK_LISTEN:PORT, started; (server, task). A taken port raises."""
    import uvicorn

    class QuietServer(uvicorn.Server):
        """uvicorn without signal handlers of its own: SIGTERM belongs to run_live's `stop`."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    config = uvicorn.Config(
        asgi,
        host=settings.webhook_listen,
        port=settings.webhook_port,
        log_level="warning",
        lifespan="off",
    )
    server = QuietServer(config)
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.02)
    if task.done():
        await task  # the port was taken: uvicorn exits
        raise RuntimeError(f"web server did not start on port {settings.webhook_port}")
    log.info("web server on %s:%s", settings.webhook_listen, settings.webhook_port)
    return server, task


@contextlib.asynccontextmanager
async def local_web(app: App, settings: Settings):
    """Without a public address, the projector screen and /healthz on the local web server (a
    bot whose port is taken goes on without it, and says so)."""
    if not settings.local_web:
        yield
        return
    pages = screen_app(app)
    pages.router.routes.append(health_route(app))  # a container's health check polls it too
    try:
        server, task = await _start_server(pages, settings)
    except (RuntimeError, OSError, SystemExit) as error:
        log.warning("no local web server (projector screen unavailable): %s", error)
        yield
        return
    try:
        yield
    finally:
        server.should_exit = True
        await task


async def _serve_web(
    app: App, links: FileLinks | None, settings: Settings, stop: asyncio.Event
) -> None:
    channels: dict = app.channels
    secret = (
        settings.webhook_secret.get_secret_value()
        if settings.webhook_secret
        else secrets.token_urlsafe(32)
    )
    server, task = await _start_server(web_app(app, links, secret), settings)
    try:
        for channel in channels.values():  # once we can take the first update
            await channel.set_webhook(settings.webhook_url, secret)
        await app.start_engine()
        await stop.wait()
    finally:
        server.should_exit = True
        await task
