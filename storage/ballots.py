"""Ballots of the review meeting: drafts and rules, the voter register and the ballot box.

The register (who voted), the papers (what was voted) and the receipts share no column but the
ballot id. Papers of a secret ballot are sealed while it is open (bot/services/sealing.py) and
kept under random keys in WITHOUT ROWID tables: no unit, no time, no insertion order.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from decimal import Decimal

import aiosqlite

from bot.domain.voting import (
    Ballot,
    BallotKind,
    BallotStatus,
    Denominator,
    Rules,
    TiePolicy,
)

from .base import _iso, _present, _Repo, _time


class BallotRepo(_Repo):
    async def add(
        self,
        cluster_id: int,
        meeting_id: int,
        award: str,
        rules: Rules,
        tie_policy: TiePolicy,
        candidates: list[int],
        actor: str,
        now: datetime,
        runoff_of: int | None = None,
    ) -> int:
        row = await self._first(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM ballots WHERE meeting_id = ?", meeting_id
        )
        ballot_id = await self._insert(
            "INSERT INTO ballots (cluster_id, meeting_id, number, award, kind, quota, threshold,"
            " denominator, secret, tie_policy, runoff_of, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            cluster_id,
            meeting_id,
            row[0],
            award,
            rules.kind.value,
            rules.quota,
            str(rules.threshold),
            rules.denominator.value,
            int(rules.secret),
            tie_policy.value,
            runoff_of,
            actor,
            _iso(now),
        )
        await self.set_candidates(ballot_id, candidates)
        return ballot_id

    async def set_candidates(self, ballot_id: int, unit_ids: list[int]) -> None:
        await self.conn.execute("DELETE FROM ballot_candidates WHERE ballot_id = ?", (ballot_id,))
        await self.conn.executemany(
            "INSERT INTO ballot_candidates (ballot_id, position, unit_id) VALUES (?, ?, ?)",
            [(ballot_id, position, unit) for position, unit in enumerate(unit_ids)],
        )

    async def set_rules(
        self, ballot_id: int, rules: Rules, tie_policy: TiePolicy, close_after: int | None
    ) -> None:
        await self.conn.execute(
            "UPDATE ballots SET kind = ?, quota = ?, threshold = ?, denominator = ?, secret = ?,"
            " tie_policy = ?, close_after = ? WHERE id = ? AND status = 'draft'",
            (
                rules.kind.value,
                rules.quota,
                str(rules.threshold),
                rules.denominator.value,
                int(rules.secret),
                tie_policy.value,
                close_after,
                ballot_id,
            ),
        )

    async def get(self, ballot_id: int) -> Ballot | None:
        row = await self._one(f"SELECT {_WITH_CANDIDATES} FROM ballots b WHERE b.id = ?", ballot_id)
        return _ballot(row) if row else None

    async def one(self, ballot_id: int) -> Ballot:
        return _present(await self.get(ballot_id), "ballot", ballot_id)

    async def of_meeting(self, meeting_id: int) -> list[Ballot]:
        rows = await self._all(
            f"SELECT {_WITH_CANDIDATES} FROM ballots b WHERE meeting_id = ? ORDER BY number",
            meeting_id,
        )
        return [_ballot(r) for r in rows]

    async def closed(self, cluster_id: int, limit: int = 20) -> list[Ballot]:
        rows = await self._all(
            f"SELECT {_WITH_CANDIDATES} FROM ballots b WHERE cluster_id = ? AND status = 'closed'"
            " ORDER BY closed_at DESC, id DESC LIMIT ?",
            cluster_id,
            limit,
        )
        return [_ballot(r) for r in rows]

    async def runoff_of(self, ballot_id: int) -> Ballot | None:
        row = await self._one(
            f"SELECT {_WITH_CANDIDATES} FROM ballots b WHERE runoff_of = ?"
            " ORDER BY id DESC LIMIT 1",
            ballot_id,
        )
        return _ballot(row) if row else None

    async def open(
        self,
        ballot_id: int,
        members: int,
        voters: list[int],
        now: datetime,
        closes_at: datetime | None,
    ) -> bool:
        """Open a draft and write its voter register; False when it was not a draft."""
        async with self.conn.execute(
            "UPDATE ballots SET status = 'open', members = ?, present = ?, opened_at = ?,"
            " closes_at = ? WHERE id = ? AND status = 'draft'",
            (members, len(voters), _iso(now), _iso(closes_at), ballot_id),
        ) as cursor:
            if cursor.rowcount != 1:
                return False
        await self.conn.executemany(
            "INSERT INTO voter_register (ballot_id, unit_id) VALUES (?, ?)",
            [(ballot_id, unit) for unit in voters],
        )
        return True

    async def close(self, ballot_id: int, result: dict, now: datetime) -> bool:
        return (
            await self._changed(
                "UPDATE ballots SET status = 'closed', closed_at = ?, result = ?"
                " WHERE id = ? AND status = 'open'",
                _iso(now),
                json.dumps(result),
                ballot_id,
            )
            == 1
        )

    async def result_record(self, ballot_id: int) -> dict | None:
        """The count as recorded when the ballot closed."""
        row = await self._one("SELECT result FROM ballots WHERE id = ?", ballot_id)
        return json.loads(row["result"]) if row and row["result"] else None

    async def set_chain_head(self, ballot_id: int, head: str) -> None:
        await self.conn.execute("UPDATE ballots SET chain_head = ? WHERE id = ?", (head, ballot_id))

    async def decide(self, ballot_id: int, unit_ids: list[int]) -> bool:
        return (
            await self._changed(
                "UPDATE ballots SET decision = ? WHERE id = ? AND status = 'closed'"
                " AND decision IS NULL",
                json.dumps(unit_ids),
                ballot_id,
            )
            == 1
        )

    async def delete_draft(self, ballot_id: int) -> bool:
        async with self.conn.execute(
            "SELECT 1 FROM ballots WHERE id = ? AND status = 'draft'", (ballot_id,)
        ) as cursor:
            if await cursor.fetchone() is None:
                return False
        await self.conn.execute("DELETE FROM ballot_candidates WHERE ballot_id = ?", (ballot_id,))
        await self.conn.execute("DELETE FROM ballots WHERE id = ?", (ballot_id,))
        return True

    async def due_to_close(self, now: datetime) -> list[Ballot]:
        rows = await self._all(
            f"SELECT {_WITH_CANDIDATES} FROM ballots b WHERE status = 'open'"
            " AND closes_at IS NOT NULL AND closes_at <= ? ORDER BY closes_at",
            _iso(now),
        )
        return [_ballot(r) for r in rows]

    async def next_close_time(self) -> datetime | None:
        row = await self._one("SELECT MIN(closes_at) FROM ballots WHERE status = 'open'")
        return _time(row[0]) if row and row[0] else None

    # -- the voter register and the ballot box -----------------------------------------------

    async def register(self, ballot_id: int) -> dict[int, bool]:
        """unit id -> has voted, for the units allowed to vote."""
        rows = await self._all(
            "SELECT unit_id, voted FROM voter_register WHERE ballot_id = ?", ballot_id
        )
        return {r[0]: bool(r[1]) for r in rows}

    async def has_voted(self, ballot_id: int, unit_id: int | None) -> bool | None:
        """The unit's register entry: None when it may not vote on this ballot."""
        row = await self._one(
            "SELECT voted FROM voter_register WHERE ballot_id = ? AND unit_id = ?",
            ballot_id,
            unit_id,
        )
        return bool(row[0]) if row else None

    async def mark_voted(self, ballot_id: int, unit_id: int) -> bool:
        """Take the unit's one ballot; False when it is not on the register or already voted."""
        return (
            await self._changed(
                "UPDATE voter_register SET voted = 1"
                " WHERE ballot_id = ? AND unit_id = ? AND voted = 0",
                ballot_id,
                unit_id,
            )
            == 1
        )

    async def set_seal(self, ballot_id: int, public: bytes, private_sealed: bytes) -> None:
        await self.conn.execute(
            "UPDATE ballots SET seal_public = ?, seal_private = ? WHERE id = ?",
            (public, private_sealed, ballot_id),
        )

    async def seal(self, ballot_id: int) -> tuple[bytes, bytes] | None:
        """(public key, private key sealed under the server secret) of a secret ballot."""
        row = await self._one(
            "SELECT seal_public, seal_private FROM ballots WHERE id = ?", ballot_id
        )
        if row is None or row[0] is None:
            return None
        return bytes(row[0]), bytes(row[1])

    async def open_sealed(self) -> int:
        """How many open ballots have papers sealed to a key of their own."""
        row = await self._first(
            "SELECT COUNT(*) FROM ballots WHERE status = 'open' AND seal_private IS NOT NULL"
        )
        return int(row[0])

    async def add_receipt(self, ballot_id: int, receipt: str) -> bool:
        """False when the receipt is already taken (draw another)."""
        return (
            await self._changed(
                "INSERT OR IGNORE INTO ballot_receipts (ballot_id, receipt) VALUES (?, ?)",
                ballot_id,
                receipt,
            )
            == 1
        )

    async def drop_sealed(self, ballot_id: int, paper: bytes) -> None:
        """A sealed paper into the box, under a random key."""
        await self.conn.execute(
            "INSERT INTO sealed_papers (ballot_id, id, paper) VALUES (?, ?, ?)",
            (ballot_id, secrets.token_bytes(16), paper),
        )

    async def drop_open(self, ballot_id: int, choices: list[int]) -> None:
        """A paper of an open (non-secret) ballot, readable at once, under a random key."""
        await self.conn.execute(
            "INSERT INTO ballot_papers (ballot_id, position, choices) VALUES (?, ?, ?)",
            (ballot_id, -secrets.randbits(62) - 1, json.dumps(sorted(choices))),
        )

    async def sealed(self, ballot_id: int) -> list[bytes]:
        rows = await self._all("SELECT paper FROM sealed_papers WHERE ballot_id = ?", ballot_id)
        return [bytes(r[0]) for r in rows]

    async def papers(self, ballot_id: int) -> list[str]:
        """The readable papers (JSON lists of positions), in their stored order."""
        rows = await self._all(
            "SELECT choices FROM ballot_papers WHERE ballot_id = ? ORDER BY position", ballot_id
        )
        return [r[0] for r in rows]

    async def receipts(self, ballot_id: int) -> list[str]:
        rows = await self._all(
            "SELECT receipt FROM ballot_receipts WHERE ballot_id = ? ORDER BY receipt", ballot_id
        )
        return [r[0] for r in rows]

    async def store_counted(self, ballot_id: int, papers: list[str]) -> None:
        """At close: the papers, already shuffled, replace the box (sealed and open alike) and
        the key. With secure_delete on, the old cells are zeroed, so neither the rows nor the
        file's byte layout keep the order papers were cast in."""
        for table in ("sealed_papers", "ballot_papers"):
            await self.conn.execute(f"DELETE FROM {table} WHERE ballot_id = ?", (ballot_id,))
        await self.conn.executemany(
            "INSERT INTO ballot_papers (ballot_id, position, choices) VALUES (?, ?, ?)",
            [(ballot_id, position, paper) for position, paper in enumerate(papers, start=1)],
        )
        await self.conn.execute("UPDATE ballots SET seal_private = NULL WHERE id = ?", (ballot_id,))

    # -- live views --------------------------------------------------------------------------

    async def watch(self, ballot_id: int, member_id: int, view_key: str) -> None:
        await self.conn.execute(
            "INSERT INTO ballot_watchers (ballot_id, member_id, view_key) VALUES (?, ?, ?)"
            " ON CONFLICT (ballot_id, member_id) DO UPDATE SET view_key = excluded.view_key,"
            " edits = 0",
            (ballot_id, member_id, view_key),
        )

    async def watchers(self, ballot_id: int) -> list[tuple[int, str, int]]:
        """(member id, outbox key of the live view, edits queued so far)."""
        rows = await self._all(
            "SELECT member_id, view_key, edits FROM ballot_watchers WHERE ballot_id = ?", ballot_id
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def count_edit(self, ballot_id: int, member_id: int) -> None:
        await self.conn.execute(
            "UPDATE ballot_watchers SET edits = edits + 1 WHERE ballot_id = ? AND member_id = ?",
            (ballot_id, member_id),
        )

    # -- the cluster's group chats -----------------------------------------------------------

    async def set_group_chat(self, cluster_id: int, channel: str, chat_id: str) -> None:
        await self.conn.execute(
            "INSERT INTO cluster_chats (cluster_id, channel, chat_id) VALUES (?, ?, ?)"
            " ON CONFLICT (cluster_id, channel) DO UPDATE SET chat_id = excluded.chat_id",
            (cluster_id, channel, chat_id),
        )

    async def group_chats(self, cluster_id: int) -> list[tuple[str, str]]:
        rows = await self._all(
            "SELECT channel, chat_id FROM cluster_chats WHERE cluster_id = ?", cluster_id
        )
        return [(r[0], r[1]) for r in rows]


# A ballot row with its candidates' unit ids in ballot order, in one query.
_WITH_CANDIDATES = (
    "b.*, (SELECT group_concat(pair) FROM (SELECT position || ':' || unit_id AS pair"
    " FROM ballot_candidates WHERE ballot_id = b.id) AS c) AS candidate_ids"
)


def _ballot(row: aiosqlite.Row) -> Ballot:
    decision = json.loads(row["decision"]) if row["decision"] else None
    return Ballot(
        id=row["id"],
        cluster_id=row["cluster_id"],
        meeting_id=row["meeting_id"],
        number=row["number"],
        award=row["award"],
        rules=Rules(
            BallotKind(row["kind"]),
            quota=row["quota"],
            threshold=Decimal(row["threshold"]),
            denominator=Denominator(row["denominator"]),
            secret=bool(row["secret"]),
        ),
        tie_policy=TiePolicy(row["tie_policy"]),
        close_after=row["close_after"],
        runoff_of=row["runoff_of"],
        status=BallotStatus(row["status"]),
        candidates=tuple(unit for _, unit in sorted(_pairs(row["candidate_ids"]))),
        members=row["members"],
        present=row["present"],
        opened_at=_time(row["opened_at"]),
        closes_at=_time(row["closes_at"]),
        closed_at=_time(row["closed_at"]),
        decision=tuple(decision) if decision is not None else None,
        chain_head=row["chain_head"],
        seal=bytes(row["seal_public"]) if row["seal_private"] is not None else None,
    )


def _pairs(text: str | None) -> list[tuple[int, int]]:
    """"position:unit,…" as (position, unit) pairs."""
    return [
        (int(position), int(unit))
        for position, unit in (pair.split(":") for pair in (text or "").split(",") if pair)
    ]
