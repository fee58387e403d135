"""Moving an existing SQLite database into PostgreSQL: every row of every table, in one
transaction, parents before children; the target must be new (migrated, no data yet)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .db import Database


class TransferRefused(Exception):
    """The move cannot start; the message says why in one line."""


def _tables_parents_first(source: sqlite3.Connection) -> list[str]:
    names = [
        row[0]
        for row in source.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name != 'schema_migrations' ORDER BY name"
        )
    ]
    parents = {
        name: {row[2] for row in source.execute(f"PRAGMA foreign_key_list({name})")} - {name}
        for name in names
    }
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and parents[n] <= set(ordered)]
        if not ready:
            raise TransferRefused("the tables' references go round in a circle")
        ordered += ready
    return ordered


async def copy_sqlite_into(source_path: Path, target: Database) -> dict[str, int]:
    """Copy every row of the SQLite file at `source_path` into `target` (PostgreSQL); returns
    the rows copied per table. Nothing is written unless everything is."""
    if not source_path.exists():
        raise TransferRefused(f"no database at {source_path}")
    if target.dialect != "postgresql":
        raise TransferRefused("the target must be a PostgreSQL database (postgresql://…)")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        source_versions = {r[0] for r in source.execute("SELECT version FROM schema_migrations")}
        tables = _tables_parents_first(source)
        copied: dict[str, int] = {}
        raw = target.conn.raw
        target_versions = {r[0] for r in await raw.fetch("SELECT version FROM schema_migrations")}
        if source_versions != target_versions:
            raise TransferRefused(
                "the two databases are at different migrations; start the bot once on the"
                " SQLite file (it migrates at start), then move it"
            )
        async with target.lock, raw.transaction():
            for table in tables:
                if await raw.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
                    raise TransferRefused(f"the target already holds data ({table}); use a new one")
                cursor = source.execute(f"SELECT * FROM {table}")
                columns = [d[0] for d in cursor.description]
                rows = cursor.fetchall()
                if rows:
                    types = dict(
                        await raw.fetch(
                            "SELECT column_name, data_type FROM information_schema.columns"
                            " WHERE table_name = $1",
                            table,
                        )
                    )
                    marks = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
                    await raw.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                        [_as_stored(row, [types[c] for c in columns]) for row in rows],
                    )
                copied[table] = len(rows)
                if "id" in columns and rows:  # new rows number on from the copied ones
                    await raw.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT MAX(id) FROM {table}))"
                    )
        return copied
    finally:
        source.close()


def _as_stored(row: tuple, types: list[str]) -> tuple:
    """SQLite's loose types as PostgreSQL's columns take them: a number kept in a text column
    (Telegram's update ids) as its text; times and scores already travel as text."""
    return tuple(
        str(value) if kind == "text" and isinstance(value, int | float) else value
        for value, kind in zip(row, types, strict=True)
    )
