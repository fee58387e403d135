"""The outbox: every outgoing message a row with a dedupe key, sent once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from .base import _iso, _Repo, _time


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    channel: str
    chat_id: str
    payload: dict
    attempts: int
    member_id: int | None
    subject: str | None
    lane: int = 1


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
        lane: int = 1,
    ) -> bool:
        """False when a message with this dedupe key was already queued (never send twice).
        `lane`: bot.messages.Lane, lower goes first."""
        return (
            await self._changed(
                "INSERT OR IGNORE INTO outbox (dedupe_key, cluster_id, member_id, channel, chat_id,"
                " payload, subject, next_attempt_at, created_at, lane)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                dedupe_key,
                cluster_id,
                member_id,
                channel,
                chat_id,
                json.dumps(payload, ensure_ascii=False),
                subject,
                _iso(max(now, not_before or now)),
                _iso(now),
                lane,
            )
            == 1
        )

    async def drop_pending(self) -> int:
        """Forget every message not yet sent (a benchmark's queue between two runs)."""
        return await self._changed("DELETE FROM outbox WHERE state = 'pending'")

    async def ready(
        self, now: datetime, limit: int = 100, *, holder: str = "", lease: timedelta | None = None
    ) -> list[OutboxMessage]:
        """The messages due now, the first lane first, in order of queueing within a lane.

        With a `lease` (PostgreSQL, several processes) they are claimed for `holder` until
        `now + lease`: no other process takes them meanwhile, while the holder's own next reads
        see them again (renewing the lease once half of it has passed); a killed holder's
        messages come free when their lease ends.
        SQLite needs no claim: only one process opens the file.
        """
        if lease is None or self.dialect == "sqlite":
            rows = await self._all(
                "SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?"
                " ORDER BY lane, id LIMIT ?",
                _iso(now),
                limit,
            )
        else:
            # The holder's own claims are renewed only once half their lease has passed: a
            # read after every send then writes (and waits for the disk) only now and then.
            rows = await self._all(
                "WITH due AS (SELECT id, claimed_by, lease_until FROM outbox"
                " WHERE state = 'pending' AND next_attempt_at <= ?"
                " AND (claimed_by IS NULL OR claimed_by = ? OR lease_until < ?)"
                " ORDER BY lane, id LIMIT ? FOR UPDATE SKIP LOCKED),"
                " claimed AS (UPDATE outbox o SET claimed_by = ?, lease_until = ? FROM due"
                " WHERE o.id = due.id AND (due.claimed_by IS DISTINCT FROM ?"
                " OR due.lease_until < ?) RETURNING o.id)"
                " SELECT o.* FROM outbox o JOIN due ON due.id = o.id ORDER BY o.lane, o.id",
                _iso(now),
                holder,
                _iso(now),
                limit,
                holder,
                _iso(now + lease),
                holder,
                _iso(now + lease / 2),
            )
            # (A claim is bookkeeping, not news: a statement that starts with WITH wakes no
            # engine; storage/postgres.py counts changes by the statement's first word.)
        return [
            OutboxMessage(
                r["id"],
                r["channel"],
                r["chat_id"],
                json.loads(r["payload"]),
                r["attempts"],
                r["member_id"],
                r["subject"],
                r["lane"],
            )
            for r in rows
        ]

    async def next_time(self) -> datetime | None:
        """When the next message is due; one claimed by a process comes free when its lease
        ends (PostgreSQL: the process was killed before sending it)."""
        row = await self._one(
            "SELECT MIN(CASE WHEN lease_until > next_attempt_at THEN lease_until"
            " ELSE next_attempt_at END) FROM outbox WHERE state = 'pending'"
        )
        return _time(row[0]) if row and row[0] else None

    async def sent(
        self, message_id: int, now: datetime, ref: str | None = None, *, forget: bool = False
    ) -> None:
        """Delivered. `forget`: its content is erased (a receipt; secure_delete zeroes it)."""
        await self.conn.execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?, sent_ref = ?, attempts = attempts + 1,"
            " payload = CASE WHEN ? THEN '{}' ELSE payload END WHERE id = ?",
            (_iso(now), ref, forget, message_id),
        )

    async def sent_ref(self, dedupe_key: str) -> str | None:
        """The platform's id of a sent message (to edit it), or None while it is not sent."""
        row = await self._one(
            "SELECT sent_ref FROM outbox WHERE dedupe_key = ? AND state = 'sent'", dedupe_key
        )
        return row["sent_ref"] if row else None

    async def replace_pending(
        self, dedupe_key: str, payload: dict, send_at: datetime | None = None
    ) -> bool:
        """Give a message not yet sent newer content (coalescing edits), and bring it forward
        to `send_at` if given; False when none waits."""
        return (
            await self._changed(
                "UPDATE outbox SET payload = ?,"
                " next_attempt_at = CASE WHEN ? < next_attempt_at THEN ? ELSE next_attempt_at END"
                " WHERE dedupe_key = ? AND state = 'pending'",
                json.dumps(payload, ensure_ascii=False),
                _iso(send_at),
                _iso(send_at),
                dedupe_key,
            )
            == 1
        )

    async def sent_at(self, dedupe_key: str) -> datetime | None:
        row = await self._one(
            "SELECT sent_at FROM outbox WHERE dedupe_key = ? AND state = 'sent'", dedupe_key
        )
        return _time(row["sent_at"]) if row else None

    async def forget_finished(self, before: datetime) -> int:
        """Drop the content of messages sent or given up before `before`; their rows stay, so
        delivery and acknowledgement counts still add up."""
        return await self._changed(
            "UPDATE outbox SET payload = '{}' WHERE state IN ('sent', 'failed')"
            " AND COALESCE(sent_at, created_at) < ? AND payload != '{}'",
            _iso(before),
        )

    async def backlog(self, now: datetime) -> tuple[int, datetime | None]:
        """(messages due and not yet sent, when the oldest of them was queued)."""
        row = await self._first(
            "SELECT COUNT(*), MIN(created_at) FROM outbox"
            " WHERE state = 'pending' AND next_attempt_at <= ?",
            _iso(now),
        )
        return int(row[0]), _time(row[1])

    async def failed(
        self, message_id: int, error: str, retry_at: datetime | None, *, forget: bool = False
    ) -> None:
        """Retry at `retry_at`, or give up for good when it is None (`forget`: and erase it)."""
        await self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at ="
            " COALESCE(?, next_attempt_at), claimed_by = NULL, lease_until = NULL,"
            " state = CASE WHEN ? = 1 THEN 'failed'"
            " ELSE 'pending' END, payload = CASE WHEN ? THEN '{}' ELSE payload END WHERE id = ?",
            (error[:200], _iso(retry_at), int(retry_at is None), forget, message_id),
        )
