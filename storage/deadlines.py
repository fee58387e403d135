"""Deadlines, each unit's completion, and the reminders planned for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.domain.deadlines import Completion, Deadline, DeadlineKind, DeadlineState
from bot.domain.reminders import PlannedReminder, ReminderKind, ReminderPolicy

from .base import _at, _iso, _present, _Repo, _time


def _deadline(row: aiosqlite.Row, unit_ids: frozenset[int]) -> Deadline:
    return Deadline(
        id=row["id"],
        cluster_id=row["cluster_id"],
        title=row["title"],
        due_at=_at(row["due_at"]),
        revision=row["revision"],
        status=DeadlineState(row["status"]),
        policy=ReminderPolicy.model_validate_json(row["policy"]) if row["policy"] else None,
        scoring_round=row["scoring_round"],
        recurrence=row["recurrence"],
        unit_ids=unit_ids,
        kind=DeadlineKind(row["kind"]),
        description=row["description"],
        how=row["how"],
        template_file_id=row["template_file_id"],
    )


class DeadlineRepo(_Repo):
    async def get(self, deadline_id: int) -> Deadline | None:
        row = await self._one("SELECT * FROM deadlines WHERE id = ?", deadline_id)
        return _deadline(row, await self._units(deadline_id)) if row else None

    async def one(self, deadline_id: int) -> Deadline:
        return _present(await self.get(deadline_id), "deadline", deadline_id)

    async def in_cluster(self, cluster_id: int, *, open_only: bool = True) -> list[Deadline]:
        rows = await self._all(
            "SELECT * FROM deadlines WHERE cluster_id = ? AND (? = 0 OR status = 'open')"
            " ORDER BY due_at, id",
            cluster_id,
            int(open_only),
        )
        return [_deadline(r, await self._units(r["id"])) for r in rows]

    async def _units(self, deadline_id: int) -> frozenset[int]:
        rows = await self._all(
            "SELECT unit_id FROM deadline_units WHERE deadline_id = ?", deadline_id
        )
        return frozenset(r[0] for r in rows)

    async def add(
        self,
        cluster_id: int,
        title: str,
        due_at: datetime,
        unit_ids: frozenset[int],
        policy: ReminderPolicy | None,
        scoring_round: str | None,
        recurrence: str | None,
        created_by: str,
        now: datetime,
        *,
        kind: DeadlineKind = DeadlineKind.REPORT,
        description: str | None = None,
        how: str | None = None,
        template_file_id: int | None = None,
    ) -> int:
        deadline_id = await self._insert(
            "INSERT INTO deadlines (cluster_id, title, due_at, policy, scoring_round, recurrence,"
            " created_by, created_at, kind, description, how, template_file_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            cluster_id,
            title,
            _iso(due_at),
            policy.model_dump_json() if policy else None,
            scoring_round,
            recurrence,
            created_by,
            _iso(now),
            kind.value,
            description,
            how,
            template_file_id,
        )
        await self.conn.executemany(
            "INSERT INTO deadline_units (deadline_id, unit_id) VALUES (?, ?)",
            [(deadline_id, u) for u in sorted(unit_ids)],
        )
        return deadline_id

    async def change(
        self,
        deadline_id: int,
        *,
        title: str,
        due_at: datetime,
        status: DeadlineState,
        bump_revision: bool,
    ) -> None:
        await self.conn.execute(
            "UPDATE deadlines SET title = ?, due_at = ?, status = ?, revision = revision + ?"
            " WHERE id = ?",
            (title, _iso(due_at), status.value, int(bump_revision), deadline_id),
        )

    async def describe(
        self,
        deadline_id: int,
        *,
        description: str | None,
        how: str | None,
        template_file_id: int | None,
    ) -> None:
        await self.conn.execute(
            "UPDATE deadlines SET description = ?, how = ?, template_file_id = ? WHERE id = ?",
            (description, how, template_file_id, deadline_id),
        )

    async def completions(self, deadline_id: int) -> dict[int, Completion]:
        rows = await self._all(
            "SELECT deadline_id, unit_id, done_at, by_member, file_name, confirmed_at"
            " FROM deadline_completions WHERE deadline_id = ?",
            deadline_id,
        )
        return {
            r["unit_id"]: Completion(
                deadline_id=r["deadline_id"],
                unit_id=r["unit_id"],
                done_at=_at(r["done_at"]),
                by_member=r["by_member"],
                file_name=r["file_name"],
                confirmed_at=_time(r["confirmed_at"]),
            )
            for r in rows
        }

    async def uncomplete(self, deadline_id: int, unit_id: int, since: datetime) -> bool:
        """Take back a unit's report marked at or after `since`; False when there is none."""
        return (
            await self._changed(
                "DELETE FROM deadline_completions"
                " WHERE deadline_id = ? AND unit_id = ? AND done_at >= ?",
                deadline_id,
                unit_id,
                _iso(since),
            )
            == 1
        )

    async def complete(
        self, deadline_id: int, unit_id: int, member_id: int | None, now: datetime
    ) -> bool:
        """False when the unit was already done."""
        return (
            await self._changed(
                "INSERT OR IGNORE INTO deadline_completions"
                " (deadline_id, unit_id, done_at, by_member) VALUES (?, ?, ?, ?)",
                deadline_id,
                unit_id,
                _iso(now),
                member_id,
            )
            == 1
        )

    async def attach_report(
        self, deadline_id: int, unit_id: int, file_name: str, data: bytes
    ) -> None:
        await self.conn.execute(
            "UPDATE deadline_completions SET file_name = ?, file_data = ?"
            " WHERE deadline_id = ? AND unit_id = ?",
            (file_name, data, deadline_id, unit_id),
        )

    async def confirm(self, deadline_id: int, unit_id: int, now: datetime) -> bool:
        return (
            await self._changed(
                "UPDATE deadline_completions SET confirmed_at = ?"
                " WHERE deadline_id = ? AND unit_id = ? AND confirmed_at IS NULL",
                _iso(now),
                deadline_id,
                unit_id,
            )
            == 1
        )

    async def reopen(self, deadline_id: int, unit_id: int) -> bool:
        return (
            await self._changed(
                "DELETE FROM deadline_completions WHERE deadline_id = ? AND unit_id = ?",
                deadline_id,
                unit_id,
            )
            == 1
        )

    async def successor_exists(self, deadline: Deadline, due_at: datetime) -> bool:
        row = await self._one(
            "SELECT 1 FROM deadlines WHERE cluster_id = ? AND title = ? AND due_at = ?",
            deadline.cluster_id,
            deadline.title,
            _iso(due_at),
        )
        return row is not None

    async def open_for_round(self, cluster_id: int, scoring_round: str) -> list[Deadline]:
        rows = await self._all(
            "SELECT * FROM deadlines WHERE cluster_id = ? AND scoring_round = ?"
            " AND status = 'open'",
            cluster_id,
            scoring_round,
        )
        return [_deadline(r, await self._units(r["id"])) for r in rows]

    async def recurring_due(self, now: datetime) -> list[Deadline]:
        rows = await self._all(
            "SELECT * FROM deadlines WHERE status = 'open' AND recurrence IS NOT NULL"
            " AND due_at <= ?",
            _iso(now),
        )
        return [_deadline(r, await self._units(r["id"])) for r in rows]


