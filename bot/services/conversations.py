"""Where each person is in a multi-step flow, kept in the database so restarts lose nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.clock import Clock
from storage.db import Database
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Step:
    flow: str
    step: str
    data: dict = field(default_factory=dict)


class Conversations:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    async def current(self, channel: str, external_id: str) -> Step | None:
        async with UnitOfWork(self.db) as uow:
            found = await uow.conversations.get(channel, external_id)
        return Step(*found) if found else None

    async def expect(self, channel: str, external_id: str, step: Step) -> None:
        async with UnitOfWork(self.db) as uow:
            await uow.conversations.put(
                channel, external_id, step.flow, step.step, step.data, self.clock.now()
            )

    def together(self) -> UnitOfWork:
        """One transaction for a step change and the action beside it: entered around both,
        the service's own transaction joins it, so a crash leaves neither half."""
        return UnitOfWork(self.db)

    async def finish(self, channel: str, external_id: str) -> None:
        async with UnitOfWork(self.db) as uow:
            await uow.conversations.clear(channel, external_id)
