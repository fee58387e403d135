"""Scoring rounds, each unit's score sheet, its item scores, notes, evidence and verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import aiosqlite

from bot.domain.scoring import SheetStatus

from .base import _iso, _present, _Repo, _time


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
    status: SheetStatus
    submitted_at: datetime | None
    edits_since_return: int = 0


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
    ) -> ScoringRound:
        """Create the round, or give an existing one (no sheet submitted yet) a new scale."""
        existing = await self.round_by_key(period_id, key)
        if existing:
            await self.conn.execute(
                "UPDATE scoring_rounds SET title = ?, scale_yaml = ? WHERE id = ?",
                (title, scale_yaml, existing.id),
            )
        else:
            await self._insert(
                "INSERT INTO scoring_rounds (cluster_id, period_id, key, title, scale_yaml,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                cluster_id,
                period_id,
                key,
                title,
                scale_yaml,
                _iso(now),
            )
        return _present(await self.round_by_key(period_id, key), "round", key)

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
        row = await self._first(
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
        await self._edited(sheet_id)

    async def set_evidence(self, sheet_id: int, code: str, file_id: int) -> None:
        await self.conn.execute(
            "INSERT INTO sheet_scores (sheet_id, code, evidence_file_id) VALUES (?, ?, ?)"
            " ON CONFLICT (sheet_id, code) DO UPDATE SET"
            " evidence_file_id = excluded.evidence_file_id",
            (sheet_id, code, file_id),
        )
        await self._edited(sheet_id)

    async def set_score(self, sheet_id: int, code: str, value: str, now: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO sheet_scores (sheet_id, code, self_value) VALUES (?, ?, ?)"
            " ON CONFLICT (sheet_id, code) DO UPDATE SET self_value = excluded.self_value",
            (sheet_id, code, value),
        )
        await self.conn.execute(
            "UPDATE score_sheets SET updated_at = ? WHERE id = ?", (_iso(now), sheet_id)
        )
        await self._edited(sheet_id)

    async def _edited(self, sheet_id: int) -> None:
        await self.conn.execute(
            "UPDATE score_sheets SET edits_since_return = edits_since_return + 1 WHERE id = ?",
            (sheet_id,),
        )

    async def set_status(
        self, sheet_id: int, status: SheetStatus, now: datetime, submitted: bool = False
    ) -> None:
        await self.conn.execute(
            "UPDATE score_sheets SET status = ?, updated_at = ?,"
            " submitted_at = CASE WHEN ? = 1 THEN ? ELSE submitted_at END,"
            " edits_since_return = CASE WHEN ? = 1 THEN 0 ELSE edits_since_return END WHERE id = ?",
            (
                status,
                _iso(now),
                int(submitted),
                _iso(now),
                int(status == SheetStatus.RETURNED),
                sheet_id,
            ),
        )


def _round(row: aiosqlite.Row) -> ScoringRound:
    return ScoringRound(
        row["id"], row["cluster_id"], row["period_id"], row["key"], row["title"], row["scale_yaml"]
    )


def _sheet(row: aiosqlite.Row) -> SheetRow:
    return SheetRow(
        row["id"],
        row["round_id"],
        row["unit_id"],
        SheetStatus(row["status"]),
        _time(row["submitted_at"]),
        row["edits_since_return"],
    )


# The unit of work open in the running task, which a unit of work opened inside it joins.
