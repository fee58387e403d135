"""PostgreSQL through asyncpg, behind the same few calls the repositories make of aiosqlite.

The repositories write SQLite's SQL; the handful of differences are translated here, once per
statement text: `?` placeholders, `INSERT OR IGNORE`, `IS ?`, `group_concat`. Times are stored as
`timestamptz` and scores as `numeric`, but travel as the same ISO and decimal strings as on SQLite
(text codecs), so no repository knows which database it talks to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import asyncpg

from .db import Database, DatabaseUnavailable, migrations

log = logging.getLogger(__name__)
# The channel every commit that wrote something notifies, so each process's engine re-plans.
CHANGED_CHANNEL = "thidua_changed"


@lru_cache(maxsize=2048)
def translate(sql: str) -> str:
    """SQLite's SQL as PostgreSQL reads it."""
    sql = sql.strip()
    if sql.upper() == "BEGIN IMMEDIATE":
        return "BEGIN"
    ignore = sql.upper().startswith("INSERT OR IGNORE ")
    if ignore:
        sql = "INSERT " + sql[len("INSERT OR IGNORE ") :]
    sql = re.sub(r"group_concat\((\w+)\)", r"string_agg(CAST(\1 AS TEXT), ',')", sql)
    sql = re.sub(r"\bIS \?", "IS NOT DISTINCT FROM ?", sql)
    sql = _numbered(sql)
    if ignore:
        returning = re.search(r"\sRETURNING\s", sql)
        at = returning.start() if returning else len(sql)
        sql = sql[:at] + " ON CONFLICT DO NOTHING" + sql[at:]
    return sql


def _numbered(sql: str) -> str:
    """`?` placeholders as `$1, $2, …`, leaving quoted text alone."""
    out, number, quoted = [], 0, False
    for char in sql:
        if char == "'":
            quoted = not quoted
        if char == "?" and not quoted:
            number += 1
            out.append(f"${number}")
        else:
            out.append(char)
    return "".join(out)


def _affected(status: str) -> int:
    """Rows a command changed, from its status line ("UPDATE 3", "INSERT 0 1")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def _timestamp(text: str) -> str:
    """PostgreSQL's `2026-11-26 09:00:00+00` as the ISO form SQLite rows hold."""
    return datetime.fromisoformat(text).isoformat()


class Result:
    """What `execute` gives back: awaited, the finished statement; entered, a cursor over its
    rows (aiosqlite's two ways of using a statement)."""

    def __init__(self, conn: PgConnection, sql: str, params: Sequence[Any]) -> None:
        self._conn, self._sql, self._params = conn, sql, params
        self.rows: list[asyncpg.Record] = []
        self.rowcount = -1

    def __await__(self):
        return self._run().__await__()

    async def __aenter__(self) -> Result:
        return await self._run()

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def _run(self) -> Result:
        sql = translate(self._sql)
        if sql == "BEGIN" and self._conn.raw.is_closed():
            await self._conn.reconnect()  # between transactions: nothing is lost
        if _returns_rows(sql):
            self.rows = await self._conn.raw.fetch(sql, *self._params)
            self.rowcount = len(self.rows)
        else:
            self.rowcount = _affected(await self._conn.raw.execute(sql, *self._params))
        if self.rowcount > 0 and not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            self._conn.total_changes += self.rowcount
        return self

    async def fetchall(self) -> list[asyncpg.Record]:
        return self.rows

    async def fetchone(self) -> asyncpg.Record | None:
        return self.rows[0] if self.rows else None


def _returns_rows(sql: str) -> bool:
    head = sql.lstrip().upper()
    return head.startswith(("SELECT", "WITH", "VALUES")) or " RETURNING " in head


class PgConnection:
    """One asyncpg connection speaking aiosqlite's dialect of calls."""

    dialect = "postgresql"

    def __init__(self, raw: asyncpg.Connection, url: str) -> None:
        self.raw, self._url = raw, url
        self.total_changes = 0  # rows written so far, as SQLite counts them

    async def reconnect(self) -> None:
        """A new session after the server ended the old one (a restart, a broken connection):
        the next transaction runs on it, so a process recovers without a restart."""
        log.warning("the database session ended; opening a new one")
        self.raw = await connect(self._url)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        return Result(self, sql, tuple(params))

    async def execute_fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return (await self.execute(sql, params)).rows

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = [tuple(row) for row in rows]
        if rows:
            await self.raw.executemany(translate(sql), rows)
            self.total_changes += len(rows)

    @property
    def in_transaction(self) -> bool:
        return self.raw.is_in_transaction()

    async def close(self) -> None:
        await self.raw.close()


async def connect(url: str) -> asyncpg.Connection:
    """A connection whose times and scores read as the strings SQLite would give."""
    raw = await asyncpg.connect(url, server_settings={"timezone": "UTC"})
    await raw.set_type_codec(
        "timestamptz", schema="pg_catalog", encoder=str, decoder=_timestamp, format="text"
    )
    await raw.set_type_codec(
        "numeric", schema="pg_catalog", encoder=str, decoder=str, format="text"
    )
    return raw


# Advisory lock keys (any two constants unlikely to clash with another application's).
LEADER_KEY = 0x7468_6964_7561_01  # "thidua" + 1: the scheduler's leader
MIGRATION_KEY = 0x7468_6964_7561_02  # one migrating process at a time


