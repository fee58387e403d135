"""Repositories per aggregate, and the unit of work that owns the transaction."""

from __future__ import annotations

import asyncio
import json
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import aiosqlite

from bot.domain.audit_chain import GENESIS, entry_hash
from bot.domain.deadlines import Completion, Deadline, DeadlineState
from bot.domain.models import Cluster, Invite, Member, Period, Role, Unit
from bot.domain.reminders import PlannedReminder, ReminderKind, ReminderPolicy
from bot.domain.voting import BallotDefaults, parse_ballot_defaults

from .base import _iso, _Repo, _time
from .db import Database
from .meetings import BallotRepo, MeetingRepo


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
    ) -> tuple[int, bool]:
        """(cluster id, created?)"""
        existing = await self.by_key(key)
        awards_json = json.dumps(awards, ensure_ascii=False)
        defaults_json = json.dumps(ballot_defaults or {})
        if existing:
            await self.conn.execute(
                "UPDATE clusters SET name = ?, kind = ?, awards = ?, ballot_defaults = ?"
                " WHERE id = ?",
                (name, kind, awards_json, defaults_json, existing.id),
            )
            return existing.id, False
        cluster_id = await self._insert(
            "INSERT INTO clusters (key, name, kind, timezone, awards, ballot_defaults, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            key,
            name,
            kind,
            timezone,
            awards_json,
            defaults_json,
            _iso(now),
        )
        return cluster_id, True

    async def ballot_defaults(self, cluster_id: int) -> BallotDefaults:
        row = await self._one("SELECT ballot_defaults FROM clusters WHERE id = ?", cluster_id)
        stored = json.loads(row["ballot_defaults"]) if row else {}
        return parse_ballot_defaults(stored or None) or BallotDefaults()


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
    ) -> str:
        """Append one entry, chained to the cluster's previous one; returns its hash."""
        entry = {
            "at": _iso(now),
            "cluster_id": cluster_id,
            "actor": actor,
            "action": action,
            "subject": subject,
            "detail": json.dumps(detail or {}, ensure_ascii=False, sort_keys=True),
        }
        digest = entry_hash(await self.head(cluster_id), entry)
        await self.conn.execute(
            "INSERT INTO audit_log (at, cluster_id, actor, action, subject, detail, hash)"
            " VALUES (:at, :cluster_id, :actor, :action, :subject, :detail, :hash)",
            {**entry, "hash": digest},
        )
        return digest

    async def head(self, cluster_id: int | None) -> str:
        row = await self._one(
            "SELECT hash FROM audit_log WHERE cluster_id IS ? AND hash IS NOT NULL"
            " ORDER BY id DESC LIMIT 1",
            cluster_id,
        )
        return row["hash"] if row else GENESIS

    async def entries(self, cluster_id: int | None = None) -> list[dict]:
        rows = await self._all(
            "SELECT * FROM audit_log WHERE ? IS NULL OR cluster_id = ? ORDER BY id",
            cluster_id,
            cluster_id,
        )
        return [dict(r) for r in rows]

    async def chain(self, cluster_id: int | None) -> list[dict]:
        """One cluster's entries (None: those of no cluster) in order, for checking the chain."""
        rows = await self._all(
            "SELECT * FROM audit_log WHERE cluster_id IS ? ORDER BY id", cluster_id
        )
        return [dict(r) for r in rows]


class UpdateRepo(_Repo):
    async def claim(self, channel: str, update_id: int, now: datetime) -> bool:
        """Record the update as handled; False when it already was."""
        return (
            await self._changed(
                "INSERT OR IGNORE INTO processed_updates (channel, update_id, at) VALUES (?, ?, ?)",
                channel,
                update_id,
                _iso(now),
            )
            == 1
        )

    async def last(self, channel: str) -> int | None:
        row = await self._one(
            "SELECT MAX(update_id) FROM processed_updates WHERE channel = ?", channel
        )
        return row[0] if row else None


