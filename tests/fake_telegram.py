"""A fake Telegram Bot API server on loopback, speaking enough of the Bot API's JSON for
python-telegram-bot v22: getMe, getUpdates (offset, timeout), sendMessage, editMessageText,
answerCallbackQuery, sendDocument, sendPhoto, getFile and file download, setMyCommands,
setWebhook, deleteWebhook; and 429 with retry_after on demand."""

from __future__ import annotations

import asyncio
import itertools
import json
import time

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .loopback import Call, FakePlatform

TOKEN = "123456:TEST-token-never-logged"
BOT = {
    "id": 999,
    "is_bot": True,
    "first_name": "thidua",
    "username": "thidua_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


class FakeBotApi(FakePlatform):
    def __init__(self, rate_limit: int | None = None) -> None:
        """`rate_limit`: like Telegram, answer 429 (retry after 1 s) to any message beyond that
        many in the last second."""
        super().__init__()
        self.rate_limit = rate_limit
        self._recent_sends: list[float] = []
        self.rejected_for_rate = 0
        self.fail: dict[str, list[int]] = {}  # method -> retry_after values to answer with 429
        self.files: dict[str, bytes] = {}
        self.blocked: set[int] = set()  # chats whose user blocked the bot: 403 on every send
        self.refused: list[int] = []  # sends to those chats, answered 403
        self.send_delay = 0.0  # seconds a send takes on the wire, before it counts as delivered
        # Cleared: sends arriving now wait on the wire (arrived, not yet answered) until it is
        # set again, so a test can act "between two sends" on a machine of any speed.
        self.wire_open = asyncio.Event()
        self.wire_open.set()
        self.waiting_on_wire = 0
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100)

    def routes(self) -> list:
        return [
            Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
            Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
        ]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # -- what the test does -------------------------------------------------------------------

    def user(self, user_id: int, name: str = "Người dùng") -> dict:
        return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "vi"}

    def _chat(self, chat_id: int, chat_type: str) -> dict:
        return {
            "id": chat_id,
            "type": chat_type,
            **({"title": "Cụm"} if chat_type != "private" else {}),
        }

    async def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        name: str = "Người dùng",
    ) -> dict:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id or user_id, chat_type),
            "from": self.user(user_id, name),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        return await self.push({"message": message})

    async def send_document(self, user_id: int, file_name: str, data: bytes) -> dict:
        file_id = f"file{len(self.files) + 1}"
        self.files[file_id] = data
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(user_id, "private"),
            "from": self.user(user_id),
            "document": {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_name": file_name,
                "mime_type": "application/yaml",
                "file_size": len(data),
            },
        }
        return await self.push({"message": message})

    async def send_photo(self, user_id: int, data: bytes) -> dict:
        file_id = f"file{len(self.files) + 1}"
        self.files[file_id] = data
        size = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "width": 800,
            "height": 600,
            "file_size": len(data),
        }
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(user_id, "private"),
            "from": self.user(user_id),
            "photo": [size],
        }
        return await self.push({"message": message})

    async def press(self, user_id: int, message_id: int, data: str) -> dict:
        query = {
            "id": str(next(self._message_ids)),
            "from": self.user(user_id),
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": self._chat(user_id, "private"),
                "text": "…",
            },
        }
        return await self.push({"callback_query": query})

    async def push(self, body: dict, update_id: int | None = None) -> dict:
        return await self.queue({"update_id": update_id or next(self._update_ids), **body})

    def texts_to(self, chat_id: int) -> list[str]:
        return [
            c.params["text"]
            for c in self.calls
            if c.method in ("sendMessage", "editMessageText")
            and int(c.params["chat_id"]) == chat_id
        ]

    # -- the Bot API --------------------------------------------------------------------------

    async def _api(self, request: Request) -> Response:
        arrived = time.monotonic()  # when Telegram would count it against the rate
        method = request.path_params["method"]
        if request.path_params["token"] != TOKEN:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        params, files = await _params(request)
        if self.fail.get(method):
            retry_after = self.fail[method].pop(0)
            return JSONResponse(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                },
                429,
            )
        if method.startswith("send") and int(params.get("chat_id", 0)) in self.blocked:
            async with self._changed:
                self.refused.append(int(params["chat_id"]))
                self._changed.notify_all()
            return JSONResponse(
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                },
                403,
            )
        if method.startswith("send") and self.rate_limit and self._over_rate():
            self.rejected_for_rate += 1
            return JSONResponse(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1},
                },
                429,
            )
        if method == "getUpdates":
            return JSONResponse({"ok": True, "result": await self._get_updates(params)})
        if method.startswith("send") and not self.wire_open.is_set():
            self.waiting_on_wire += 1
            await self.wire_open.wait()
        if method.startswith("send") and self.send_delay:
            await asyncio.sleep(self.send_delay)  # a kill meanwhile: delivered, never confirmed
        async with self._changed:
            result = self._answer(method, params, files)
            self.record(Call(method, params, files, arrived))
        return JSONResponse({"ok": True, "result": result})

    def _over_rate(self) -> bool:
        now = time.monotonic()
        self._recent_sends = [t for t in self._recent_sends if now - t < 1.0]
        if len(self._recent_sends) >= self.rate_limit:
            return True
        self._recent_sends.append(now)
        return False

    def _answer(self, method: str, params: dict, files: dict):
        if method == "getMe":
            return BOT
        if method in ("sendMessage", "sendDocument", "sendPhoto", "editMessageText"):
            message_id = (
                int(params["message_id"])
                if method == "editMessageText"
                else next(self._message_ids)
            )
            message = {
                "message_id": message_id,
                "date": int(time.time()),
                "from": BOT,
                "chat": self._chat(int(params["chat_id"]), "private"),
            }
            if "text" in params:
                message["text"] = params["text"]
            if method == "sendDocument":
                message["document"] = {"file_id": "out", "file_unique_id": "out"}
            if method == "sendPhoto":
                message["photo"] = [
                    {"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}
                ]
            return message
        if method == "getFile":
            file_id = params["file_id"]
            return {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_size": len(self.files[file_id]),
                "file_path": f"documents/{file_id}",
            }
        return True  # answerCallbackQuery, setMyCommands, setWebhook, deleteWebhook, close …

    async def _get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        async with self._changed:
            if offset:
                self.pending = [u for u in self.pending if u["update_id"] >= offset]
            await self.wait_for_update(timeout)
            return list(self.pending)

    async def _file(self, request: Request) -> Response:
        file_id = request.path_params["path"].rsplit("/", 1)[-1]
        return Response(self.files[file_id])


async def _params(request: Request) -> tuple[dict, dict]:
    if request.headers.get("content-type", "").startswith("application/json"):
        return await request.json(), {}
    form = await request.form()
    params, files = {}, {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            files[key] = await value.read()
        else:
            params[key] = _decode(value)
    return params, files


def _decode(value: str):
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, (dict, list)) else value
