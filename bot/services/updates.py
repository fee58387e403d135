"""Idempotent processing: each platform update is handled at most once, across restarts.

An update is claimed before it is handled. A crash in between loses that one message (the person
sends it again) but can never apply a vote or a score twice.
"""

from __future__ import annotations

from bot.clock import Clock
from storage.db import Database
from storage.uow import UnitOfWork


class UpdateLog:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    async def claim(self, channel: str, update_id: int | str) -> bool:
        """Telegram numbers its updates; Zalo names each message by a string."""
        async with UnitOfWork(self.db) as uow:
            return await uow.updates.claim(channel, update_id, self.clock.now())
