"""A thin async client of our own for the Zalo Bot API, over httpx, typed with pydantic.

Every method is a POST of JSON to `<base><token>/<method>`, answered `{"ok": true, "result": …}`
or `{"ok": false, "error_code": …, "description": …}`. The token lives only in the path and never
in a log line or an error message. 429 and 5xx (and network errors) are retried with backoff;
other errors are raised at once. An idle `getUpdates` answers 408: that is "no update", not an
error.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.domain.typed import ascii_digits

log = logging.getLogger(__name__)

MAX_TEXT = 2000  # characters of a message or a photo caption


class _Model(BaseModel):
    # Ids are strings on Zalo; accept numbers too rather than fail on a platform change.
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, populate_by_name=True)


class ZaloUser(_Model):
    id: str
    display_name: str | None = None
    first_name: str | None = None
    name: str | None = None
    is_bot: bool = False

    @property
    def full_name(self) -> str:
        return self.display_name or self.first_name or self.name or self.id


class ZaloChat(_Model):
    id: str
    chat_type: str = "PRIVATE"


class ZaloMessage(_Model):
    message_id: str
    date: int  # milliseconds since the epoch
    chat: ZaloChat
    sender: ZaloUser = Field(alias="from")
    text: str | None = None
    photo_url: str | None = Field(None, alias="photo")
    caption: str | None = None


class ZaloUpdate(_Model):
    event_name: str
    message: ZaloMessage | None = None


class BotInfo(_Model):
    id: str
    account_name: str | None = None
    display_name: str | None = None
    can_join_groups: bool = False


class SentMessage(_Model):
    message_id: str
    date: int | None = None


class WebhookInfo(_Model):
    url: str = ""
    updated_at: int | None = None


class ZaloApiError(Exception):
    """An error answer (or, with code 0, no answer at all). `transient`: worth trying later."""

    def __init__(self, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"Zalo Bot API error {code}: {description}")
        self.code, self.description, self.retry_after = code, description, retry_after

    @property
    def transient(self) -> bool:
        return self.code in (0, 429) or self.code >= 500


class ZaloApi:
    def __init__(
        self,
        token: str,
        base_url: str = "https://bot-api.zaloplatforms.com/bot",
        *,
        retries: int = 4,
        backoff: float = 0.5,
        timeout: float = 20,
    ) -> None:
        self._url = f"{base_url}{token}/"
        self.retries, self.backoff, self.timeout = retries, backoff, timeout
        self.http = httpx.AsyncClient(timeout=timeout)

    async def close(self) -> None:
        await self.http.aclose()

    # -- methods ------------------------------------------------------------------------------

    async def get_me(self) -> BotInfo:
        return BotInfo.model_validate(await self._call("getMe"))

    async def get_updates(self, timeout: int = 30) -> ZaloUpdate | None:
        """Wait up to `timeout` seconds for the next update; None when none came."""
        result = await self._call(
            "getUpdates", {"timeout": str(timeout)}, read_timeout=timeout + 10, retry=False
        )
        return ZaloUpdate.model_validate(result) if result else None

    async def set_webhook(self, url: str, secret_token: str) -> WebhookInfo:
        result = await self._call("setWebhook", {"url": url, "secret_token": secret_token})
        return WebhookInfo.model_validate(result or {})

    async def delete_webhook(self) -> WebhookInfo:
        return WebhookInfo.model_validate(await self._call("deleteWebhook") or {})

    async def get_webhook_info(self) -> WebhookInfo:
        return WebhookInfo.model_validate(await self._call("getWebhookInfo") or {})

    async def send_message(self, chat_id: str, text: str) -> SentMessage:
        result = await self._call("sendMessage", {"chat_id": chat_id, "text": text})
        return SentMessage.model_validate(result)

    async def send_photo(self, chat_id: str, photo_url: str, caption: str | None) -> SentMessage:
        payload = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            payload["caption"] = caption
        return SentMessage.model_validate(await self._call("sendPhoto", payload))

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        await self._call("sendChatAction", {"chat_id": chat_id, "action": action}, retry=False)

    async def download(self, url: str, limit: int) -> bytes | None:
        """The bytes at a media URL Zalo gave us; None when larger than `limit`."""
        try:
            async with self.http.stream("GET", url) as response:
                if response.status_code != 200:
                    raise ZaloApiError(response.status_code, "media download failed")
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > limit:
                        return None
                return bytes(data)
        except httpx.HTTPError as error:
            raise ZaloApiError(0, type(error).__name__) from None

    # -- transport ----------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        payload: dict | None = None,
        *,
        read_timeout: float | None = None,
        retry: bool = True,
    ) -> Any:
        attempts = self.retries + 1 if retry else 1
        for attempt in range(attempts):
            try:
                return await self._once(method, payload, read_timeout)
            except ZaloApiError as error:
                if not error.transient or attempt + 1 == attempts:
                    raise
                delay = error.retry_after or self.backoff * 2**attempt
                log.info("Zalo %s: %s; retrying in %.1f s", method, error, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _once(self, method: str, payload: dict | None, read_timeout: float | None) -> Any:
        timeout = httpx.Timeout(self.timeout, read=read_timeout or self.timeout)
        try:
            response = await self.http.post(self._url + method, json=payload or {}, timeout=timeout)
        except httpx.HTTPError as error:
            # The message of an httpx error may quote the URL, hence the token: name the type only.
            raise ZaloApiError(0, type(error).__name__) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        code = int(body.get("error_code") or response.status_code)
        if response.status_code == 200 and body.get("ok"):
            return body.get("result")
        if code == 408 and method == "getUpdates":
            return None  # an idle long poll
        retry_after = response.headers.get("Retry-After", "")
        raise ZaloApiError(
            code,
            str(body.get("description") or response.reason_phrase),
            min(int(retry_after), 60) if ascii_digits(retry_after) else None,
        )


def parse_update(data: Any) -> ZaloUpdate | None:
    """An update as a webhook posts it: bare, or wrapped like a getUpdates answer."""
    if isinstance(data, dict) and isinstance(data.get("result"), dict):
        data = data["result"]
    try:
        return ZaloUpdate.model_validate(data)
    except ValidationError:
        return None
