"""The web side of the meeting's projector screen: the page, its stream of updates (Server-Sent
Events: the page is never reloaded) and the result's chart. Read-only; the link's token is the
only key, checked on every request, and an expired link ends the stream."""

from __future__ import annotations

import asyncio
import json

from bot.app import App
from bot.render import screen as render
from bot.render.charts import ballot_chart
from bot.render.offload import offload
from bot.services.screens import SCREEN_ROUTE as ROUTE
from bot.services.screens import Screen

POLL_SECONDS = 0.5  # how often a page's state is looked at: a cast shows within a second
KEEP_ALIVE = 30  # polls between two comments that keep proxies from closing the stream
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def screen_routes(app: App) -> list:
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, Response, StreamingResponse
    from starlette.routing import Route

    screens = app.services.screens
    locale = app.services.settings.default_locale
    charts: dict[int, bytes] = {}  # a closed ballot's chart never changes

    def chart_url(token: str, screen: Screen) -> str | None:
        result = screen.last_result
        return f"{ROUTE}/{token}/chart/{result.ballot.id}.png" if result else None

    async def page(request: Request) -> Response:
        token = request.path_params["token"]
        screen = await screens.screen(token)
        if screen is None:
            return HTMLResponse(_gone(locale), status_code=410, headers=HEADERS)
        join = app.services.private_link("telegram")
        body = render.page(locale, screen, chart_url(token, screen), join)
        return HTMLResponse(body, headers=HEADERS)

    async def events(request: Request) -> Response:
        token = request.path_params["token"]
        if await screens.screen(token) is None:
            return Response(status_code=410, headers=HEADERS)

        async def stream():
            last, quiet = None, 0
            while not await request.is_disconnected():
                screen = await screens.screen(token)
                if screen is None:
                    yield "event: gone\ndata: {}\n\n"
                    return
                html = render.live(locale, screen, chart_url(token, screen))
                if html != last:
                    last, quiet = html, 0
                    yield f"data: {json.dumps({'html': html}, ensure_ascii=False)}\n\n"
                else:
                    quiet += 1
                    if quiet % KEEP_ALIVE == 0:
                        yield ": still here\n\n"
                await asyncio.sleep(POLL_SECONDS)

        headers = {**HEADERS, "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    async def chart(request: Request) -> Response:
        screen = await screens.screen(request.path_params["token"])
        result = screen.last_result if screen else None
        if result is None or result.ballot.id != request.path_params["ballot"]:
            return Response(status_code=404, headers=HEADERS)
        if result.ballot.id not in charts:
            charts[result.ballot.id] = await offload(ballot_chart, locale, result)
        return Response(charts[result.ballot.id], media_type="image/png", headers=HEADERS)

    return [
        Route(ROUTE + "/{token}", page, methods=["GET"]),
        Route(ROUTE + "/{token}/events", events, methods=["GET"]),
        Route(ROUTE + "/{token}/chart/{ballot:int}.png", chart, methods=["GET"]),
    ]


def _gone(locale: str) -> str:
    from html import escape

    from bot.i18n import t

    text = escape(t(locale, "screen.gone"))
    return f'<!doctype html><meta charset="utf-8"><title>thidua</title><p>{text}</p>'


def screen_app(app: App):
    """The pages for a bot that polls: the projector screen and the score-sheet Mini App."""
    from starlette.applications import Starlette

    from bot.sheet_pages import sheet_routes

    return Starlette(routes=screen_routes(app) + sheet_routes(app))
