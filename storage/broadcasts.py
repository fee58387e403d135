"""Announcements from the secretariat, their recipients and acknowledgements."""

from __future__ import annotations

import json
from datetime import datetime

from .base import _iso, _Repo


class BroadcastRepo(_Repo):
    async def add(
        self,
        cluster_id: int,
        text: str,
        file_id: int | None,
        audience: dict,
        member_ids: list[int],
        created_by: str,
        now: datetime,
    ) -> int:
        broadcast_id = await self._insert(
            "INSERT INTO broadcasts (cluster_id, text, file_id, audience, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            cluster_id,
            text,
            file_id,
            json.dumps(audience),
            created_by,
            _iso(now),
        )
        await self.conn.executemany(
            "INSERT INTO broadcast_recipients (broadcast_id, member_id) VALUES (?, ?)",
            [(broadcast_id, m) for m in member_ids],
        )
        return broadcast_id

    async def get(self, broadcast_id: int) -> dict | None:
        row = await self._one("SELECT * FROM broadcasts WHERE id = ?", broadcast_id)
        return dict(row) if row else None

    async def recent(self, cluster_id: int, limit: int = 5) -> list[dict]:
        rows = await self._all(
            "SELECT * FROM broadcasts WHERE cluster_id = ? ORDER BY id DESC LIMIT ?",
            cluster_id,
            limit,
        )
        return [dict(r) for r in rows]

    async def acknowledge(self, broadcast_id: int, member_id: int, now: datetime) -> bool | None:
        """True newly acknowledged, False already, None when not a recipient."""
        async with self.conn.execute(
            "UPDATE broadcast_recipients SET acknowledged_at = ? WHERE broadcast_id = ?"
            " AND member_id = ? AND acknowledged_at IS NULL",
            (_iso(now), broadcast_id, member_id),
        ) as cursor:
            if cursor.rowcount == 1:
                return True
        row = await self._one(
            "SELECT 1 FROM broadcast_recipients WHERE broadcast_id = ? AND member_id = ?",
            broadcast_id,
            member_id,
        )
        return False if row else None

    async def recipients(self, broadcast_id: int) -> list[dict]:
        """Each recipient with the delivery state of their outbox message and acknowledgement."""
        rows = await self._all(
            "SELECT r.member_id, r.acknowledged_at, o.state AS delivery FROM broadcast_recipients r"
            " LEFT JOIN outbox o ON o.dedupe_key = 'broadcast:' || r.broadcast_id || ':'"
            " || r.member_id WHERE r.broadcast_id = ? ORDER BY r.member_id",
            broadcast_id,
        )
        return [dict(r) for r in rows]
