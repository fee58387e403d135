"""Numbers of official documents: one per document, kept when it is made again."""

from __future__ import annotations

from .base import _Repo


class DocumentNumberRepo(_Repo):
    async def number(self, cluster_id: int, year: int, symbol: str, subject: str) -> int:
        """The document's number: the one it was given, or the next of the year for its kind."""
        row = await self._one(
            "SELECT number FROM document_numbers"
            " WHERE cluster_id = ? AND symbol = ? AND subject = ?",
            cluster_id,
            symbol,
            subject,
        )
        if row is not None:
            return int(row[0])
        last = await self._one(
            "SELECT MAX(number) FROM document_numbers"
            " WHERE cluster_id = ? AND year = ? AND symbol = ?",
            cluster_id,
            year,
            symbol,
        )
        number = int(last[0] or 0) + 1 if last is not None else 1
        await self.conn.execute(
            "INSERT INTO document_numbers (cluster_id, year, symbol, subject, number)"
            " VALUES (?, ?, ?, ?, ?)",
            (cluster_id, year, symbol, subject, number),
        )
        return number
