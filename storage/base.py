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
    """Each helper is one trip to aiosqlite's thread (a cursor opened, fetched and closed in
    separate awaits costs three): a cast vote runs about twenty statements."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def _one(self, sql: str, *args: Any) -> aiosqlite.Row | None:
        rows = await self.conn.execute_fetchall(sql, args)
        return rows[0] if rows else None

    async def _all(self, sql: str, *args: Any) -> list[aiosqlite.Row]:
        return list(await self.conn.execute_fetchall(sql, args))

    async def _insert(self, sql: str, *args: Any) -> int:
        return (await self.conn.execute(sql, args)).lastrowid

    async def _changed(self, sql: str, *args: Any) -> int:
        """Run a write; the number of rows it changed."""
        return (await self.conn.execute(sql, args)).rowcount
