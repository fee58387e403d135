"""Links to an upload page, for a platform that passes on text and photos only (Zalo).

The secretariat asks for a link in the chat (/upload); the page takes one file and hands it to
the bot as if it had been sent in that chat, by that person, so the same checks and answers
apply. A link belongs to one person in one chat, works once and for a short while; the database
keeps only its hash.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from bot.clock import Clock
from bot.messages import Incoming
from storage.db import Database
from storage.uow import UnitOfWork

ROUTE = "/upload"
MAX_UPLOAD = 1024 * 1024  # as much as a file sent in a Telegram chat (cluster files are small)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UploadLinks:
    def __init__(self, db: Database, clock: Clock, public_url: str, minutes: int) -> None:
        self.db, self.clock, self.lifetime = db, clock, timedelta(minutes=minutes)
        self.base = public_url.rstrip("/") + ROUTE

    async def issue(self, incoming: Incoming) -> str:
        """A new link for the person who sent `incoming`, answering in that chat."""
        token = secrets.token_urlsafe(24)
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            await uow.upload_links.purge(now)
            await uow.upload_links.issue(
                _hash(token),
                incoming.channel,
                incoming.user_id,
                incoming.chat_id,
                incoming.display_name,
                now + self.lifetime,
            )
        return f"{self.base}/{token}"

    async def is_open(self, token: str) -> bool:
        async with UnitOfWork(self.db) as uow:
            return await uow.upload_links.open(_hash(token), self.clock.now()) is not None

    async def take(self, token: str) -> Incoming | None:
        """Use the link: who and where the file comes from; None when it is used or expired."""
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            found = await uow.upload_links.open(_hash(token), now)
            if found is None or not await uow.upload_links.use(_hash(token), now):
                return None
        channel, user_id, chat_id, name = found
        return Incoming(
            channel=channel, user_id=user_id, chat_id=chat_id, display_name=name, is_private=True
        )
