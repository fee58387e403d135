"""What each chat is in the middle of: the conversation step, and the last menu shown on a
channel without buttons."""

from __future__ import annotations

import json
from datetime import datetime

from .base import _iso, _Repo


class ConversationRepo(_Repo):
    async def get(self, channel: str, external_id: str) -> tuple[str, str, dict] | None:
        row = await self._one(
            "SELECT flow, step, data FROM conversations WHERE channel = ? AND external_id = ?",
            channel,
            external_id,
        )
        return (row["flow"], row["step"], json.loads(row["data"])) if row else None

    async def put(
        self, channel: str, external_id: str, flow: str, step: str, data: dict, now: datetime
    ) -> None:
        await self.conn.execute(
            "INSERT INTO conversations (channel, external_id, flow, step, data, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, external_id) DO UPDATE SET"
            " flow = excluded.flow, step = excluded.step, data = excluded.data,"
            " updated_at = excluded.updated_at",
            (channel, external_id, flow, step, json.dumps(data, ensure_ascii=False), _iso(now)),
        )

    async def clear(self, channel: str, external_id: str) -> None:
        await self.conn.execute(
            "DELETE FROM conversations WHERE channel = ? AND external_id = ?",
            (channel, external_id),
        )


class ChatMenuRepo(_Repo):
    async def get(self, channel: str, chat_id: str) -> tuple[str, list, bool, str | None] | None:
        """(message_ref, [[label, action], ...], by_label, locale) of the chat's current menu."""
        row = await self._one(
            "SELECT message_ref, choices, by_label, locale FROM chat_menus"
            " WHERE channel = ? AND chat_id = ?",
            channel,
            chat_id,
        )
        return (row[0], json.loads(row[1]), bool(row[2]), row[3]) if row else None

    async def put(
        self,
        channel: str,
        chat_id: str,
        message_ref: str,
        choices: list,
        by_label: bool,
        locale: str | None = None,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO chat_menus"
            " (channel, chat_id, message_ref, choices, by_label, locale) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (channel, chat_id) DO UPDATE SET message_ref = excluded.message_ref,"
            " choices = excluded.choices, by_label = excluded.by_label, locale = excluded.locale",
            (
                channel,
                chat_id,
                message_ref,
                json.dumps(choices, ensure_ascii=False),
                by_label,
                locale,
            ),
        )

    async def clear(self, channel: str, chat_id: str, message_ref: str) -> None:
        await self.conn.execute(
            "DELETE FROM chat_menus WHERE channel = ? AND chat_id = ? AND message_ref = ?",
            (channel, chat_id, message_ref),
        )