def _deadline(row: aiosqlite.Row, unit_ids: frozenset[int]) -> Deadline:
    return Deadline(
        id=row["id"],
        cluster_id=row["cluster_id"],
        title=row["title"],
        due_at=_time(row["due_at"]),
        revision=row["revision"],
        status=DeadlineState(row["status"]),
        policy=ReminderPolicy.model_validate_json(row["policy"]) if row["policy"] else None,
        scoring_round=row["scoring_round"],
        recurrence=row["recurrence"],
        unit_ids=unit_ids,
    )


class DeadlineRepo(_Repo):
    async def get(self, deadline_id: int) -> Deadline | None:
        row = await self._one("SELECT * FROM deadlines WHERE id = ?", deadline_id)
        return _deadline(row, await self._units(deadline_id)) if row else None

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
    ) -> int:
        deadline_id = await self._insert(
            "INSERT INTO deadlines (cluster_id, title, due_at, policy, scoring_round, recurrence,"
            " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            cluster_id,
            title,
            _iso(due_at),
            policy.model_dump_json() if policy else None,
            scoring_round,
            recurrence,
            created_by,
            _iso(now),
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
                done_at=_time(r["done_at"]),
                by_member=r["by_member"],
                file_name=r["file_name"],
                confirmed_at=_time(r["confirmed_at"]),
            )
            for r in rows
        }

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

    async def of_deadline(self, deadline_id: int) -> list[tuple[StoredReminder, str]]:
        rows = await self._all(
            "SELECT * FROM reminders WHERE deadline_id = ? ORDER BY at, id", deadline_id
        )
        return [(_reminder(r), r["state"]) for r in rows]

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
            kind=ReminderKind(row["kind"]), days=row["days"], at=_time(row["at"])
        ),
    )


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    channel: str
    chat_id: str
    payload: dict
    attempts: int
    member_id: int | None
    subject: str | None


class OutboxRepo(_Repo):
    async def enqueue(
        self,
        dedupe_key: str,
        *,
        channel: str,
        chat_id: str,
        payload: dict,
        now: datetime,
        cluster_id: int | None = None,
        member_id: int | None = None,
        subject: str | None = None,
        not_before: datetime | None = None,
    ) -> bool:
        """False when a message with this dedupe key was already queued (never send twice)."""
        return (
            await self._changed(
                "INSERT OR IGNORE INTO outbox (dedupe_key, cluster_id, member_id, channel, chat_id,"
                " payload, subject, next_attempt_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                dedupe_key,
                cluster_id,
                member_id,
                channel,
                chat_id,
                json.dumps(payload, ensure_ascii=False),
                subject,
                _iso(max(now, not_before or now)),
                _iso(now),
            )
            == 1
        )

    async def ready(self, now: datetime, limit: int = 100) -> list[OutboxMessage]:
        rows = await self._all(
            "SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?"
            " ORDER BY id LIMIT ?",
            _iso(now),
            limit,
        )
        return [
            OutboxMessage(
                r["id"],
                r["channel"],
                r["chat_id"],
                json.loads(r["payload"]),
                r["attempts"],
                r["member_id"],
                r["subject"],
            )
            for r in rows
        ]

    async def next_time(self) -> datetime | None:
        row = await self._one("SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'")
        return _time(row[0]) if row and row[0] else None

    async def sent(self, message_id: int, now: datetime, ref: str | None = None) -> None:
        await self.conn.execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?, sent_ref = ?, attempts = attempts + 1"
            " WHERE id = ?",
            (_iso(now), ref, message_id),
        )

    async def sent_ref(self, dedupe_key: str) -> str | None:
        """The platform's id of a sent message (to edit it), or None while it is not sent."""
        row = await self._one(
            "SELECT sent_ref FROM outbox WHERE dedupe_key = ? AND state = 'sent'", dedupe_key
        )
        return row["sent_ref"] if row else None

    async def replace_pending(self, dedupe_key: str, payload: dict) -> bool:
        """Give a message not yet sent newer content (coalescing edits); False when none waits."""
        return (
            await self._changed(
                "UPDATE outbox SET payload = ? WHERE dedupe_key = ? AND state = 'pending'",
                json.dumps(payload, ensure_ascii=False),
                dedupe_key,
            )
            == 1
        )

    async def failed(self, message_id: int, error: str, retry_at: datetime | None) -> None:
        """Retry at `retry_at`, or give up for good when it is None."""
        await self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at ="
            " COALESCE(?, next_attempt_at), state = CASE WHEN ? IS NULL THEN 'failed'"
            " ELSE 'pending' END WHERE id = ?",
            (error[:200], _iso(retry_at), _iso(retry_at), message_id),
        )

    async def counts(self, subject: str) -> dict[str, int]:
        rows = await self._all(
            "SELECT state, COUNT(*) FROM outbox WHERE subject = ? GROUP BY state", subject
        )
        return {r[0]: r[1] for r in rows}

    async def by_subject(self, subject: str) -> list[dict]:
        rows = await self._all(
            "SELECT member_id, state, last_error FROM outbox WHERE subject = ? ORDER BY id",
            subject,
        )
        return [dict(r) for r in rows]


