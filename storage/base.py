"""What every repository shares: the connection, row helpers and the stored time format."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")


def _iso(moment: datetime | None) -> str | None:
    """Stored times are UTC ISO strings, so SQL can compare them as text."""
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _at(text: str) -> datetime:
    """A time from a NOT NULL column."""
    return datetime.fromisoformat(text)


def _present(value: T | None, what: str, key: object) -> T:
    """A row the caller knows exists (it was just read or written): missing is a bug."""
    if value is None:
        raise LookupError(f"{what} {key} not found")
    return value


class _Repo:
    """Each helper is one trip to aiosqlite's thread (a cursor opened, fetched and closed in
    separate awaits costs three): a cast vote runs about twenty statements."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        # "sqlite" or "postgresql" (storage/postgres.py translates the rest of the SQL).
        self.dialect: str = getattr(conn, "dialect", "sqlite")

    async def _one(self, sql: str, *args: Any) -> aiosqlite.Row | None:
        rows = list(await self.conn.execute_fetchall(sql, args))
        return rows[0] if rows else None

    async def _first(self, sql: str, *args: Any) -> aiosqlite.Row:
        """The one row a query always returns (an aggregate, or a row just written)."""
        found = await self._one(sql, *args)
        if found is None:
            raise LookupError(f"no row for {sql[:60]}")
        return found

    async def _all(self, sql: str, *args: Any) -> list[aiosqlite.Row]:
        return list(await self.conn.execute_fetchall(sql, args))

    async def _insert(self, sql: str, *args: Any) -> int:
        """Run an INSERT; the new row's id."""
        return int((await self._first(sql + " RETURNING id", *args))[0])

    async def _changed(self, sql: str, *args: Any) -> int:
        """Run a write; the number of rows it changed."""
        return (await self.conn.execute(sql, args)).rowcount
