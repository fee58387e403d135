"""Opening the database a deployment names: a `postgresql://` URL, or a SQLite file."""

from __future__ import annotations

from pathlib import Path

from .db import Database, is_postgres


async def open_database(target: Path | str) -> Database:
    """`target`: a SQLite file (or ":memory:"), or a `postgresql://` URL. Migrates on opening."""
    if is_postgres(target):
        from .postgres import PostgresDatabase  # asyncpg loads only when it is used

        return await PostgresDatabase.connect(str(target))
    return await Database.open(target)
