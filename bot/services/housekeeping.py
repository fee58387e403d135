"""What a year of running would otherwise pile up: the log of handled updates (only the last
days matter, for redelivery) and the content of messages long delivered (their rows stay for
the status screens). The engine runs this at most once an hour. The audit log is archived by
hand, per period, into a file that proves its own chain (`python -m bot audit-archive`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import Clock
from bot.config import Settings
from bot.domain.audit_chain import check_chain
from bot.domain.errors import InvalidInput, NotFound
from storage.db import Database
from storage.uow import UnitOfWork

EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Pruned:
    updates: int
    payloads: int


@dataclass(frozen=True)
class Archived:
    entries: int
    head: str
    file: Path


class Housekeeping:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db, self.clock, self.settings = db, clock, settings
        self._last: datetime | None = None

    async def prune(self, *, force: bool = False) -> Pruned | None:
        """Forget old updates and the content of old messages; None when run within the hour."""
        now = self.clock.now()
        if not force and self._last is not None and now - self._last < EVERY:
            return None
        self._last = now
        async with UnitOfWork(self.db) as uow:
            updates = await uow.updates.prune(now - timedelta(days=self.settings.update_log_days))
            days = self.settings.outbox_retention_days
            payloads = await uow.outbox.forget_finished(now - timedelta(days=days))
        return Pruned(updates, payloads)

    async def archive_audit(self, cluster_key: str, before: datetime, out: Path) -> Archived:
        """Write the cluster's audit entries older than `before` to `out` (one JSON object a
        line, the chain checkable on its own), then replace them by a checkpoint entry."""
        if out.exists():
            raise InvalidInput("audit.archive_exists", file=str(out))
        async with UnitOfWork(self.db) as uow:
            cluster = await uow.clusters.by_key(cluster_key)
            if cluster is None:
                raise NotFound("cluster.unknown", key=cluster_key)
            chain = await uow.audit.chain(cluster.id)
            cutoff = before.astimezone(UTC).isoformat()
            segment = [e for e in chain if e["at"] < cutoff and e["hash"]]
            if not segment or not check_chain(chain).intact:
                raise InvalidInput("audit.nothing_to_archive" if not segment else "audit.broken")
            text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in segment)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
            digest = hashlib.sha256(text.encode()).hexdigest()
            removed = await uow.audit.archive(
                cluster.id, segment[-1]["id"], self.clock.now(), digest
            )
        return Archived(removed, segment[-1]["hash"], out)


def verify_archive(path: Path) -> tuple[int, str, str]:
    """(entries, head hash, file sha256) of an archive file; ValueError when its chain breaks."""
    text = path.read_text(encoding="utf-8")
    entries = [json.loads(line) for line in text.splitlines() if line.strip()]
    check = check_chain(entries)
    if not check.intact:
        raise ValueError(f"the chain breaks at entry {check.broken_at}")
    return check.entries, check.head, hashlib.sha256(text.encode()).hexdigest()
