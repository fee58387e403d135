"""Links to a meeting's projector page, by the hash of their token."""

from __future__ import annotations

from datetime import datetime

from .base import _iso, _Repo


class ScreenLinkRepo(_Repo):
    async def issue(
        self, token_hash: str, cluster_id: int, meeting_id: int, until: datetime
    ) -> None:
        await self.conn.execute(
            "INSERT INTO screen_links (token_hash, cluster_id, meeting_id, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (token_hash, cluster_id, meeting_id, _iso(until)),
        )

    async def open(self, token_hash: str, now: datetime) -> tuple[int, int] | None:
        """(cluster id, meeting id) of a link still valid."""
        row = await self._one(
            "SELECT cluster_id, meeting_id FROM screen_links"
            " WHERE token_hash = ? AND expires_at > ?",
            token_hash,
            _iso(now),
        )
        return (row[0], row[1]) if row else None

    async def purge(self, now: datetime) -> int:
        return await self._changed("DELETE FROM screen_links WHERE expires_at <= ?", _iso(now))


class PageLinkRepo(_Repo):
    """Links that open a person's own page (their unit's sheet, the sheets side by side)."""

    async def issue(
        self, token_hash: str, page: str, channel: str, user_id: str, until: datetime
    ) -> None:
        await self.conn.execute(
            "INSERT INTO page_links (token_hash, page, channel, user_id, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (token_hash, page, channel, user_id, _iso(until)),
        )

    async def open(self, token_hash: str, page: str, now: datetime) -> tuple[str, str] | None:
        """(channel, user id) of a link to `page` still valid."""
        row = await self._one(
            "SELECT channel, user_id FROM page_links"
            " WHERE token_hash = ? AND page = ? AND expires_at > ?",
            token_hash,
            page,
            _iso(now),
        )
        return (row[0], row[1]) if row else None

    async def purge(self, now: datetime) -> int:
        return await self._changed("DELETE FROM page_links WHERE expires_at <= ?", _iso(now))
