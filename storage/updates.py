"""Platform updates already handled, so a redelivered one is never applied twice."""

from __future__ import annotations

from datetime import datetime

from .base import _iso, _Repo


class UpdateRepo(_Repo):
    async def prune(self, before: datetime) -> int:
        """Forget updates handled before `before` (platforms redeliver within a day)."""
        return await self._changed("DELETE FROM processed_updates WHERE at < ?", _iso(before))

    async def claim(self, channel: str, update_id: int | str, now: datetime) -> bool:
        """Record the update as handled; False when it already was."""
        return (
            await self._changed(
                "INSERT OR IGNORE INTO processed_updates (channel, update_id, at) VALUES (?, ?, ?)",
                channel,
                str(update_id),  # Zalo names its messages; INTEGER affinity keeps numbers
                _iso(now),
            )
            == 1
        )