class FileRepo(_Repo):
    async def add(self, name: str, mime_type: str | None, data: bytes, now: datetime) -> int:
        return await self._insert(
            "INSERT INTO files (name, mime_type, data, created_at) VALUES (?, ?, ?, ?)",
            name,
            mime_type,
            data,
            _iso(now),
        )

    async def get(self, file_id: int) -> tuple[str, str | None, bytes] | None:
        row = await self._one("SELECT name, mime_type, data FROM files WHERE id = ?", file_id)
        return (row["name"], row["mime_type"], bytes(row["data"])) if row else None


class ChatMenuRepo(_Repo):
    async def get(self, channel: str, chat_id: str) -> tuple[str, list, bool] | None:
        """(message_ref, [[label, action], ...], by_label) of the chat's current menu."""
        row = await self._one(
            "SELECT message_ref, choices, by_label FROM chat_menus"
            " WHERE channel = ? AND chat_id = ?",
            channel,
            chat_id,
        )
        return (row[0], json.loads(row[1]), bool(row[2])) if row else None

    async def put(
        self, channel: str, chat_id: str, message_ref: str, choices: list, by_label: bool
    ) -> None:
        await self.conn.execute(
            "INSERT OR REPLACE INTO chat_menus (channel, chat_id, message_ref, choices, by_label)"
            " VALUES (?, ?, ?, ?, ?)",
            (channel, chat_id, message_ref, json.dumps(choices, ensure_ascii=False), by_label),
        )

    async def clear(self, channel: str, chat_id: str, message_ref: str) -> None:
        await self.conn.execute(
            "DELETE FROM chat_menus WHERE channel = ? AND chat_id = ? AND message_ref = ?",
            (channel, chat_id, message_ref),
        )


class FileLinkRepo(_Repo):
    async def share(
        self,
        token: str,
        digest: str,
        name: str,
        mime_type: str | None,
        data: bytes,
        until: datetime,
    ) -> str:
        """The link token for this content: an existing one (kept valid until `until`), or
        `token` for new content."""
        await self.conn.execute(
            "INSERT INTO file_links (token, digest, name, mime_type, data, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (digest) DO UPDATE SET expires_at = excluded.expires_at",
            (token, digest, name, mime_type, data, _iso(until)),
        )
        row = await self._one("SELECT token FROM file_links WHERE digest = ?", digest)
        return row[0]

    async def get(self, token: str, now: datetime) -> tuple[str, str | None, bytes] | None:
        row = await self._one(
            "SELECT name, mime_type, data FROM file_links WHERE token = ? AND expires_at > ?",
            token,
            _iso(now),
        )
        return (row["name"], row["mime_type"], bytes(row["data"])) if row else None

    async def purge(self, now: datetime) -> int:
        return await self._changed("DELETE FROM file_links WHERE expires_at <= ?", _iso(now))


