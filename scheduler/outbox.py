"""The outbox dispatcher: sends queued notifications through their channel, once each.

A message is marked sent right after the platform accepted it. A passing failure is retried
with backoff; a permanent one (the person blocked the bot) is marked failed and never retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

from bot.channels.base import Channel, DeliveryFailed, Undeliverable
from bot.clock import Clock
from bot.messages import Address, Attachment, Reply, reply_from_dict
from storage.db import Database
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
# Messages on the wire at once. A kill -9 can repeat at most these: each was delivered, or
# not, before the process could mark it sent. 4 keep 30 messages a second with 130 ms round trips.
IN_FLIGHT = 4
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(hours=1))


class OutboxDispatcher:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        channels: dict[str, Channel],
        on_undeliverable: Callable[[int | None], Awaitable[None]] | None = None,
    ) -> None:
        """`on_undeliverable(member_id)` runs once a message is given up for good."""
        self.db, self.clock, self.channels = db, clock, channels
        self.on_undeliverable = on_undeliverable
        self._draining = asyncio.Lock()  # one drain at a time, or a row could be sent twice
        self._stopping = False

    def request_stop(self) -> None:
        """Finish the messages in flight, start no new one (graceful shutdown mid-burst)."""
        self._stopping = True

    @property
    def draining(self) -> bool:
        return self._draining.locked()

    async def stop(self) -> None:
        """Start no new message and wait until those on the wire are sent and marked: a stop
        neither cuts a send off nor spends one of a message's attempts."""
        self.request_stop()
        async with self._draining:
            pass

    async def drain(self) -> tuple[int, int]:
        """Send everything ready now; returns (sent, failed for good)."""
        async with self._draining:
            return await self._drain()

    async def _drain(self) -> tuple[int, int]:
        sent = failed = 0
        while True:
            async with UnitOfWork(self.db) as uow:
                batch = await uow.outbox.ready(self.clock.now())
            if not batch or self._stopping:
                return sent, failed
            # Chats are served side by side (the channel's rate limiter paces them), each chat's
            # messages in order.
            by_chat: dict[tuple[str, str], list] = {}
            for message in batch:
                by_chat.setdefault((message.channel, message.chat_id), []).append(message)
            lanes = asyncio.Semaphore(IN_FLIGHT)
            chats = (self._serve_chat(lanes, m) for m in by_chat.values())
            for outcomes in await asyncio.gather(*chats):
                sent += sum(1 for ok in outcomes if ok is True)
                failed += sum(1 for ok in outcomes if ok is False)

    async def _serve_chat(self, lanes: asyncio.Semaphore, messages: list) -> list[bool | None]:
        outcomes: list[bool | None] = []
        async with lanes:
            for message in messages:
                if self._stopping:
                    break
                outcomes.append(await self._send_one(message))
        return outcomes

    async def _send_one(self, message) -> bool | None:
        """True sent, False failed for good, None retried later."""
        channel = self.channels.get(message.channel)
        error, permanent = None, False
        person_unreachable = True
        if channel is None:  # a deployment matter (e.g. the Zalo token was removed), not a person's
            error, permanent = f"channel {message.channel} is not running", True
            person_unreachable = False
        else:
            try:
                reply = await self._with_file(reply_from_dict(message.payload), message.payload)
                edit_ref = await self._edit_ref(message.payload)
                if edit_ref is not None:
                    reply = replace(reply, edit=True)
                sent = await channel.send(
                    Address(message.channel, message.chat_id), reply, edit_ref=edit_ref
                )
            except Undeliverable as exc:
                error, permanent = f"undeliverable: {exc}", True
            except (DeliveryFailed, OSError) as exc:
                error = f"failed: {exc}"
            except Exception as exc:  # a bug must not stop the other chats: retry later
                log.exception("outbox message %s: unexpected error", message.id)
                error = f"error: {type(exc).__name__}"
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            if error is None:
                forget = bool(message.payload.get("forget_after_send"))
                await uow.outbox.sent(message.id, now, sent.message_ref, forget=forget)
                return True
            gave_up = permanent or message.attempts >= len(BACKOFF)
            retry_at = None if gave_up else now + BACKOFF[message.attempts]
            forget = gave_up and bool(message.payload.get("forget_after_send"))
            await uow.outbox.failed(message.id, error, retry_at, forget=forget)
            if gave_up:
                await uow.audit.record(
                    now,
                    "outbox.undeliverable",
                    actor="outbox",
                    subject=message.subject,
                    detail={"member_id": message.member_id, "error": error},
                )
        log.warning("outbox message %s: %s", message.id, error)
        if gave_up and person_unreachable and self.on_undeliverable is not None:
            await self.on_undeliverable(message.member_id)
        return False if gave_up else None

    async def _with_file(self, reply: Reply, payload: dict) -> Reply:
        """`file_id` travels as a document, `photo_file_id` as a photo."""
        document, photo = payload.get("file_id"), payload.get("photo_file_id")
        if document:
            reply = replace(reply, document=await self._attachment(document))
        if photo:
            reply = replace(reply, photo=await self._attachment(photo))
        return reply

    async def _attachment(self, file_id: int) -> Attachment | None:
        async with UnitOfWork(self.db) as uow:
            found = await uow.files.get(file_id)
        if found is None:
            return None
        name, mime, data = found
        return Attachment(name, data, mime)

    async def _edit_ref(self, payload: dict) -> str | None:
        """An `edit_of` message edits that earlier message in place once it was sent (else it
        goes out as a new message)."""
        if not payload.get("edit_of"):
            return None
        async with UnitOfWork(self.db) as uow:
            return await uow.outbox.sent_ref(payload["edit_of"])

    async def next_time(self):
        async with UnitOfWork(self.db) as uow:
            return await uow.outbox.next_time()
