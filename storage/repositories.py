"""Repositories per aggregate, and the unit of work that owns the transaction."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.models import Cluster, Invite, Member, Period, Role, Unit

from .db import Database


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


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

    async def all(self) -> list[Cluster]:
        return [_cluster(r) for r in await self._all("SELECT * FROM clusters ORDER BY id")]

    async def upsert(
        self, key: str, name: str, kind: str, timezone: str, awards: list[str], now: datetime
    ) -> tuple[int, bool]:
        """(cluster id, created?)"""
        existing = await self.by_key(key)
        if existing:
            await self.conn.execute(
                "UPDATE clusters SET name = ?, kind = ?, awards = ? WHERE id = ?",
                (name, kind, json.dumps(awards, ensure_ascii=False), existing.id),
            )
            return existing.id, False
        cluster_id = await self._insert(
            "INSERT INTO clusters (key, name, kind, timezone, awards, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            key,
            name,
            kind,
            timezone,
            json.dumps(awards, ensure_ascii=False),
            _iso(now),
        )
        return cluster_id, True


def _unit(row: aiosqlite.Row) -> Unit:
    return Unit(id=row["id"], cluster_id=row["cluster_id"], code=row["code"], name=row["name"])


class UnitRepo(_Repo):
    async def in_cluster(self, cluster_id: int) -> list[Unit]:
        rows = await self._all("SELECT * FROM units WHERE cluster_id = ? ORDER BY id", cluster_id)
        return [_unit(r) for r in rows]

    async def get(self, unit_id: int) -> Unit | None:
        row = await self._one("SELECT * FROM units WHERE id = ?", unit_id)
        return _unit(row) if row else None

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


def _member(row: aiosqlite.Row) -> Member:
    return Member(
        id=row["id"],
        cluster_id=row["cluster_id"],
        channel=row["channel"],
        external_id=row["external_id"],
        display_name=row["display_name"],
        unit_id=row["unit_id"],
        roles=frozenset(Role(r) for r in json.loads(row["roles"])),
        locale=row["locale"],
    )


class MemberRepo(_Repo):
    async def by_identity(self, channel: str, external_id: str) -> Member | None:
        row = await self._one(
            "SELECT * FROM members WHERE channel = ? AND external_id = ?", channel, external_id
        )
        return _member(row) if row else None

    async def in_cluster(self, cluster_id: int) -> list[Member]:
        rows = await self._all(
            "SELECT * FROM members WHERE cluster_id = ? ORDER BY joined_at, id", cluster_id
        )
        return [_member(r) for r in rows]

    async def of_unit(self, unit_id: int) -> list[Member]:
        rows = await self._all("SELECT * FROM members WHERE unit_id = ? ORDER BY id", unit_id)
        return [_member(r) for r in rows]

    async def add(
        self,
        cluster_id: int,
        channel: str,
        external_id: str,
        display_name: str,
        unit_id: int | None,
        roles: frozenset[Role],
        locale: str | None,
        now: datetime,
    ) -> int:
        return await self._insert(
            "INSERT INTO members (cluster_id, channel, external_id, display_name, unit_id, roles,"
            " locale, joined_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            cluster_id,
            channel,
            external_id,
            display_name,
            unit_id,
            json.dumps(sorted(r.value for r in roles)),
            locale,
            _iso(now),
        )

    async def set_locale(self, member_id: int, locale: str) -> None:
        await self.conn.execute("UPDATE members SET locale = ? WHERE id = ?", (locale, member_id))

    async def set_display_name(self, member_id: int, name: str) -> None:
        await self.conn.execute(
            "UPDATE members SET display_name = ? WHERE id = ?", (name, member_id)
        )


def _invite(row: aiosqlite.Row) -> Invite:
    return Invite(
        id=row["id"],
        code=row["code"],
        cluster_id=row["cluster_id"],
        unit_id=row["unit_id"],
        role=Role(row["role"]),
        created_at=_time(row["created_at"]),
        expires_at=_time(row["expires_at"]),
        revoked_at=_time(row["revoked_at"]),
        uses=row["uses"],
    )


class InviteRepo(_Repo):
    async def by_code(self, code: str) -> Invite | None:
        row = await self._one("SELECT * FROM invites WHERE code = ?", code)
        return _invite(row) if row else None

    async def in_cluster(self, cluster_id: int) -> list[Invite]:
        rows = await self._all(
            "SELECT i.* FROM invites i LEFT JOIN units u ON u.id = i.unit_id"
            " WHERE i.cluster_id = ? ORDER BY u.id IS NOT NULL, u.id, i.role, i.id",
            cluster_id,
        )
        return [_invite(r) for r in rows]

    async def add(
        self,
        code: str,
        cluster_id: int,
        unit_id: int | None,
        role: Role,
        now: datetime,
        expires_at: datetime | None,
    ) -> int:
        return await self._insert(
            "INSERT INTO invites (code, cluster_id, unit_id, role, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            code,
            cluster_id,
            unit_id,
            role.value,
            _iso(now),
            _iso(expires_at),
        )

    async def revoke(self, invite_id: int, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (_iso(now), invite_id),
        )

    async def count_use(self, invite_id: int) -> None:
        await self.conn.execute("UPDATE invites SET uses = uses + 1 WHERE id = ?", (invite_id,))


class ConversationRepo(_Repo):
    async def get(self, channel: str, external_id: str) -> tuple[str, str, dict] | None:
        row = await self._one(
            "SELECT flow, step, data FROM conversations WHERE channel = ? AND external_id = ?",
            channel,
            external_id,
        )
        return (row["flow"], row["step"], json.loads(row["data"])) if row else None

    async def put(
        self, channel: str, external_id: str, flow: str, step: str, data: dict, now: datetime
    ) -> None:
        await self.conn.execute(
            "INSERT INTO conversations (channel, external_id, flow, step, data, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, external_id) DO UPDATE SET"
            " flow = excluded.flow, step = excluded.step, data = excluded.data,"
            " updated_at = excluded.updated_at",
            (channel, external_id, flow, step, json.dumps(data, ensure_ascii=False), _iso(now)),
        )

    async def clear(self, channel: str, external_id: str) -> None:
        await self.conn.execute(
            "DELETE FROM conversations WHERE channel = ? AND external_id = ?",
            (channel, external_id),
        )


class AuditRepo(_Repo):
    async def record(
        self,
        now: datetime,
        action: str,
        *,
        cluster_id: int | None = None,
        actor: str | None = None,
        subject: str | None = None,
        detail: dict | None = None,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO audit_log (at, cluster_id, actor, action, subject, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                _iso(now),
                cluster_id,
                actor,
                action,
                subject,
                json.dumps(detail or {}, ensure_ascii=False),
            ),
        )

    async def entries(self, cluster_id: int | None = None) -> list[dict]:
        rows = await self._all(
            "SELECT * FROM audit_log WHERE ? IS NULL OR cluster_id = ? ORDER BY id",
            cluster_id,
            cluster_id,
        )
        return [dict(r) for r in rows]


class UpdateRepo(_Repo):
    async def claim(self, channel: str, update_id: int, now: datetime) -> bool:
        """Record the update as handled; False when it already was."""
        async with self.conn.execute(
            "INSERT OR IGNORE INTO processed_updates (channel, update_id, at) VALUES (?, ?, ?)",
            (channel, update_id, _iso(now)),
        ) as cursor:
            return cursor.rowcount == 1

    async def last(self, channel: str) -> int | None:
        row = await self._one(
            "SELECT MAX(update_id) FROM processed_updates WHERE channel = ?", channel
        )
        return row[0] if row else None


class UnitOfWork:
    """One transaction over every repository: commit on success, roll back on any error."""

    def __init__(self, db: Database) -> None:
        self._db = db
        conn = db.conn
        self.clusters = ClusterRepo(conn)
        self.units = UnitRepo(conn)
        self.periods = PeriodRepo(conn)
        self.members = MemberRepo(conn)
        self.invites = InviteRepo(conn)
        self.conversations = ConversationRepo(conn)
        self.audit = AuditRepo(conn)
        self.updates = UpdateRepo(conn)

    async def __aenter__(self) -> UnitOfWork:
        await self._db.lock.acquire()
        try:
            await self._db.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._db.lock.release()
            raise
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        try:
            await self._db.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self._db.lock.release()
