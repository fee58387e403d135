"""Telegram through python-telegram-bot v22: the only module that imports `telegram`.

One catch-all handler turns every update into an `Incoming`; replies go back as messages with
inline keyboards, edits in place, photos and documents. Long polling by default, a Starlette
webhook server when THIDUA_WEBHOOK_URL is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from datetime import timedelta
from typing import Any, Protocol

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
    WebAppInfo,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    BaseRateLimiter,
    BaseUpdateProcessor,
    ContextTypes,
    TypeHandler,
)

from bot.config import LOCALES, Settings
from bot.domain.typed import ascii_digits
from bot.i18n import t
from bot.messages import Address, Attachment, Incoming, Reply

from .base import (
    ChannelRefused,
    DeliveryFailed,
    Dispatch,
    Sent,
    Undeliverable,
    sending_queued,
    split_text,
)

NAME = "telegram"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_DOWNLOAD = 1024 * 1024  # files we accept in chat (cluster files, evidence) are small
log = logging.getLogger(__name__)


# -- updates of different chats side by side, one chat's in order ---------------------------

MAX_IN_FLIGHT = 256  # updates being handled at once, across all chats
PRIVATE_GAP, GROUP_GAP = 1.0, 3.0  # seconds between queued messages to one chat
# Queued messages go at most this fast, under the rate limiter's pace, so a reply finds a free
# slot during a broadcast (and AnswersFirst puts it first anyway).
QUEUED_PER_SECOND = 28


class PerChatOrder(BaseUpdateProcessor):
    """python-telegram-bot hands every update to its update processor as a task, in arrival
    order. A lock per chat keeps a person's second message behind their first, while a slow
    upload in one chat never delays another chat's /help."""

    def __init__(self, max_concurrent_updates: int = MAX_IN_FLIGHT) -> None:
        super().__init__(max_concurrent_updates)
        self._chats: dict[object, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_of(update)
        lock, users = self._chats.get(key, (asyncio.Lock(), 0))
        self._chats[key] = (lock, users + 1)
        try:
            async with lock:  # asyncio locks are fair: waiters go in arrival order
                await coroutine
        finally:
            lock, users = self._chats[key]
            if users == 1:
                del self._chats[key]
            else:
                self._chats[key] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up: locks are made as chats appear."""

    async def shutdown(self) -> None:
        """Nothing to release: a lock goes with the last update of its chat."""


def _chat_of(update: object) -> object:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return None  # anything else runs in one shared order


def build_application(
    settings: Settings, *, poll_timeout: float = 10, shared: SharedRate | None = None
) -> Application:
    """`shared`: the rate every process sending as this bot draws from (several processes on
    PostgreSQL); this process's own pacing still applies."""
    if settings.telegram_token is None:
        raise ValueError("THIDUA_TELEGRAM_TOKEN is not set")
    token = settings.telegram_token.get_secret_value()
    base = settings.telegram_base_url
    file_base = settings.telegram_base_file_url or base.replace("/bot", "/file/bot", 1)
    return (
        Application.builder()
        .token(token)
        .base_url(base)
        .base_file_url(file_base)
        .rate_limiter(
            # A steady 29.5 messages a second, answers first (see AnswersFirst below).
            AnswersFirst(shared=shared)
        )
        .get_updates_read_timeout(poll_timeout + 5)
        .concurrent_updates(PerChatOrder())
        .build()
    )


class TelegramChannel:
    name = NAME
    pages_by_link = False  # pages open as Mini Apps, with Telegram's signed launch
    queued_per_second = QUEUED_PER_SECOND
    edits_in_place = True
    takes_documents = True

    def __init__(
        self,
        application: Application,
        *,
        claim: Callable,
        commands: dict,
        poll_timeout: float = 10,
        progress_after: float | None = None,
    ) -> None:
        """`claim(channel, update_id)` says whether an update is new; `commands` maps a
        language code to (command, description) pairs for setMyCommands; work longer than
        `progress_after` seconds is announced at once (None: never)."""
        self.application = application
        self._claim = claim
        self._commands = commands
        self._poll_timeout = poll_timeout
        self._progress_after = progress_after
        self._dispatch: Dispatch | None = None
        self.username: str | None = None
        application.add_handler(TypeHandler(Update, self._on_update))

    @property
    def bot(self):
        return self.application.bot

    @property
    def account(self) -> str | None:
        return f"@{self.username}" if self.username else None

    def join_link(self, code: str) -> str:
        return f"https://t.me/{self.username}?start={code}"

    def private_link(self) -> str:
        return f"https://t.me/{self.username}"

    def chat_gap(self, chat_id: str) -> float:
        """Telegram asks for no more than one message a second in a chat, and 20 a minute in a
        group (group ids are negative)."""
        return GROUP_GAP if chat_id.startswith("-") else PRIVATE_GAP

    async def upload_link(self, incoming: Incoming) -> str | None:
        return None  # documents are sent in the chat itself

    async def start(self, dispatch: Dispatch) -> None:
        self._dispatch = dispatch
        try:
            await self.application.initialize()
        except InvalidToken as error:
            raise ChannelRefused(
                f"Telegram refused the token ({error}): check THIDUA_TELEGRAM_TOKEN"
            ) from None
        self.username = self.bot.username
        await self._register_commands()
        await self.application.start()

    async def start_polling(self) -> None:
        await self.bot.delete_webhook()
        assert self.application.updater is not None  # built with one (build_application)
        await self.application.updater.start_polling(
            timeout=timedelta(seconds=self._poll_timeout), allowed_updates=Update.ALL_TYPES
        )
        log.info("Telegram: polling as @%s", self.username)

    async def set_webhook(self, public_url: str, secret: str) -> None:
        url = public_url.rstrip("/") + "/telegram"
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)

    def webhook_route(self, secret: str):
        """The Starlette route Telegram posts to: checks the secret, queues the update, answers
        fast."""
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        async def telegram(request: Request) -> Response:
            given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            if not secrets.compare_digest(given.encode(), secret.encode()):
                return Response(status_code=403)
            try:
                data = await request.json()
                shaped = isinstance(data, dict) and type(data.get("update_id")) is int
                update = Update.de_json(data, self.bot) if shaped else None
            except (ValueError, TypeError, KeyError):  # not JSON, or not an update's shape
                update = None
            if update is None:
                return Response(status_code=400)
            await self.application.update_queue.put(update)
            return Response(status_code=200)

        return Route("/telegram", telegram, methods=["POST"])

    async def stop_receiving(self) -> None:
        if self.application.updater and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()  # waits for the updates being handled

    async def stop(self) -> None:
        await self.stop_receiving()
        await self.application.shutdown()

    async def _register_commands(self) -> None:
        for locale, pairs in self._commands.items():
            commands = [BotCommand(name, description[:256]) for name, description in pairs]
            language = None if locale == LOCALES[0] else locale  # default list is Vietnamese
            await self.bot.set_my_commands(commands, language_code=language)

    # -- incoming -----------------------------------------------------------------------------

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self._claim(NAME, update.update_id):
            log.info("update %s already processed, skipped", update.update_id)
            return
        if update.callback_query is not None:
            # Always answer, even for stale or forged data, so the client stops its spinner.
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()
        incoming = await self._incoming(update)
        if incoming is None or self._dispatch is None:
            return
        for reply in await self._answer(incoming):
            target = reply.to or incoming.address
            edit_ref = incoming.message_ref if target == incoming.address else None
            try:
                await self.send(target, reply, edit_ref=edit_ref)
            except (Undeliverable, DeliveryFailed) as error:
                log.warning("reply to chat %s not delivered: %s", target.chat_id, error)

    async def _answer(self, incoming: Incoming) -> list[Reply]:
        """The replies; when they take long (a chart, a workbook, a document made in a worker),
        the person is told at once that the file is being made."""
        assert self._dispatch is not None
        work = asyncio.ensure_future(self._dispatch(incoming))
        if self._progress_after is None:
            return await work
        done, _ = await asyncio.wait({work}, timeout=self._progress_after)
        if not done:
            locale = incoming.language_code if incoming.language_code in LOCALES else LOCALES[0]
            with contextlib.suppress(TelegramError):
                await self.bot.send_message(int(incoming.chat_id), t(locale, "work.in_progress"))
                await self.bot.send_chat_action(int(incoming.chat_id), "upload_document")
        return await work

    async def _incoming(self, update: Update) -> Incoming | None:
        user = update.effective_user
        chat = update.effective_chat
        if user is None or chat is None or user.is_bot:
            return None
        base = Incoming(
            channel=NAME,
            user_id=str(user.id),
            chat_id=str(chat.id),
            display_name=user.full_name,
            is_private=chat.type == "private",
            language_code=user.language_code,
        )
        query = update.callback_query
        if query is not None:
            ref = str(query.message.message_id) if query.message else None
            return replace(base, action=query.data or "", message_ref=ref)
        message = update.message
        if message is None or not self._addressed_to_me(message.text):
            return None
        attachment = None
        if message.document:
            attachment = await self._download(message.document, message.document.file_name)
        elif message.photo:  # the largest size Telegram offers
            attachment = await self._download(message.photo[-1], f"photo-{message.message_id}.jpg")
        text = message.text or message.caption
        if text is None and attachment is None:
            return None
        return replace(base, text=text, attachment=attachment)

    def _addressed_to_me(self, text: str | None) -> bool:
        """`/score@other_bot` in a group is another bot's command: ours ignores it."""
        if not text or not text.startswith("/"):
            return True
        _, at, bot = text.split(maxsplit=1)[0].partition("@")
        return not at or bot.lower() == (self.username or "").lower()

    async def _download(self, media, file_name: str | None) -> Attachment:
        name = file_name or "file"
        mime = getattr(media, "mime_type", None) or (
            "image/jpeg" if name.endswith(".jpg") else None
        )
        if media.file_size and media.file_size > MAX_DOWNLOAD:
            return Attachment(name, b"", mime, size=media.file_size)
        file = await media.get_file()
        return Attachment(name, bytes(await file.download_as_bytearray()), mime)

    # -- outgoing -----------------------------------------------------------------------------

    async def send(self, address: Address, reply: Reply, *, edit_ref: str | None = None) -> Sent:
        if not ascii_digits(address.chat_id.removeprefix("-")):
            raise Undeliverable(f"not a Telegram chat id: {address.chat_id}")
        chat_id = int(address.chat_id)
        markup = _keyboard(reply)
        try:
            if reply.edit and edit_ref:
                with contextlib.suppress(BadRequest):  # "message is not modified"
                    await self.bot.edit_message_text(
                        reply.text[:MAX_TEXT], chat_id, int(edit_ref), reply_markup=markup
                    )
                return Sent(address, edit_ref)
            attachment = reply.photo or reply.document
            if attachment is not None:
                file = InputFile(attachment.data, filename=attachment.file_name)
                caption = reply.text if len(reply.text) <= MAX_CAPTION else None
                sender = self.bot.send_photo if reply.photo else self.bot.send_document
                message = await sender(chat_id, file, caption=caption, reply_markup=markup)
                if caption is None:
                    message = await self._send_text(chat_id, reply.text, markup)
                return Sent(address, str(message.message_id))
            message = await self._send_text(chat_id, reply.text, markup)
            return Sent(address, str(message.message_id))
        except Forbidden as error:
            raise Undeliverable(str(error)) from None
        except TelegramError as error:
            raise DeliveryFailed(str(error)) from None

    async def _send_text(self, chat_id: int, text: str, markup):
        parts = split_text(text, MAX_TEXT)
        for part in parts[:-1]:
            await self.bot.send_message(chat_id, part)
        return await self.bot.send_message(chat_id, parts[-1], reply_markup=markup)


