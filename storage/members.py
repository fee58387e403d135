"""Members (people, each on one channel, with roles) and the invite codes they join by."""

from __future__ import annotations

import json
from datetime import datetime

import aiosqlite

from bot.domain.models import Cluster, Invite, Member, Period, Role, Unit

from .base import _at, _iso, _present, _Repo, _time


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
    async def identity(
        self, channel: str, external_id: str
    ) -> tuple[Member, Cluster, Period | None, Unit | None] | None:
        """The member with their cluster, its current period and their unit, in one query:
        every update starts here."""
        row = await self._one(
            "SELECT m.*, c.key AS c_key, c.name AS c_name, c.kind AS c_kind,"
            " c.timezone AS c_timezone, p.id AS p_id, p.name AS p_name,"
            " p.chair_unit_id AS p_chair, p.vice_chair_unit_id AS p_vice,"
            " u.code AS u_code, u.name AS u_name"
            " FROM members m JOIN clusters c ON c.id = m.cluster_id"
            " LEFT JOIN periods p ON p.id = (SELECT MAX(id) FROM periods WHERE cluster_id = c.id)"
            " LEFT JOIN units u ON u.id = m.unit_id"
            " WHERE m.channel = ? AND m.external_id = ?",
            channel,
            external_id,
        )
        if row is None:
            return None
        cluster = Cluster(
            id=row["cluster_id"],
            key=row["c_key"],
            name=row["c_name"],
            kind=row["c_kind"],
            timezone=row["c_timezone"],
        )
        period = (
            Period(
                id=row["p_id"],
                cluster_id=cluster.id,
                name=row["p_name"],
                chair_unit_id=row["p_chair"],
                vice_chair_unit_id=row["p_vice"],
            )
            if row["p_id"] is not None
            else None
        )
        unit = (
            Unit.model_construct(
                id=row["unit_id"], cluster_id=cluster.id, code=row["u_code"], name=row["u_name"]
            )
            if row["unit_id"] is not None
            else None
        )
        return _member(row), cluster, period, unit

    async def by_identity(self, channel: str, external_id: str) -> Member | None:
        row = await self._one(
            "SELECT * FROM members WHERE channel = ? AND external_id = ?", channel, external_id
        )
        return _member(row) if row else None

    async def get(self, member_id: int) -> Member | None:
        row = await self._one("SELECT * FROM members WHERE id = ?", member_id)
        return _member(row) if row else None

    async def one(self, member_id: int) -> Member:
        return _present(await self.get(member_id), "member", member_id)

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


def _invite(row: aiosqlite.Row) -> Invite:
    return Invite(
        id=row["id"],
        code=row["code"],
        cluster_id=row["cluster_id"],
        unit_id=row["unit_id"],
        role=Role(row["role"]),
        created_at=_at(row["created_at"]),
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
