"""A fake Zalo Bot API server on loopback, shaped like the real one: POST JSON to
`/bot<token>/<method>`; `getUpdates` hands out one update at a time and answers HTTP 408 when
idle; ids are strings, `date` is in milliseconds, updates carry `event_name` (e.g.
`message.text.received`); texts and captions hold 1 to 2000 characters; photos go by URL.
Failures on demand: a list of status codes per method, and users who blocked the bot."""

from __future__ import annotations

import itertools
import secrets
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .loopback import Call, FakePlatform

TOKEN = "2147483647:zalo-TEST-token-never-logged"
BOT = {
    "id": "1459232241454765289",
    "account_name": "bot.thidua",
    "account_type": "BASIC",
    "can_join_groups": False,
}
DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: user has blocked the bot",
    408: "Request timeout",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def zalo_id() -> str:
    return secrets.token_hex(10)  # ids look like "e4ea2cd5189df1c3a88c"


class FakeZaloApi(FakePlatform):
    def __init__(self, idle_wait: float = 0.3) -> None:
        """`idle_wait`: how long an idle getUpdates waits before answering 408 (Zalo: up to
        the `timeout` asked for; shorter here so idle polls happen often in a test)."""
        super().__init__()
        self.idle_wait = idle_wait
        self.fail: dict[str, list[int]] = {}  # method -> status codes to answer with, in order
        self.blocked: set[str] = set()
        self.media: dict[str, bytes] = {}  # photos users sent, served at /media/<name>
        self.webhook: dict | None = None
        self.idle_answers = 0
        self._media_names = itertools.count(1)

    def routes(self) -> list:
        return [
            Route("/bot{token}/{method}", self._api, methods=["POST"]),
            Route("/media/{name}", self._media, methods=["GET"]),
        ]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin + "/bot"

    # -- what the test does -------------------------------------------------------------------

    def message(self, user_id: str, name: str, chat_type: str, **content) -> dict:
        return {
            "message_id": zalo_id(),
            "date": int(time.time() * 1000),
            "chat": {"id": user_id, "chat_type": chat_type},
            "from": {"id": user_id, "display_name": name, "is_bot": False},
            **content,
        }

    async def send_text(
        self, user_id: str, text: str, *, name: str = "Người dùng", chat_type: str = "PRIVATE"
    ) -> dict:
        message = self.message(user_id, name, chat_type, text=text)
        return await self.queue({"event_name": "message.text.received", "message": message})

    async def send_image(self, user_id: str, data: bytes, caption: str | None = None) -> dict:
        name = f"photo{next(self._media_names)}.jpg"
        self.media[name] = data
        content = {"photo": f"{self.origin}/media/{name}"}
        if caption:
            content["caption"] = caption
        message = self.message(user_id, "Người dùng", "PRIVATE", **content)
        return await self.queue({"event_name": "message.image.received", "message": message})

    async def send_sticker(self, user_id: str) -> dict:
        message = self.message(user_id, "Người dùng", "PRIVATE", sticker="0e078a2fb66a5f34067b")
        return await self.queue({"event_name": "message.sticker.received", "message": message})

    def texts_to(self, chat_id: str) -> list[str]:
        """Every text the user saw: messages, and photo captions."""
        return [
            c.params.get("text") or c.params.get("caption") or ""
            for c in self.calls
            if c.method in ("sendMessage", "sendPhoto") and c.params["chat_id"] == chat_id
        ]

    # -- the Bot API --------------------------------------------------------------------------

    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        if request.path_params["token"] != TOKEN:
            return _error(401)
        try:
            params = await request.json()
        except ValueError:
            params = {}
        if self.fail.get(method):
            return _error(self.fail[method].pop(0))
        if method == "getUpdates":
            return await self._get_updates(params)
        if method.startswith("send"):
            if params.get("chat_id") in self.blocked:
                return _error(403)
            if not _fits(params.get("text", "x")) or not _fits(params.get("caption", "x")):
                return _error(400)
        async with self._changed:
            result = self._answer(method, params)
            self.record(Call(method, params))
        return JSONResponse({"ok": True, "result": result})

    def _answer(self, method: str, params: dict):
        now = int(time.time() * 1000)
        if method == "getMe":
            return BOT
        if method in ("sendMessage", "sendPhoto"):
            return {"message_id": zalo_id(), "date": now}
        if method == "setWebhook":
            self.webhook = {"url": params["url"], "secret_token": params["secret_token"]}
            return {"url": params["url"], "updated_at": now}
        if method == "deleteWebhook":
            self.webhook = None
            return {"url": "", "updated_at": now}
        if method == "getWebhookInfo":
            return {"url": self.webhook["url"] if self.webhook else "", "updated_at": now}
        return None  # sendChatAction

    async def _get_updates(self, params: dict) -> Response:
        if self.webhook is not None:
            return _error(400)  # getUpdates does not work while a webhook is set
        wait = min(float(params.get("timeout") or 30), self.idle_wait)
        async with self._changed:
            await self.wait_for_update(wait)
            if not self.pending:
                self.idle_answers += 1
                self._changed.notify_all()
                return _error(408)
            update = self.pending.pop(0)
        return JSONResponse({"ok": True, "result": update})

    async def _media(self, request: Request) -> Response:
        data = self.media.get(request.path_params["name"])
        return Response(data, media_type="image/jpeg") if data else Response(status_code=404)


def _fits(text) -> bool:
    return isinstance(text, str) and 1 <= len(text) <= 2000


def _error(code: int) -> JSONResponse:
    body = {"ok": False, "error_code": code, "description": DESCRIPTIONS.get(code, "Error")}
    return JSONResponse(body, status_code=code)
