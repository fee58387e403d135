"""The choices last shown in each chat of a channel without buttons, kept in the database so an
answer typed after a restart still picks the right choice."""

from __future__ import annotations

from storage.db import Database
from storage.uow import UnitOfWork

from .text_menus import Menu


class ChatMenus:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def current(self, channel: str, chat_id: str) -> Menu | None:
        async with UnitOfWork(self.db) as uow:
            found = await uow.chat_menus.get(channel, chat_id)
        if found is None:
            return None
        ref, choices, by_label, locale = found
        numbered = tuple((c[0], c[1]) for c in choices if len(c) == 2)
        extra = tuple((c[0], c[1]) for c in choices if len(c) == 3)  # [label, action, "label"]
        return Menu(ref, numbered, by_label, extra, locale)

    async def shown(self, channel: str, chat_id: str, menu: Menu) -> None:
        async with UnitOfWork(self.db) as uow:
            stored = [list(c) for c in menu.choices] + [[*c, "label"] for c in menu.extra]
            await uow.chat_menus.put(
                channel, chat_id, menu.message_ref, stored, menu.by_label, menu.locale
            )

    async def withdrawn(self, channel: str, chat_id: str, message_ref: str) -> None:
        """The message was replaced by one without choices (e.g. a ballot by its receipt)."""
        async with UnitOfWork(self.db) as uow:
            await uow.chat_menus.clear(channel, chat_id, message_ref)