def _keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, web_app=WebAppInfo(b.url))
                if b.url and b.web_app
                else InlineKeyboardButton(b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(b.label, callback_data=b.action)
                for b in row
            ]
            for row in reply.buttons
        ]
    )


async def bot_username(settings: Settings) -> str:
    application = build_application(settings)
    async with application:
        return application.bot.username


# -- sending at Telegram's pace with answers first ----------------------------------------------
# One steady stream of 29.5 messages a second (Telegram's flood limit is about 30; a burst then a
# stream earns 429 penalties), where a person's direct answer takes the next free slot ahead of
# queued notices and broadcasts, so a 3 000-member announcement never makes anyone wait for their
# reply. Groups also keep Telegram's 20 messages a minute. A 429 pauses every send for the time
# Telegram asks, then the send is retried.

PER_SECOND = 29.5
# Several processes share one schedule of slots (storage.postgres.SendBudget), kept a little lower:
# their sends reach Telegram over separate connections, whose jitter could bunch 31 into a second.
SHARED_PER_SECOND = 28.5
GROUP_PER_MINUTE = 20


class SharedRate(Protocol):
    """A send rate shared with other processes (storage.postgres.SendBudget)."""

    async def take(self) -> None: ...



class AnswersFirst(BaseRateLimiter[int]):
    def __init__(
        self,
        per_second: float = PER_SECOND,
        max_retries: int = 5,
        shared: SharedRate | None = None,
    ) -> None:
        self.spacing = 1 / per_second
        self.shared = shared
        self.max_retries = max_retries
        self._next_free = 0.0  # loop time of the next free slot
        self._answers_waiting = 0
        self._resume = asyncio.Event()
        self._resume.set()
        self._groups: dict[int, Any] = {}

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        answer = not sending_queued.get()  # the outbox marks its own sends
        retries = rate_limit_args or self.max_retries
        chat_id = data.get("chat_id")
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        group = self._group(chat_id) if isinstance(chat_id, int) and chat_id < 0 else None
        for attempt in range(retries + 1):
            await self._resume.wait()
            async with group if group is not None else contextlib.nullcontext():
                if chat_id is not None:  # messages count; answering a button press does not
                    await self._slot(answer)
                try:
                    return await callback(*args, **kwargs)
                except RetryAfter as exc:
                    if attempt == retries:
                        raise
                    pause = exc._retry_after.total_seconds() + 0.1  # noqa: SLF001
            log.info("Telegram asked to wait %.1f s; every send waits", pause)
            self._resume.clear()
            try:
                await asyncio.sleep(pause)
            finally:
                self._resume.set()
        raise AssertionError("unreachable")

    async def _slot(self, answer: bool) -> None:
        """Wait for the next free slot; a queued send also waits while an answer does."""
        loop = asyncio.get_running_loop()
        if answer:
            self._answers_waiting += 1
        try:
            while True:
                now = loop.time()
                if self._next_free <= now and (answer or not self._answers_waiting):
                    self._next_free = now + self.spacing
                    if self.shared is not None:  # and the other processes' sends
                        await self.shared.take()
                    return
                await asyncio.sleep(max(self._next_free - now, 0.002))
        finally:
            if answer:
                self._answers_waiting -= 1

    def _group(self, chat_id: int):
        from aiolimiter import AsyncLimiter

        if chat_id not in self._groups:
            self._groups[chat_id] = AsyncLimiter(GROUP_PER_MINUTE, 60)
        return self._groups[chat_id]