class BroadcastRepo(_Repo):
    async def add(
        self,
        cluster_id: int,
        text: str,
        file_id: int | None,
        audience: dict,
        member_ids: list[int],
        created_by: str,
        now: datetime,
    ) -> int:
        broadcast_id = await self._insert(
            "INSERT INTO broadcasts (cluster_id, text, file_id, audience, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            cluster_id,
            text,
            file_id,
            json.dumps(audience),
            created_by,
            _iso(now),
        )
        await self.conn.executemany(
            "INSERT INTO broadcast_recipients (broadcast_id, member_id) VALUES (?, ?)",
            [(broadcast_id, m) for m in member_ids],
        )
        return broadcast_id

    async def get(self, broadcast_id: int) -> dict | None:
        row = await self._one("SELECT * FROM broadcasts WHERE id = ?", broadcast_id)
        return dict(row) if row else None

    async def recent(self, cluster_id: int, limit: int = 5) -> list[dict]:
        rows = await self._all(
            "SELECT * FROM broadcasts WHERE cluster_id = ? ORDER BY id DESC LIMIT ?",
            cluster_id,
            limit,
        )
        return [dict(r) for r in rows]

    async def acknowledge(self, broadcast_id: int, member_id: int, now: datetime) -> bool | None:
        """True newly acknowledged, False already, None when not a recipient."""
        async with self.conn.execute(
            "UPDATE broadcast_recipients SET acknowledged_at = ? WHERE broadcast_id = ?"
            " AND member_id = ? AND acknowledged_at IS NULL",
            (_iso(now), broadcast_id, member_id),
        ) as cursor:
            if cursor.rowcount == 1:
                return True
        row = await self._one(
            "SELECT 1 FROM broadcast_recipients WHERE broadcast_id = ? AND member_id = ?",
            broadcast_id,
            member_id,
        )
        return False if row else None

    async def recipients(self, broadcast_id: int) -> list[dict]:
        """Each recipient with the delivery state of their outbox message and acknowledgement."""
        rows = await self._all(
            "SELECT r.member_id, r.acknowledged_at, o.state AS delivery FROM broadcast_recipients r"
            " LEFT JOIN outbox o ON o.dedupe_key = 'broadcast:' || r.broadcast_id || ':'"
            " || r.member_id WHERE r.broadcast_id = ? ORDER BY r.member_id",
            broadcast_id,
        )
        return [dict(r) for r in rows]


@dataclass(frozen=True)
class ScoringRound:
    id: int
    cluster_id: int
    period_id: int
    key: str
    title: str
    scale_yaml: str


@dataclass(frozen=True)
class StoredScores:
    own: dict[str, Decimal]  # self scores (tự chấm)
    verified: dict[str, Decimal]  # verified scores (thẩm định), where set
    reasons: dict[str, str]
    notes: dict[str, str]  # the unit's note per item
    evidence: dict[str, str]  # the evidence file's name per item

    @property
    def final(self) -> dict[str, Decimal]:
        return {**self.own, **self.verified}


@dataclass(frozen=True)
class SheetRow:
    id: int
    round_id: int
    unit_id: int
    status: str
    submitted_at: datetime | None


