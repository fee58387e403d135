"""Review meetings and their attendance."""

from __future__ import annotations

import json
from datetime import datetime

import aiosqlite

from bot.domain.documents import MeetingPeople
from bot.domain.voting import (
    Meeting,
)

from .base import _at, _iso, _present, _Repo, _time


def _meeting(row: aiosqlite.Row) -> Meeting:
    return Meeting(
        row["id"], row["cluster_id"], row["title"], _at(row["opened_at"]), _time(row["closed_at"])
    )


class MeetingRepo(_Repo):
    async def open(self, cluster_id: int, title: str, actor: str, now: datetime) -> int:
        return await self._insert(
            "INSERT INTO meetings (cluster_id, title, opened_by, opened_at) VALUES (?, ?, ?, ?)",
            cluster_id,
            title,
            actor,
            _iso(now),
        )

    async def current(self, cluster_id: int) -> Meeting | None:
        row = await self._one(
            "SELECT * FROM meetings WHERE cluster_id = ? AND closed_at IS NULL"
            " ORDER BY id DESC LIMIT 1",
            cluster_id,
        )
        return _meeting(row) if row else None

    async def get(self, meeting_id: int) -> Meeting | None:
        row = await self._one("SELECT * FROM meetings WHERE id = ?", meeting_id)
        return _meeting(row) if row else None

    async def one(self, meeting_id: int) -> Meeting:
        return _present(await self.get(meeting_id), "meeting", meeting_id)

    async def people(self, meeting_id: int) -> MeetingPeople:
        row = await self._one(
            "SELECT place, chair_name, chair_position, secretary_name, counters FROM meetings"
            " WHERE id = ?",
            meeting_id,
        )
        if row is None:
            return MeetingPeople()
        return MeetingPeople(
            place=row["place"],
            chair_name=row["chair_name"],
            chair_position=row["chair_position"],
            secretary_name=row["secretary_name"],
            counters=tuple(json.loads(row["counters"])) if row["counters"] else (),
        )

    async def set_people(self, meeting_id: int, people: MeetingPeople) -> None:
        await self.conn.execute(
            "UPDATE meetings SET place = ?, chair_name = ?, chair_position = ?,"
            " secretary_name = ?, counters = ? WHERE id = ?",
            (
                people.place,
                people.chair_name,
                people.chair_position,
                people.secretary_name,
                json.dumps(list(people.counters), ensure_ascii=False),
                meeting_id,
            ),
        )

    async def last(self, cluster_id: int) -> Meeting | None:
        """The cluster's latest meeting, open or closed."""
        row = await self._one(
            "SELECT * FROM meetings WHERE cluster_id = ? ORDER BY id DESC LIMIT 1", cluster_id
        )
        return _meeting(row) if row else None

    async def close(self, meeting_id: int, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE meetings SET closed_at = ? WHERE id = ? AND closed_at IS NULL",
            (_iso(now), meeting_id),
        )

    async def check_in(self, meeting_id: int, unit_id: int, now: datetime) -> bool:
        """False when the unit had already checked in."""
        return (
            await self._changed(
                "INSERT OR IGNORE INTO attendance (meeting_id, unit_id, checked_in_at)"
                " VALUES (?, ?, ?)",
                meeting_id,
                unit_id,
                _iso(now),
            )
            == 1
        )

    async def present(self, meeting_id: int) -> list[int]:
        rows = await self._all(
            "SELECT unit_id FROM attendance WHERE meeting_id = ? ORDER BY checked_in_at, unit_id",
            meeting_id,
        )
        return [r[0] for r in rows]
