"""Membership use cases: import a cluster, issue and revoke invites, join, list, language."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.config import LOCALES, Settings
from bot.domain.cluster_file import ClusterSpec, parse_cluster_file
from bot.domain.errors import AlreadyMember, Forbidden, InvalidInput, InviteUnusable, NotFound
from bot.domain.invites import new_code, normalize_code
from bot.domain.models import INVITABLE_ROLES, Cluster, Invite, Member, Period, Role, Unit
from bot.domain.policy import Action, require
from storage.db import Database
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Caller:
    """A member as seen by one request: who, where, and the roles in force now."""

    member: Member
    cluster: Cluster
    period: Period | None
    unit: Unit | None
    roles: frozenset[Role]

    @property
    def actor(self) -> str:
        return f"{self.member.channel}:{self.member.external_id}"

    def for_own_unit(self, action: Action) -> Unit:
        """The caller's own unit, for an action done on its behalf (score, check in, vote):
        refused when the caller represents no unit or may not do it."""
        self.require(action, unit_id=self.member.unit_id)
        if self.unit is None:
            raise Forbidden()
        return self.unit

    def require(self, action: Action, *, unit_id: int | None = None) -> None:
        require(
            self.roles,
            action,
            member_cluster_id=self.cluster.id,
            cluster_id=self.cluster.id,
            member_unit_id=self.member.unit_id,
            unit_id=unit_id,
        )


@dataclass(frozen=True)
class ImportReport:
    cluster_key: str
    cluster_name: str
    created: bool
    units_added: int
    units_updated: int


@dataclass(frozen=True)
class InviteView:
    invite: Invite
    unit: Unit | None


@dataclass(frozen=True)
class UnitRoster:
    unit: Unit
    members: list[Member]


@dataclass(frozen=True)
class Roster:
    cluster: Cluster
    period: Period | None
    units: list[UnitRoster]
    staff: list[Member]  # secretariat and observers, who represent no unit


class Membership:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        invite_code: Callable[[str | None, Role], str] = lambda unit, role: new_code(),
    ) -> None:
        self.db, self.clock, self.settings = db, clock, settings
        self._invite_code = invite_code  # (unit code, role) -> code; the demo seed fixes them

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self.db)

    async def identify(self, channel: str, external_id: str) -> Caller | None:
        async with self._uow() as uow:
            return await self._caller(uow, channel, external_id)

    async def _member_now(self, uow: UnitOfWork, channel: str, external_id: str) -> Caller:
        """The caller a person has just become (joined or added)."""
        caller = await self._caller(uow, channel, external_id)
        if caller is None:
            raise LookupError(f"member {channel}:{external_id} not found after joining")
        return caller

    async def _caller(self, uow: UnitOfWork, channel: str, external_id: str) -> Caller | None:
        found = await uow.members.identity(channel, external_id)
        if found is None:
            return None
        member, cluster, period, unit = found
        return Caller(member, cluster, period, unit, member.effective_roles(period))

    # -- clusters ---------------------------------------------------------------------------

    async def import_cluster_file(
        self, text: str, *, by: Caller | None = None
    ) -> list[ImportReport]:
        """Create or update every cluster of the file. `by` None is the operator's CLI; a member
        (the secretariat) may only update their own cluster."""
        specs = await asyncio.to_thread(parse_cluster_file, text)  # other chats go on meanwhile
        return await self.import_clusters(specs, by=by)

    async def import_clusters(
        self, specs: list[ClusterSpec], *, by: Caller | None = None
    ) -> list[ImportReport]:
        if by is not None:
            by.require(Action.IMPORT_CLUSTER)
            foreign = [s.key for s in specs if s.key != by.cluster.key]
            if foreign:
                raise InvalidInput(
                    "import.foreign_cluster", keys=", ".join(foreign), own=by.cluster.key
                )
        async with self._uow() as uow:
            reports = [await self._import_one(uow, spec, by) for spec in specs]
        return reports

    async def _import_one(
        self, uow: UnitOfWork, spec: ClusterSpec, by: Caller | None
    ) -> ImportReport:
        now = self.clock.now()
        cluster_id, created = await uow.clusters.upsert(
            spec.key,
            spec.name,
            spec.kind,
            self.settings.timezone,
            list(spec.awards),
            now,
            spec.ballot_defaults,
            spec.letterhead,
        )
        added = updated = 0
        unit_ids: dict[str, int] = {}
        for unit in spec.units:
            unit_ids[unit.code], new = await uow.units.upsert(cluster_id, unit.code, unit.name)
            added, updated = added + new, updated + (not new)
        await uow.periods.upsert(
            cluster_id,
            spec.period,
            unit_ids.get(spec.chair or ""),
            unit_ids.get(spec.vice_chair or ""),
        )
        await self._ensure_invites(uow, cluster_id)
        await uow.audit.record(
            now,
            "cluster.imported",
            cluster_id=cluster_id,
            actor=by.actor if by else "cli",
            subject=spec.key,
            detail={"units_added": added, "units_updated": updated},
        )
        return ImportReport(spec.key, spec.name, created, added, updated)

    async def clusters(self) -> list[Cluster]:
        async with self._uow() as uow:
            return await uow.clusters.all()

    # -- invites ----------------------------------------------------------------------------

    async def _ensure_invites(self, uow: UnitOfWork, cluster_id: int) -> None:
        """Give every unit a usable representative invite and the cluster a usable secretariat
        and observer invite, issuing new ones where none is usable now."""
        now = self.clock.now()
        usable = {
            (i.unit_id, i.role)
            for i in await uow.invites.in_cluster(cluster_id)
            if i.problem_at(now) is None
        }
        ttl = self.settings.invite_ttl_days
        expires = now + timedelta(days=ttl) if ttl else None
        wanted: list[tuple[Unit | None, Role]]
        wanted = [(u, Role.UNIT_REP) for u in await uow.units.in_cluster(cluster_id)]
        wanted += [(None, role) for role in INVITABLE_ROLES if role != Role.UNIT_REP]
        for unit, role in wanted:
            unit_id = unit.id if unit else None
            if (unit_id, role) in usable:
                continue
            code = self._invite_code(unit.code if unit else None, role)
            await uow.invites.add(code, cluster_id, unit_id, role, now, expires)
            await uow.audit.record(
                now,
                "invite.issued",
                cluster_id=cluster_id,
                subject=code,
                detail={"role": role.value, "unit_id": unit_id},
            )

    async def invites(
        self, cluster_key: str | None = None, *, by: Caller | None = None, renew: bool = True
    ) -> list[InviteView]:
        """Usable invites of a cluster (issuing replacements for expired or revoked ones)."""
        if by is not None:
            by.require(Action.MANAGE_INVITES)
            cluster_key = by.cluster.key
        async with self._uow() as uow:
            cluster = await uow.clusters.by_key(cluster_key or "")
            if cluster is None:
                raise NotFound("cluster.unknown", key=cluster_key or "")
            if renew:
                await self._ensure_invites(uow, cluster.id)
            now = self.clock.now()
            units = {u.id: u for u in await uow.units.in_cluster(cluster.id)}
            return [
                InviteView(i, units.get(i.unit_id) if i.unit_id is not None else None)
                for i in await uow.invites.in_cluster(cluster.id)
                if i.problem_at(now) is None
            ]

    async def revoke_invite(self, code_text: str, *, by: Caller | None = None) -> InviteView:
        code = normalize_code(code_text)
        async with self._uow() as uow:
            invite = await uow.invites.by_code(code) if code else None
            if invite is None or (by is not None and invite.cluster_id != by.cluster.id):
                raise InviteUnusable("invite.unknown", code=code_text.strip())
            if by is not None:
                by.require(Action.MANAGE_INVITES)
            if invite.revoked_at is not None:
                raise InviteUnusable("invite.revoked", code=invite.code)
            now = self.clock.now()
            await uow.invites.revoke(invite.id, now)
            await uow.audit.record(
                now,
                "invite.revoked",
                cluster_id=invite.cluster_id,
                actor=by.actor if by else "cli",
                subject=invite.code,
            )
            unit = await uow.units.get(invite.unit_id) if invite.unit_id else None
            return InviteView(invite, unit)

    # -- joining ----------------------------------------------------------------------------

    async def join(
        self, channel: str, external_id: str, display_name: str, code_text: str
    ) -> Caller:
        code = normalize_code(code_text)
        async with self._uow() as uow:
            existing = await self._caller(uow, channel, external_id)
            if existing is not None:
                raise AlreadyMember(cluster=existing.cluster.name)
            invite = await uow.invites.by_code(code) if code else None
            if invite is None:
                raise InviteUnusable("invite.unknown", code=code_text.strip()[:64])
            now = self.clock.now()
            problem = invite.problem_at(now)
            if problem:
                raise InviteUnusable(problem, code=invite.code)
            await uow.members.add(
                invite.cluster_id,
                channel,
                external_id,
                _clean_name(display_name),
                invite.unit_id,
                frozenset({invite.role}),
                None,
                now,
            )
            await uow.invites.count_use(invite.id)
            await uow.audit.record(
                now,
                "member.joined",
                cluster_id=invite.cluster_id,
                actor=f"{channel}:{external_id}",
                subject=invite.code,
                detail={"role": invite.role.value, "unit_id": invite.unit_id},
            )
            return await self._member_now(uow, channel, external_id)

    async def add_member(
        self,
        cluster_key: str,
        channel: str,
        external_id: str,
        display_name: str,
        role: Role,
        unit_code: str | None = None,
    ) -> Caller:
        """Operator path (CLI, demo seed): add a member without an invite."""
        async with self._uow() as uow:
            cluster = await uow.clusters.by_key(cluster_key)
            if cluster is None:
                raise NotFound("cluster.unknown", key=cluster_key)
            unit = await uow.units.by_code(cluster.id, unit_code) if unit_code else None
            if unit_code and unit is None:
                raise NotFound("unit.unknown", code=unit_code)
            if await uow.members.by_identity(channel, external_id) is None:
                now = self.clock.now()
                await uow.members.add(
                    cluster.id,
                    channel,
                    external_id,
                    display_name,
                    unit.id if unit else None,
                    frozenset({role}),
                    None,
                    now,
                )
                await uow.audit.record(
                    now,
                    "member.added",
                    cluster_id=cluster.id,
                    actor="cli",
                    subject=f"{channel}:{external_id}",
                    detail={"role": role.value},
                )
            return await self._member_now(uow, channel, external_id)

    async def roster(self, by: Caller) -> Roster:
        by.require(Action.VIEW_MEMBERS)
        async with self._uow() as uow:
            members = await uow.members.in_cluster(by.cluster.id)
            units = await uow.units.in_cluster(by.cluster.id)
        return Roster(
            cluster=by.cluster,
            period=by.period,
            units=[UnitRoster(u, [m for m in members if m.unit_id == u.id]) for u in units],
            staff=[m for m in members if m.unit_id is None],
        )

    async def set_locale(self, by: Caller, locale: str) -> None:
        by.require(Action.SET_LANGUAGE)
        if locale not in LOCALES:
            raise InvalidInput("lang.unknown", locale=locale[:10], known=", ".join(LOCALES))
        async with self._uow() as uow:
            await uow.members.set_locale(by.member.id, locale)
            await uow.audit.record(
                self.clock.now(),
                "member.locale",
                cluster_id=by.cluster.id,
                actor=by.actor,
                detail={"locale": locale},
            )


def _clean_name(name: str) -> str:
    name = " ".join(name.split())[:64]
    return name or "?"