class ScoringRepo(_Repo):
    async def rounds(self, cluster_id: int) -> list[ScoringRound]:
        rows = await self._all(
            "SELECT * FROM scoring_rounds WHERE cluster_id = ? ORDER BY id", cluster_id
        )
        return [_round(r) for r in rows]

    async def round_by_key(self, period_id: int, key: str) -> ScoringRound | None:
        row = await self._one(
            "SELECT * FROM scoring_rounds WHERE period_id = ? AND key = ?", period_id, key
        )
        return _round(row) if row else None

    async def save_round(
        self, cluster_id: int, period_id: int, key: str, title: str, scale_yaml: str, now: datetime
    ) -> int:
        existing = await self.round_by_key(period_id, key)
        if existing:
            await self.conn.execute(
                "UPDATE scoring_rounds SET title = ?, scale_yaml = ? WHERE id = ?",
                (title, scale_yaml, existing.id),
            )
            return existing.id
        return await self._insert(
            "INSERT INTO scoring_rounds (cluster_id, period_id, key, title, scale_yaml,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            cluster_id,
            period_id,
            key,
            title,
            scale_yaml,
            _iso(now),
        )

    async def any_submitted(self, round_id: int) -> bool:
        row = await self._one(
            "SELECT 1 FROM score_sheets WHERE round_id = ?"
            " AND status IN ('submitted', 'verified') LIMIT 1",
            round_id,
        )
        return row is not None

    async def sheet(self, round_id: int, unit_id: int, now: datetime) -> SheetRow:
        """The unit's sheet for the round, created as a draft on first use."""
        await self.conn.execute(
            "INSERT OR IGNORE INTO score_sheets (round_id, unit_id, updated_at) VALUES (?, ?, ?)",
            (round_id, unit_id, _iso(now)),
        )
        row = await self._one(
            "SELECT * FROM score_sheets WHERE round_id = ? AND unit_id = ?", round_id, unit_id
        )
        return _sheet(row)

    async def sheet_of(self, round_id: int, unit_id: int) -> SheetRow | None:
        row = await self._one(
            "SELECT * FROM score_sheets WHERE round_id = ? AND unit_id = ?", round_id, unit_id
        )
        return _sheet(row) if row else None

    async def set_verified(
        self, sheet_id: int, code: str, value: str | None, reason: str | None
    ) -> None:
        await self.conn.execute(
            "INSERT INTO sheet_scores (sheet_id, code, verified_value, verified_reason)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (sheet_id, code) DO UPDATE SET"
            " verified_value = excluded.verified_value,"
            " verified_reason = excluded.verified_reason",
            (sheet_id, code, value, reason),
        )

    async def clear_verified(self, sheet_id: int) -> None:
        await self.conn.execute(
            "UPDATE sheet_scores SET verified_value = NULL, verified_reason = NULL"
            " WHERE sheet_id = ?",
            (sheet_id,),
        )

    async def cross_scoring(self, round_id: int) -> dict[int, int]:
        """unit id -> the unit that verifies it."""
        rows = await self._all(
            "SELECT unit_id, verifier_unit_id FROM cross_scoring WHERE round_id = ?", round_id
        )
        return {r[0]: r[1] for r in rows}

    async def set_cross_scoring(self, round_id: int, pairs: dict[int, int]) -> None:
        await self.conn.execute("DELETE FROM cross_scoring WHERE round_id = ?", (round_id,))
        await self.conn.executemany(
            "INSERT INTO cross_scoring (round_id, unit_id, verifier_unit_id) VALUES (?, ?, ?)",
            [(round_id, unit, verifier) for unit, verifier in pairs.items()],
        )

    async def sheets(self, round_id: int) -> list[SheetRow]:
        rows = await self._all("SELECT * FROM score_sheets WHERE round_id = ?", round_id)
        return [_sheet(r) for r in rows]

    async def scores(self, sheet_id: int) -> StoredScores:
        rows = await self._all(
            "SELECT s.*, f.name AS evidence_name FROM sheet_scores s"
            " LEFT JOIN files f ON f.id = s.evidence_file_id WHERE s.sheet_id = ?",
            sheet_id,
        )
        return StoredScores(
            own={r["code"]: Decimal(r["self_value"]) for r in rows if r["self_value"]},
            verified={r["code"]: Decimal(r["verified_value"]) for r in rows if r["verified_value"]},
            reasons={r["code"]: r["verified_reason"] for r in rows if r["verified_reason"]},
            notes={r["code"]: r["note"] for r in rows if r["note"]},
            evidence={r["code"]: r["evidence_name"] for r in rows if r["evidence_name"]},
        )

    async def set_note(self, sheet_id: int, code: str, note: str | None) -> None:
        await self.conn.execute(
            "INSERT INTO sheet_scores (sheet_id, code, note) VALUES (?, ?, ?)"
            " ON CONFLICT (sheet_id, code) DO UPDATE SET note = excluded.note",
            (sheet_id, code, note),
        )

    async def set_evidence(self, sheet_id: int, code: str, file_id: int) -> None:
        await self.conn.execute(
            "INSERT INTO sheet_scores (sheet_id, code, evidence_file_id) VALUES (?, ?, ?)"
            " ON CONFLICT (sheet_id, code) DO UPDATE SET"
            " evidence_file_id = excluded.evidence_file_id",
            (sheet_id, code, file_id),
        )

    async def set_score(self, sheet_id: int, code: str, value: str, now: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO sheet_scores (sheet_id, code, self_value) VALUES (?, ?, ?)"
            " ON CONFLICT (sheet_id, code) DO UPDATE SET self_value = excluded.self_value",
            (sheet_id, code, value),
        )
        await self.conn.execute(
            "UPDATE score_sheets SET updated_at = ? WHERE id = ?", (_iso(now), sheet_id)
        )

    async def set_status(
        self, sheet_id: int, status: str, now: datetime, submitted: bool = False
    ) -> None:
        await self.conn.execute(
            "UPDATE score_sheets SET status = ?, updated_at = ?,"
            " submitted_at = CASE WHEN ? THEN ? ELSE submitted_at END WHERE id = ?",
            (status, _iso(now), int(submitted), _iso(now), sheet_id),
        )