class PostgresDatabase(Database):
    """A PostgreSQL database shared by several processes.

    Two connections: `conn` runs the units of work, one at a time (as on SQLite); `aux` holds the
    scheduler's leader lock (a session advisory lock: it ends with the session, so a killed
    process's lock is gone as soon as the server sees the socket close), listens for other
    processes' commits and draws from the shared send budget. When `aux`'s session ends while the
    process lives on, it steps down (`leadership_lost`) and the next use opens a new session.
    """

    dialect = "postgresql"
    notify_sql = f"NOTIFY {CHANGED_CHANNEL}"

    def __init__(self, conn: PgConnection, aux: asyncpg.Connection, url: str) -> None:
        super().__init__(conn)
        self.aux = aux
        self._url = url  # to open a new `aux` when the old one's session ends
        self._aux_lock = asyncio.Lock()  # asyncpg runs one statement at a time per connection
        self._leading = False
        self._closing = False

    @classmethod
    async def connect(cls, url: str) -> PostgresDatabase:
        try:
            main = await connect(url)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            # asyncpg's messages name the server's answer, never the password.
            raise DatabaseUnavailable(f"cannot open the PostgreSQL database: {error}") from None
        try:
            aux = await connect(url)
        except BaseException:
            await main.close()
            raise
        db = cls(PgConnection(main, url), aux, url)
        try:
            await db._listen(aux)
            db.applied = await db.migrate()
        except BaseException:
            await db.close()
            raise
        return db

    def _heard(self, *_: object) -> None:
        self.changed.set()  # another process (or this one) committed a write

    async def _listen(self, aux: asyncpg.Connection) -> None:
        await aux.add_listener(CHANGED_CHANNEL, self._heard)
        aux.add_termination_listener(self._session_ended)

    def _session_ended(self, *_: object) -> None:
        """The session holding the leader lock is gone (the server restarted, the connection
        broke): so is the lock, and another process may take it; step down at once."""
        if self._leading and not self._closing:
            log.warning("the database session holding the scheduler's lock ended; stepping down")
            self._leading = False
            self.leadership_lost.set()

    async def _fresh_aux(self) -> None:
        """A new `aux` after the old one's session ended."""
        if self.aux.is_closed():
            self.aux = await connect(self._url)
            await self._listen(self.aux)

    async def migrate(self, available: list[tuple[int, str, str]] | None = None) -> list[int]:
        raw = self.conn.raw
        async with self.lock, raw.transaction():
            # Two processes started together: the second waits, then finds nothing to do.
            await raw.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_KEY)
            await raw.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version INTEGER PRIMARY KEY, name TEXT NOT NULL)"
            )
            done = {row[0] for row in await raw.fetch("SELECT version FROM schema_migrations")}
            pending = [
                (version, name, sql)
                for version, name, sql in (
                    available if available is not None else migrations("postgresql")
                )
                if version not in done
            ]
            for version, name, sql in pending:
                await raw.execute(sql)
                await raw.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", version, name
                )
        return [version for version, _, _ in pending]

    async def scrub_history(self) -> None:
        """Rewrite the ballot tables, so no dead row version keeps the order papers were cast
        in; the sealed papers (issue #14) already keep it from the write-ahead log."""
        async with self.lock:
            await self.conn.raw.execute(
                "VACUUM FULL sealed_papers, ballot_papers, ballot_receipts, voter_register,"
                " chat_menus"
            )

    async def lead(self) -> bool:
        async with self._aux_lock:
            await self._fresh_aux()
            if not self._leading:
                self._leading = bool(
                    await self.aux.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_KEY)
                )
                if self._leading:
                    await self.aux.execute(
                        "INSERT INTO scheduler_leader (id, holder, since) VALUES (1, $1, now())"
                        " ON CONFLICT (id) DO UPDATE SET holder = excluded.holder,"
                        " since = excluded.since",
                        self.holder,
                    )
            return self._leading

    async def leader(self) -> str | None:
        async with self._aux_lock:
            return await self.aux.fetchval(
                "SELECT holder FROM scheduler_leader WHERE EXISTS (SELECT 1 FROM pg_locks"
                " WHERE locktype = 'advisory' AND granted"
                " AND ((classid::bigint << 32) | objid::bigint) = $1)",
                LEADER_KEY,
            )

    async def ping(self) -> None:
        async with self._aux_lock:
            await self._fresh_aux()
            await self.aux.fetchval("SELECT 1")

    def send_budget(self, name: str, per_second: float) -> SendBudget:
        return SendBudget(self, name, per_second)

    async def close(self) -> None:
        self._closing = True
        with contextlib.suppress(Exception):
            await self.aux.close()  # the leader lock goes with the session
        await self.conn.close()


class SendBudget:
    """The platform's rate as one schedule in the database, so every process sending as one bot
    stays within it together: each send books the next free slot (the server's clock, the same
    for every process) and waits for it. Slots are evenly spaced: no bursts."""

    def __init__(self, db: PostgresDatabase, name: str, per_second: float) -> None:
        self.db, self.name, self.spacing = db, name, 1 / per_second

    async def take(self) -> None:
        """Book the next slot and wait until it comes."""
        async with self.db._aux_lock:
            await self.db._fresh_aux()
            wait = await self.db.aux.fetchval(_BOOK, self.name, self.spacing)
        if wait > 0:
            await asyncio.sleep(wait)


# The seconds until the booked slot (0 or less: now).
_BOOK = """
INSERT INTO send_budgets AS b (name, next_at)
VALUES ($1, clock_timestamp() + make_interval(secs => $2))
ON CONFLICT (name) DO UPDATE
SET next_at = greatest(b.next_at, clock_timestamp()) + make_interval(secs => $2)
RETURNING extract(epoch FROM b.next_at - clock_timestamp())::float8 - $2
"""
