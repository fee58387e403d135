"""Who receives a notification, and queueing it in the outbox (one row per person, unique key)."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.domain.models import Member, Role
from bot.messages import Lane, Reply, reply_to_dict
from storage.uow import UnitOfWork


async def representatives(uow: UnitOfWork, unit_id: int) -> list[Member]:
    return [m for m in await uow.members.of_unit(unit_id) if Role.UNIT_REP in m.roles]


async def members_with(uow: UnitOfWork, cluster_id: int, role: Role) -> list[Member]:
    return [m for m in await uow.members.in_cluster(cluster_id) if role in m.roles]


async def enqueue(
    uow: UnitOfWork,
    key: str,
    member: Member,
    reply: Reply,
    now: datetime,
    subject: str,
    extra: dict | None = None,
    not_before: datetime | None = None,
    lane: Lane = Lane.NOTICE,
) -> int:
    """`extra`: delivery fields beside the reply (`file_id`, `photo_file_id`, `edit_of`);
    `not_before`: hold the message until then; `lane`: what goes first."""
    queued = await uow.outbox.enqueue(
        key,
        channel=member.channel,
        chat_id=member.external_id,
        payload={**reply_to_dict(reply), "locale": member.locale, **(extra or {})},
        now=now,
        cluster_id=member.cluster_id,
        member_id=member.id,
        subject=subject,
        not_before=not_before,
        lane=lane,
    )
    return int(queued)


def locale_of(settings: Settings, member: Member) -> str:
    """The language a notice to `member` is written in."""
    return member.locale or settings.default_locale
