"""Files handed out as links, for a platform that takes photos by URL and no documents at all.

A link is an unguessable token under the server's public address, valid for a few days; the same
content shares one link, so a chart sent to every member is stored once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import quote

from bot.clock import Clock
from bot.messages import Attachment
from storage.db import Database
from storage.uow import UnitOfWork

ROUTE = "/files"


class FileLinks:
    def __init__(self, db: Database, clock: Clock, public_url: str, days: int) -> None:
        self.db, self.clock, self.days = db, clock, days
        self.base = public_url.rstrip("/") + ROUTE

    async def share(self, attachment: Attachment) -> str:
        digest = hashlib.sha256(attachment.file_name.encode() + b"\0" + attachment.data).hexdigest()
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            await uow.file_links.purge(now)
            token = await uow.file_links.share(
                secrets.token_urlsafe(24),
                digest,
                attachment.file_name,
                attachment.mime_type,
                attachment.data,
                now + timedelta(days=self.days),
            )
        return f"{self.base}/{token}/{quote(attachment.file_name)}"

    async def fetch(self, token: str) -> Attachment | None:
        async with UnitOfWork(self.db) as uow:
            found = await uow.file_links.get(token, self.clock.now())
        if found is None:
            return None
        name, mime, data = found
        return Attachment(name, data, mime)
