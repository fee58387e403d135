"""Clusters, their units and their periods (the year with its chair and vice chair)."""

from __future__ import annotations

import json
from datetime import datetime

import aiosqlite

from bot.domain.documents import Letterhead
from bot.domain.models import Cluster, Period, Unit
from bot.domain.voting import BallotDefaults, parse_ballot_defaults

from .base import _iso, _present, _Repo


def _cluster(row: aiosqlite.Row) -> Cluster:
    return Cluster(
        id=row["id"], key=row["key"], name=row["name"], kind=row["kind"], timezone=row["timezone"]
    )


class ClusterRepo(_Repo):
    async def by_key(self, key: str) -> Cluster | None:
        row = await self._one("SELECT * FROM clusters WHERE key = ?", key)
        return _cluster(row) if row else None

    async def get(self, cluster_id: int) -> Cluster | None:
        row = await self._one("SELECT * FROM clusters WHERE id = ?", cluster_id)
        return _cluster(row) if row else None

    async def one(self, cluster_id: int) -> Cluster:
        return _present(await self.get(cluster_id), "cluster", cluster_id)

    async def all(self) -> list[Cluster]:
        return [_cluster(r) for r in await self._all("SELECT * FROM clusters ORDER BY id")]

    async def awards(self, cluster_id: int) -> list[str]:
        """The titles and awards the cluster's units registered for (the cluster file's list)."""
        row = await self._one("SELECT awards FROM clusters WHERE id = ?", cluster_id)
        return json.loads(row["awards"]) if row else []

    async def upsert(
        self,
        key: str,
        name: str,
        kind: str,
        timezone: str,
        awards: list[str],
        now: datetime,
        ballot_defaults: dict | None = None,
        letterhead: Letterhead | None = None,
    ) -> tuple[int, bool]:
        """(cluster id, created?)"""
        existing = await self.by_key(key)
        awards_json = json.dumps(awards, ensure_ascii=False)
        defaults_json = json.dumps(ballot_defaults or {})
        letterhead_json = (letterhead or Letterhead()).model_dump_json()
        if existing:
            await self.conn.execute(
                "UPDATE clusters SET name = ?, kind = ?, awards = ?, ballot_defaults = ?,"
                " letterhead = ? WHERE id = ?",
                (name, kind, awards_json, defaults_json, letterhead_json, existing.id),
            )
            return existing.id, False
        cluster_id = await self._insert(
            "INSERT INTO clusters (key, name, kind, timezone, awards, ballot_defaults,"
            " letterhead, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            key,
            name,
            kind,
            timezone,
            awards_json,
            defaults_json,
            letterhead_json,
            _iso(now),
        )
        return cluster_id, True

    async def letterhead(self, cluster_id: int) -> Letterhead:
        row = await self._one("SELECT letterhead FROM clusters WHERE id = ?", cluster_id)
        if row is None or not row["letterhead"]:
            return Letterhead()
        return Letterhead.model_validate_json(row["letterhead"])

    async def ballot_defaults(self, cluster_id: int) -> BallotDefaults | None:
        """The rules the cluster file sets for new ballots; None when it sets none."""
        row = await self._one("SELECT ballot_defaults FROM clusters WHERE id = ?", cluster_id)
        stored = json.loads(row["ballot_defaults"]) if row and row["ballot_defaults"] else None
        return parse_ballot_defaults(stored) if stored else None


def _unit(row: aiosqlite.Row) -> Unit:
    # Rows were validated on the way in; re-validating every unit of a cluster on each read
    # showed up in the cast-vote profile.
    return Unit.model_construct(
        id=row["id"], cluster_id=row["cluster_id"], code=row["code"], name=row["name"]
    )


class UnitRepo(_Repo):
    async def in_cluster(self, cluster_id: int) -> list[Unit]:
        rows = await self._all("SELECT * FROM units WHERE cluster_id = ? ORDER BY id", cluster_id)
        return [_unit(r) for r in rows]

    async def get(self, unit_id: int) -> Unit | None:
        row = await self._one("SELECT * FROM units WHERE id = ?", unit_id)
        return _unit(row) if row else None

    async def one(self, unit_id: int) -> Unit:
        return _present(await self.get(unit_id), "unit", unit_id)

    async def by_code(self, cluster_id: int, code: str) -> Unit | None:
        row = await self._one(
            "SELECT * FROM units WHERE cluster_id = ? AND code = ?", cluster_id, code.upper()
        )
        return _unit(row) if row else None

    async def upsert(self, cluster_id: int, code: str, name: str) -> tuple[int, bool]:
        existing = await self.by_code(cluster_id, code)
        if existing:
            await self.conn.execute("UPDATE units SET name = ? WHERE id = ?", (name, existing.id))
            return existing.id, False
        unit_id = await self._insert(
            "INSERT INTO units (cluster_id, code, name) VALUES (?, ?, ?)", cluster_id, code, name
        )
        return unit_id, True


def _period(row: aiosqlite.Row) -> Period:
    return Period(
        id=row["id"],
        cluster_id=row["cluster_id"],
        name=row["name"],
        chair_unit_id=row["chair_unit_id"],
        vice_chair_unit_id=row["vice_chair_unit_id"],
    )


class PeriodRepo(_Repo):
    async def current(self, cluster_id: int) -> Period | None:
        """The latest period of the cluster (periods are named by year, so the highest id)."""
        row = await self._one(
            "SELECT * FROM periods WHERE cluster_id = ? ORDER BY id DESC LIMIT 1", cluster_id
        )
        return _period(row) if row else None

    async def upsert(
        self, cluster_id: int, name: str, chair_unit_id: int | None, vice_chair_unit_id: int | None
    ) -> int:
        row = await self._one(
            "SELECT id FROM periods WHERE cluster_id = ? AND name = ?", cluster_id, name
        )
        if row:
            await self.conn.execute(
                "UPDATE periods SET chair_unit_id = ?, vice_chair_unit_id = ? WHERE id = ?",
                (chair_unit_id, vice_chair_unit_id, row["id"]),
            )
            return row["id"]
        return await self._insert(
            "INSERT INTO periods (cluster_id, name, chair_unit_id, vice_chair_unit_id)"
            " VALUES (?, ?, ?, ?)",
            cluster_id,
            name,
            chair_unit_id,
            vice_chair_unit_id,
        )