@dataclass(frozen=True)
class StoredReminder:
    id: int
    deadline_id: int
    revision: int
    planned: PlannedReminder


class ReminderRepo(_Repo):
    async def plan(
        self, deadline_id: int, revision: int, reminders: list[PlannedReminder], now: datetime
    ) -> None:
        """Cancel what is still planned for older revisions, then plan these."""
        await self.conn.execute(
            "UPDATE reminders SET state = 'cancelled', handled_at = ?"
            " WHERE deadline_id = ? AND state = 'planned'",
            (_iso(now), deadline_id),
        )
        await self.conn.executemany(
            "INSERT OR IGNORE INTO reminders (deadline_id, revision, kind, days, at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(deadline_id, revision, r.kind.value, r.days, _iso(r.at)) for r in reminders],
        )

    async def cancel_planned(self, deadline_id: int, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE reminders SET state = 'cancelled', handled_at = ?"
            " WHERE deadline_id = ? AND state = 'planned'",
            (_iso(now), deadline_id),
        )

    async def due(self, now: datetime) -> list[StoredReminder]:
        rows = await self._all(
            "SELECT * FROM reminders WHERE state = 'planned' AND at <= ? ORDER BY at, id",
            _iso(now),
        )
        return [_reminder(r) for r in rows]

    async def next_time(self) -> datetime | None:
        row = await self._one("SELECT MIN(at) FROM reminders WHERE state = 'planned'")
        return _time(row[0]) if row and row[0] else None

    async def mark(self, reminder_id: int, state: str, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE reminders SET state = ?, handled_at = ? WHERE id = ? AND state = 'planned'",
            (state, _iso(now), reminder_id),
        )


def _reminder(row: aiosqlite.Row) -> StoredReminder:
    return StoredReminder(
        id=row["id"],
        deadline_id=row["deadline_id"],
        revision=row["revision"],
        planned=PlannedReminder(
            kind=ReminderKind(row["kind"]), days=row["days"], at=_at(row["at"])
        ),
    )
