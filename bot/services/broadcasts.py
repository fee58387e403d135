"""Announcements (thông báo): the secretariat writes once, the outbox delivers to each member,
each recipient acknowledges with one tap, and the secretariat sees who is missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.clock import Clock
from bot.config import Settings
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.models import Member, Role, Unit
from bot.domain.policy import Action
from bot.messages import Attachment, Lane, Reply
from storage.db import Database
from storage.uow import UnitOfWork

from .membership import Caller
from .recipients import enqueue

AUDIENCES = ("all", "reps", "units")
MAX_TEXT = 3500


class BroadcastNotices(Protocol):
    def broadcast(self, locale: str, broadcast_id: int, text: str, sender: str) -> Reply: ...


@dataclass(frozen=True)
class Recipient:
    member: Member
    unit: Unit | None
    delivery: str  # pending | sent | failed
    acknowledged_at: str | None


@dataclass(frozen=True)
class BroadcastStatus:
    id: int
    text: str
    created_at: datetime
    recipients: list[Recipient]

    def count(self, delivery: str) -> int:
        return sum(1 for r in self.recipients if r.delivery == delivery)

    @property
    def acknowledged(self) -> int:
        return sum(1 for r in self.recipients if r.acknowledged_at)

    @property
    def missing(self) -> list[Recipient]:
        return [r for r in self.recipients if not r.acknowledged_at]


class Broadcasts:
    def __init__(
        self, db: Database, clock: Clock, settings: Settings, notices: BroadcastNotices
    ) -> None:
        self.db, self.clock, self.settings, self.notices = db, clock, settings, notices

    async def store_file(self, by: Caller, attachment: Attachment) -> int:
        by.require(Action.BROADCAST)
        async with UnitOfWork(self.db) as uow:
            return await uow.files.add(
                attachment.file_name, attachment.mime_type, attachment.data, self.clock.now()
            )

    async def send(
        self,
        by: Caller,
        text: str,
        audience: str,
        unit_codes: list[str] | None = None,
        file_id: int | None = None,
    ) -> BroadcastStatus:
        by.require(Action.BROADCAST)
        text = text.strip()
        if not text or len(text) > MAX_TEXT:
            raise InvalidInput("broadcast.bad_text", limit=MAX_TEXT)
        if audience not in AUDIENCES:
            raise InvalidInput("error.stale_button")
        now = self.clock.now()
        async with UnitOfWork(self.db) as uow:
            members = await uow.members.in_cluster(by.cluster.id)
            recipients = await _audience(uow, by, members, audience, unit_codes)
            broadcast_id = await uow.broadcasts.add(
                by.cluster.id,
                text,
                file_id,
                {"kind": audience, "units": unit_codes or []},
                [m.id for m in recipients],
                by.actor,
                now,
            )
            attached = {"file_id": file_id} if file_id is not None else None
            for member in recipients:
                locale = member.locale or self.settings.default_locale
                reply = self.notices.broadcast(locale, broadcast_id, text, by.member.display_name)
                key, subject = f"broadcast:{broadcast_id}:{member.id}", f"broadcast:{broadcast_id}"
                await enqueue(uow, key, member, reply, now, subject, attached, lane=Lane.BULK)
            await uow.audit.record(
                now,
                "broadcast.sent",
                cluster_id=by.cluster.id,
                actor=by.actor,
                subject=str(broadcast_id),
                detail={"audience": audience, "recipients": len(recipients)},
            )
            return await self._status(uow, broadcast_id)

    async def acknowledge(self, by: Caller, broadcast_id: int) -> bool:
        """True when newly acknowledged, False when it already was."""
        by.require(Action.ACKNOWLEDGE)
        async with UnitOfWork(self.db) as uow:
            broadcast = await uow.broadcasts.get(broadcast_id)
            if broadcast is None or broadcast["cluster_id"] != by.cluster.id:
                raise NotFound("broadcast.unknown", id=broadcast_id)
            result = await uow.broadcasts.acknowledge(broadcast_id, by.member.id, self.clock.now())
            if result is None:
                raise InvalidInput("broadcast.not_recipient")
            return result

    async def status(self, by: Caller, broadcast_id: int) -> BroadcastStatus:
        by.require(Action.BROADCAST)
        async with UnitOfWork(self.db) as uow:
            broadcast = await uow.broadcasts.get(broadcast_id)
            if broadcast is None or broadcast["cluster_id"] != by.cluster.id:
                raise NotFound("broadcast.unknown", id=broadcast_id)
            return await self._status(uow, broadcast_id)

    async def recent(self, by: Caller) -> list[BroadcastStatus]:
        by.require(Action.BROADCAST)
        async with UnitOfWork(self.db) as uow:
            return [
                await self._status(uow, b["id"]) for b in await uow.broadcasts.recent(by.cluster.id)
            ]

    async def _status(self, uow: UnitOfWork, broadcast_id: int) -> BroadcastStatus:
        broadcast = await uow.broadcasts.get(broadcast_id)
        if broadcast is None:
            raise NotFound("broadcast.unknown", id=broadcast_id)
        recipients = []
        for row in await uow.broadcasts.recipients(broadcast_id):
            member = await uow.members.one(row["member_id"])
            unit = await uow.units.get(member.unit_id) if member.unit_id else None
            recipients.append(
                Recipient(member, unit, row["delivery"] or "pending", row["acknowledged_at"])
            )
        return BroadcastStatus(
            broadcast_id,
            broadcast["text"],
            datetime.fromisoformat(broadcast["created_at"]),
            recipients,
        )


async def _audience(
    uow: UnitOfWork, by: Caller, members: list[Member], audience: str, unit_codes: list[str] | None
) -> list[Member]:
    others = [m for m in members if m.id != by.member.id]
    if audience == "all":
        return others
    reps = [m for m in others if Role.UNIT_REP in m.roles]
    if audience == "reps":
        return reps
    units = {u.code: u.id for u in await uow.units.in_cluster(by.cluster.id)}
    wanted = [c.strip().upper() for c in unit_codes or [] if c.strip()]
    unknown = [c for c in wanted if c not in units]
    if unknown or not wanted:
        raise InvalidInput("deadline.unknown_units", codes=", ".join(unknown) or "–")
    chosen = {units[c] for c in wanted}
    return [m for m in reps if m.unit_id in chosen]
