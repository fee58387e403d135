"""The outbox dispatcher: sends queued notifications through their channel, once each, the
first lane first (answers, then notices, then bulk) and each chat at its platform's pace.

A message is marked sent right after the platform accepted it. A passing failure is retried
with backoff; a permanent one (the person blocked the bot) is marked failed and never retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

from bot.channels.base import Channel, DeliveryFailed, Undeliverable, sending_queued
from bot.clock import Clock
from bot.messages import Address, Attachment, Lane, Reply, reply_from_dict
from storage.db import Database
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
# Messages on the wire at once. A kill -9 can repeat at most these: each was delivered, or
# not, before the process could mark it sent. 4 keep 30 messages a second with 130 ms round trips.
IN_FLIGHT = 4
READ_AHEAD = 64  # due messages read at a time, in lane order, to find free chats among
# How long messages read for sending stay this process's (PostgreSQL): renewed by the reads
# that follow each send, so only a process that stopped reading (killed, or cut off from the
# database) loses them, to the next leader, once the lease has run out.
LEASE = timedelta(seconds=15)
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(hours=1))


class OutboxDispatcher:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        channels: dict[str, Channel],
        on_undeliverable: Callable[[int | None], Awaitable[None]] | None = None,
        *,
        pace_chats: bool = True,
    ) -> None:
        """`on_undeliverable(member_id)` runs once a message is given up for good;
        `pace_chats`: keep each platform's gap between two messages to one chat."""
        self.db, self.clock, self.channels = db, clock, channels
        self.on_undeliverable = on_undeliverable
        self.pace_chats = pace_chats
        self._channel_next: dict[str, float] = {}  # when a channel may take the next notice
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
        """Up to IN_FLIGHT chats served at once, each chat's messages in order and paced by its
        channel; after every send the queue is read again, so a message of a higher lane (a
        ballot receipt) overtakes a long broadcast within one send slot."""
        sent = failed = 0
        running: dict[asyncio.Task, tuple[str, str]] = {}
        paced_until: dict[tuple[str, str], float] = {}
        loop = asyncio.get_running_loop()
        try:
            while True:
                if not self._stopping and len(running) < IN_FLIGHT:
                    async with UnitOfWork(self.db) as uow:
                        batch = await uow.outbox.ready(
                            self.clock.now(), READ_AHEAD, holder=self.db.holder, lease=LEASE
                        )
                    wake = self._start(batch, running, paced_until, loop.time())
                else:
                    batch, wake = [], None
                if not running:
                    if self._stopping or not batch:
                        return sent, failed
                    # Only chats still paced have work: wait for the first to be free.
                    await asyncio.sleep(max(0.0, (wake or loop.time()) - loop.time()))
                    continue
                # Back when a send ends, or when a paced chat or channel is free again.
                timeout = max(0.0, wake - loop.time()) if wake is not None else None
                done, _ = await asyncio.wait(
                    running, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    chat = running.pop(task)
                    paced_until[chat] = loop.time() + self._gap(chat)
                    outcome = task.result()
                    sent += outcome is True
                    failed += outcome is False
        finally:
            if running:  # stopping: those on the wire finish and are marked
                await asyncio.gather(*running)

    def _start(self, batch: list, running: dict, paced_until: dict, now: float) -> float | None:
        """Start sending the first due message of each free chat, up to IN_FLIGHT at once;
        returns when the first chat left waiting for its pace is free (None: none waits)."""
        busy = set(running.values())
        first_of_chat: dict[tuple[str, str], int] = {}
        for message in batch:
            chat = (message.channel, message.chat_id)
            first_of_chat[chat] = min(first_of_chat.get(chat, message.id), message.id)
        wake: float | None = None
        for message in batch:
            chat = (message.channel, message.chat_id)
            if len(running) >= IN_FLIGHT:
                break
            if chat in busy or message.id != first_of_chat[chat]:
                continue  # one message per chat on the wire, and a chat's messages in order
            free_at = max(paced_until.get(chat, 0.0), self._channel_free_at(message))
            if free_at > now:
                wake = min(wake or free_at, free_at)
                continue
            self._spend_channel_slot(message, now)
            running[asyncio.create_task(self._send_one(message))] = chat
            busy.add(chat)
        return wake

    def _channel_free_at(self, message) -> float:
        """Notices and bulk go at most at the channel's queued rate, below the platform's limit,
        so a person's direct reply always finds a free slot (answers are not held)."""
        if message.lane == Lane.REPLY or not self.pace_chats:
            return 0.0
        return self._channel_next.get(message.channel, 0.0)

    def _spend_channel_slot(self, message, now: float) -> None:
        rate = getattr(self.channels.get(message.channel), "queued_per_second", None)
        if rate and message.lane != Lane.REPLY and self.pace_chats:
            # A send that starts late (the loop woke a little after its slot) does not push
            # every later slot back: up to one slot of lateness is made up, so the long-run rate
            # is the channel's and no second ever holds more than one extra message.
            start = max(now - 1 / rate, self._channel_next.get(message.channel, 0.0))
            self._channel_next[message.channel] = start + 1 / rate

    def _gap(self, chat: tuple[str, str]) -> float:
        """Seconds between two messages to one chat, as its platform asks (0: no pacing)."""
        channel = self.channels.get(chat[0])
        gap = getattr(channel, "chat_gap", None)
        return gap(chat[1]) if gap is not None and self.pace_chats else 0.0

    async def _send_one(self, message) -> bool | None:
        """True sent, False failed for good, None retried later."""
        # This task's sends yield to direct answers, unless it is one: a receipt or a reply from
        # the outbox takes the limiter's next slot too, or the queued sends polling for slots
        # beside it could keep winning them on a busy machine.
        sending_queued.set(message.lane != Lane.REPLY)
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
