"""The audit log: append-only, each entry hash-chained to the previous one of its cluster."""

from __future__ import annotations

import json
from datetime import datetime

from bot.domain.audit_chain import GENESIS, entry_hash

from .base import _iso, _Repo

AUDIT_CHAIN_LOCK = 0x7464  # advisory lock class of the audit chains (PostgreSQL)


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
        if self.dialect == "postgresql":
            # Another process may be appending to the same chain: one at a time per cluster,
            # until the transaction ends, or both would chain to the same head.
            await self.conn.execute(
                "SELECT pg_advisory_xact_lock(?, ?)", (AUDIT_CHAIN_LOCK, cluster_id or 0)
            )
        digest = entry_hash(await self.head(cluster_id), entry)
        await self.conn.execute(
            "INSERT INTO audit_log (at, cluster_id, actor, action, subject, detail, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*entry.values(), digest),
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
            "SELECT * FROM audit_log WHERE CAST(? AS INTEGER) IS NULL OR cluster_id = ?"
            " ORDER BY id",
            cluster_id,
            cluster_id,
        )
        return [dict(r) for r in rows]

    async def archive(self, cluster_id: int, last_id: int, now: datetime, file_digest: str) -> int:
        """Close the segment up to entry `last_id` with a checkpoint (chained like any entry,
        holding the segment's head), then delete the segment; returns how many were removed."""
        segment = [e for e in await self.chain(cluster_id) if e["id"] <= last_id]
        if not segment:
            return 0
        await self.record(
            now,
            "audit_log.checkpoint",
            cluster_id=cluster_id,
            actor="archive",
            detail={
                "archived": len(segment),
                "first_id": segment[0]["id"],
                "last_id": segment[-1]["id"],
                "head": segment[-1]["hash"],
                "file_sha256": file_digest,
            },
        )
        return await self._changed(
            "DELETE FROM audit_log WHERE cluster_id IS ? AND id <= ?", cluster_id, last_id
        )

    async def chain(self, cluster_id: int | None) -> list[dict]:
        """One cluster's entries (None: those of no cluster) in order, for checking the chain."""
        rows = await self._all(
            "SELECT * FROM audit_log WHERE cluster_id IS ? ORDER BY id", cluster_id
        )
        return [dict(r) for r in rows]
