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


class UploadLinkRepo(_Repo):
    async def issue(
        self, token_hash: str, channel: str, user_id: str, chat_id: str, name: str, until: datetime
    ) -> None:
        await self.conn.execute(
            "INSERT INTO upload_links (token_hash, channel, user_id, chat_id, display_name,"
            " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (token_hash, channel, user_id, chat_id, name, _iso(until)),
        )

    async def open(self, token_hash: str, now: datetime) -> tuple[str, str, str, str] | None:
        """(channel, user id, chat id, name) of a link that is unused and unexpired."""
        row = await self._one(
            "SELECT channel, user_id, chat_id, display_name FROM upload_links"
            " WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
            token_hash,
            _iso(now),
        )
        return (row[0], row[1], row[2], row[3]) if row else None

    async def use(self, token_hash: str, now: datetime) -> bool:
        """Mark the link used; False when it was used or expired meanwhile."""
        changed = await self._changed(
            "UPDATE upload_links SET used_at = ?"
            " WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
            _iso(now),
            token_hash,
            _iso(now),
        )
        return changed == 1

    async def purge(self, now: datetime) -> int:
        return await self._changed("DELETE FROM upload_links WHERE expires_at <= ?", _iso(now))
