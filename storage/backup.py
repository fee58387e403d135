"""A consistent copy of the database while the bot runs: `VACUUM INTO` reads one snapshot (WAL
lets the bot keep writing meanwhile) and writes a compact file without free pages, so nothing
deleted travels into the backup."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class BackupRefused(Exception):
    """The copy cannot be made; the message says why in one line."""


def backup(source: Path, target: Path) -> int:
    """Copy `source` into the new file `target`; returns its size in bytes."""
    if not source.exists():
        raise BackupRefused(f"no database at {source}")
    if target.exists():
        raise BackupRefused(f"{target} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as database:
        database.execute("PRAGMA busy_timeout = 10000")
        database.execute("VACUUM INTO ?", (str(target),))
    with sqlite3.connect(f"file:{target}?mode=ro", uri=True) as copy:
        verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
    if verdict != "ok":
        target.unlink()
        raise BackupRefused(f"the copy failed its integrity check ({verdict})")
    return target.stat().st_size
