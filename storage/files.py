"""Stored files (charts, reports, evidence) and the expiring links that hand them out."""

from __future__ import annotations

from datetime import datetime

from .base import _iso, _Repo


class FileRepo(_Repo):
    async def add(self, name: str, mime_type: str | None, data: bytes, now: datetime) -> int:
        return await self._insert(
            "INSERT INTO files (name, mime_type, data, created_at) VALUES (?, ?, ?, ?)",
            name,
            mime_type,
            data,
            _iso(now),
        )

    async def get(self, file_id: int) -> tuple[str, str | None, bytes] | None:
        row = await self._one("SELECT name, mime_type, data FROM files WHERE id = ?", file_id)
        return (row["name"], row["mime_type"], bytes(row["data"])) if row else None


class FileLinkRepo(_Repo):
    async def share(
        self,
        token: str,
        digest: str,
        name: str,
        mime_type: str | None,
        data: bytes,
        until: datetime,
    ) -> str:
        """The link token for this content: an existing one (kept valid until `until`), or
        `token` for new content."""
        await self.conn.execute(
            "INSERT INTO file_links (token, digest, name, mime_type, data, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (digest) DO UPDATE SET expires_at = excluded.expires_at",
            (token, digest, name, mime_type, data, _iso(until)),
        )
        row = await self._first("SELECT token FROM file_links WHERE digest = ?", digest)
        return row[0]

    async def get(self, token: str, now: datetime) -> tuple[str, str | None, bytes] | None:
        row = await self._one(
            "SELECT name, mime_type, data FROM file_links WHERE token = ? AND expires_at > ?",
            token,
            _iso(now),
        )
        return (row["name"], row["mime_type"], bytes(row["data"])) if row else None

    async def purge(self, now: datetime) -> int:
        return await self._changed("DELETE FROM file_links WHERE expires_at <= ?", _iso(now))
