"""One SQLite file in WAL mode with foreign keys on; numbered migrations applied at open."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from importlib import resources
from pathlib import Path

import aiosqlite

_MIGRATION_NAME = re.compile(r"^([0-9]{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every file in storage/migrations, in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class Database:
    """The connection plus a lock: one writer at a time, each unit of work one transaction."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self.lock = asyncio.Lock()
        # Set by every commit that wrote something: whatever is due may have changed (a message
        # queued, a deadline moved, a ballot opened). The engine waits on it and re-plans, so no
        # caller has to remember to wake it.
        self.changed = asyncio.Event()

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL keeps every commit through a crash or kill -9 of the process (only
        # a power cut may lose the last commits) and spares an fsync per transaction.
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA busy_timeout = 5000")
        # Deleted content is overwritten with zeros (ballot secrecy: see BallotRepo.rewrite_box).
        await conn.execute("PRAGMA secure_delete = ON")
        db = cls(conn)
        await db.migrate()
        return db

    async def migrate(self, available: list[tuple[int, str, str]] | None = None) -> list[int]:
        """Apply the migrations not yet applied (`available`: those of storage/migrations);
        returns their versions (empty when up to date)."""
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (version INTEGER PRIMARY KEY, name TEXT NOT NULL)"
        )
        async with self.conn.execute("SELECT version FROM schema_migrations") as cursor:
            done = {row[0] for row in await cursor.fetchall()}
        pending = [
            (version, name, sql)
            for version, name, sql in (available if available is not None else migrations())
            if version not in done
        ]
        if not pending:
            return []
        # Every pending migration in one transaction and one call into SQLite: a fresh
        # database (the demo, a new cluster) is ready in a few milliseconds, and a failing
        # migration leaves the schema as it was.
        script = ["BEGIN IMMEDIATE;"]
        for version, name, sql in pending:
            script += [_terminated(statement) for statement in _statements(sql)]
            script.append(
                "INSERT INTO schema_migrations (version, name) VALUES"
                f" ({int(version)}, '{name.replace(chr(39), chr(39) * 2)}');"
            )
        script.append("COMMIT;")
        async with self.lock:
            try:
                await self.conn.executescript("\n".join(script))
            except BaseException:
                if self.conn.in_transaction:
                    await self.conn.execute("ROLLBACK")
                raise
        return [version for version, _, _ in pending]

    async def truncate_wal(self) -> None:
        """Copy the write-ahead log into the database and empty it, so the log keeps no history
        of recent transactions (run after a ballot closes)."""
        async with self.lock:
            await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def close(self) -> None:
        await self.conn.close()


def _terminated(statement: str) -> str:
    return statement if statement.endswith(";") else statement + ";"


def _statements(sql: str) -> list[str]:
    """Split a migration into statements the way SQLite itself reads them, so a trigger body
    (`BEGIN … CASE … END; … END;`) stays whole."""
    statements, current = [], ""
    for line in sql.splitlines(keepends=True):
        if not current and (not line.strip() or line.strip().startswith("--")):
            continue
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
