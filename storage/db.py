"""The database: one SQLite file in WAL mode (the embedded default, one process), or PostgreSQL
(`postgresql://…`, several processes; storage/postgres.py). Numbered migrations apply at open."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import socket
import sqlite3
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

_MIGRATION_NAME = re.compile(r"^([0-9]{4})_[a-z0-9_]+\.sql$")
_MIGRATIONS = {"sqlite": "storage.migrations", "postgresql": "storage.migrations.postgresql"}


class DatabaseInUse(Exception):
    """Another process has the SQLite file open; the message says so in one line."""


class DatabaseUnavailable(Exception):
    """The PostgreSQL server cannot be reached or refuses us; one line, never the URL."""


def is_postgres(target: Path | str) -> bool:
    return str(target).startswith(("postgresql://", "postgres://"))


def migrations(dialect: str = "sqlite") -> list[tuple[int, str, str]]:
    """(version, name, sql) for every migration of `dialect`, in order: the same numbers and
    names on both databases, each written in its own SQL."""
    found = []
    for entry in resources.files(_MIGRATIONS[dialect]).iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class Database:
    """The connection plus a lock: one writer at a time, each unit of work one transaction.

    On SQLite the process holds the file (a second process is refused, since nothing else would
    keep two from sending the same message), so it is always the scheduler's leader.
    """

    dialect = "sqlite"
    notify_sql: str | None = None  # what tells other processes of a commit (none on SQLite)

    def __init__(self, conn: Any, *, lock_file: Path | None = None) -> None:
        self.conn = conn
        self._lock_file = lock_file
        # Who this process is, in outbox claims and the scheduler's leader row.
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.lock = asyncio.Lock()
        self.applied: list[int] = []  # the migrations applied when it was opened
        # Set by every commit that wrote something: whatever is due may have changed (a message
        # queued, a deadline moved, a ballot opened). The engine waits on it and re-plans, so no
        # caller has to remember to wake it.
        self.changed = asyncio.Event()
        # Set when this process stops being the scheduler's leader without asking to (its
        # PostgreSQL session ended); never on SQLite.
        self.leadership_lost = asyncio.Event()

    @classmethod
    async def open(cls, target: Path | str) -> Database:
        """The SQLite file `target` (or ":memory:"); storage.opening opens either database."""
        lock_file = None
        if str(target) != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            lock_file = _hold(Path(target))
        try:
            return await cls._open_file(target, lock_file)
        except BaseException:
            if lock_file is not None:
                _let_go(lock_file)
            raise

    @classmethod
    async def _open_file(cls, path: Path | str, lock_file: Path | None) -> Database:
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
        db = cls(conn, lock_file=lock_file)
        db.applied = await db.migrate()
        return db

    @staticmethod
    def hold_file(path: Path) -> None:
        """Hold a SQLite file as an open database does (DatabaseInUse when a bot has it)."""
        _hold(path)

    @staticmethod
    def let_go_file(path: Path) -> None:
        _let_go(_lock_path(path))

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
            for version, name, sql in (
                available if available is not None else migrations(self.dialect)
            )
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

    async def scrub_history(self) -> None:
        """Leave no trace of the order of recent writes (run after a ballot closes): SQLite's
        write-ahead log is copied into the database and emptied."""
        async with self.lock:
            await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def lead(self) -> bool:
        """Become the scheduler's leader if no live process is; True when this one is."""
        return True

    async def leader(self) -> str | None:
        """Who runs the scheduler (the process's holder name), for /healthz."""
        return self.holder

    async def ping(self) -> None:
        """Raise unless the database answers."""
        async with self.lock:
            await self.conn.execute_fetchall("SELECT 1")

    def send_budget(self, name: str, per_second: float) -> Any:
        """A rate shared by every process sending as one bot (None: this process is alone)."""
        return None

    async def close(self) -> None:
        try:
            await self.conn.close()
        finally:
            if self._lock_file is not None:
                _let_go(self._lock_file)
                self._lock_file = None


# The SQLite files this process holds: a lock file each, opened once however many times the
# database is (a test, a command and the bot in one process share it).
_held: dict[Path, list[int]] = {}  # lock file -> [descriptor, users]


def _hold(database: Path) -> Path:
    """Take the file's lock, or refuse in one line when another process has it."""
    lock_file = _lock_path(database)
    if lock_file in _held:
        _held[lock_file][1] += 1
        return lock_file
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise DatabaseInUse(
            f"{database} is in use by another thidua process (pid {owner}); stop it first, or"
            " set THIDUA_DATABASE_URL to a PostgreSQL database to run several"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    _held[lock_file] = [fd, 1]
    return lock_file


def _lock_path(database: Path) -> Path:
    return database.resolve().with_name(database.name + ".lock")


def _let_go(lock_file: Path) -> None:
    held = _held.get(lock_file)
    if held is None:
        return
    held[1] -= 1
    if held[1] == 0:
        del _held[lock_file]
        with contextlib.suppress(OSError):
            os.close(held[0])  # closing lets go of the lock


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
