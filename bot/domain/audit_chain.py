"""The audit log's hash chain: each entry's hash covers the previous hash and its own content, so
changing, removing or reordering any entry breaks every hash after it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

GENESIS = "0" * 64


def entry_hash(previous: str, entry: dict) -> str:
    """`entry`: at, cluster_id, actor, action, subject and detail (a JSON text) of one row."""
    content = json.dumps(
        [
            entry["at"],
            entry["cluster_id"],
            entry["actor"],
            entry["action"],
            entry["subject"],
            entry["detail"],
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{previous}|{content}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    head: str
    broken_at: int | None  # id of the first entry whose hash does not match

    @property
    def intact(self) -> bool:
        return self.broken_at is None


CHECKPOINT = "audit_log.checkpoint"


def check_chain(entries: Iterable[dict]) -> ChainCheck:
    """Recompute one cluster's chain in id order. Entries written before the chain existed (no
    hash) may only come first; they are skipped. A chain whose older part was archived starts
    from the head its (first) checkpoint recorded: the entries left before that checkpoint were
    chained to the last archived one."""
    entries = list(entries)
    checkpoint = next((e for e in entries if e.get("action") == CHECKPOINT), None)
    previous = json.loads(checkpoint["detail"])["head"] if checkpoint else GENESIS
    count, started = 0, False
    for entry in entries:
        if entry.get("hash") is None:
            if started:
                return ChainCheck(count, previous, entry["id"])
            continue
        started = True
        count += 1
        expected = entry_hash(previous, entry)
        if expected != entry["hash"]:
            return ChainCheck(count, previous, entry["id"])
        previous = expected
    return ChainCheck(count, previous, None)


def papers_digest(receipts: Iterable[str], papers: Iterable[str]) -> str:
    """A digest of a counted ballot: its receipts and its papers, each set apart and in no
    stored order (no receipt is ever paired with a paper)."""
    text = "\n".join(sorted(receipts)) + "\n--\n" + "\n".join(sorted(papers))
    return hashlib.sha256(text.encode()).hexdigest()
