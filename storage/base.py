"""What every repository shares: the connection, row helpers and the stored time format."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiosqlite


def _iso(moment: datetime | None) -> str | None:
    """Stored times are UTC ISO strings, so SQL can compare them as text."""
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class _Repo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def _one(self, sql: str, *args: Any) -> aiosqlite.Row | None:
        async with self.conn.execute(sql, args) as cursor:
            return await cursor.fetchone()

    async def _all(self, sql: str, *args: Any) -> list[aiosqlite.Row]:
        async with self.conn.execute(sql, args) as cursor:
            return list(await cursor.fetchall())

    async def _insert(self, sql: str, *args: Any) -> int:
        async with self.conn.execute(sql, args) as cursor:
            return cursor.lastrowid