def _round(row: aiosqlite.Row) -> ScoringRound:
    return ScoringRound(
        row["id"], row["cluster_id"], row["period_id"], row["key"], row["title"], row["scale_yaml"]
    )


def _sheet(row: aiosqlite.Row) -> SheetRow:
    return SheetRow(
        row["id"], row["round_id"], row["unit_id"], row["status"], _time(row["submitted_at"])
    )


# The unit of work open in the running task, which a unit of work opened inside it joins.
_open_work: ContextVar[UnitOfWork | None] = ContextVar("thidua_open_work", default=None)


class UnitOfWork:
    """One transaction over every repository: commit on success, roll back on any error.

    Opened inside another unit of work of the same task and database, it joins that transaction
    as a savepoint: its own failure undoes only its own writes, and everything commits (or rolls
    back) together at the outermost level. So a handler can make the action and the conversation
    step one transaction without the service knowing.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._outer: UnitOfWork | None = None
        self._token: Token[UnitOfWork | None] | None = None
        self._task: asyncio.Task[object] | None = None
        conn = db.conn
        self.clusters = ClusterRepo(conn)
        self.units = UnitRepo(conn)
        self.periods = PeriodRepo(conn)
        self.members = MemberRepo(conn)
        self.invites = InviteRepo(conn)
        self.conversations = ConversationRepo(conn)
        self.audit = AuditRepo(conn)
        self.updates = UpdateRepo(conn)
        self.deadlines = DeadlineRepo(conn)
        self.reminders = ReminderRepo(conn)
        self.outbox = OutboxRepo(conn)
        self.files = FileRepo(conn)
        self.chat_menus = ChatMenuRepo(conn)
        self.file_links = FileLinkRepo(conn)
        self.broadcasts = BroadcastRepo(conn)
        self.scoring = ScoringRepo(conn)
        self.meetings = MeetingRepo(conn)
        self.ballots = BallotRepo(conn)

    async def __aenter__(self) -> UnitOfWork:
        task = asyncio.current_task()
        outer = _open_work.get()
        if outer is not None and outer._db is self._db and outer._task is task:
            self._outer = outer
            await self._db.conn.execute(f"SAVEPOINT {self._savepoint}")
            return self
        await self._db.lock.acquire()
        try:
            await self._db.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._db.lock.release()
            raise
        self._task = task
        self._changes = self._db.conn.total_changes
        self._token = _open_work.set(self)
        return self

    @property
    def _savepoint(self) -> str:
        return f"work_{id(self)}"

    async def __aexit__(self, exc_type, exc, tb) -> None:
        conn = self._db.conn
        if self._outer is not None:
            if exc_type is not None:
                await conn.execute(f"ROLLBACK TO {self._savepoint}")
            await conn.execute(f"RELEASE {self._savepoint}")
            return
        assert self._token is not None
        _open_work.reset(self._token)
        try:
            await conn.execute("ROLLBACK" if exc_type else "COMMIT")
            if exc_type is None and conn.total_changes != self._changes:
                self._db.changed.set()
        finally:
            self._db.lock.release()
