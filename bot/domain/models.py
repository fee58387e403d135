"""Clusters, periods, units, members and invites (cụm, năm thi đua, đơn vị, thành viên, mã mời)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Role(StrEnum):
    SECRETARIAT = "secretariat"  # thư ký / thường trực cụm
    CHAIR = "chair"  # cụm trưởng
    VICE_CHAIR = "vice_chair"  # cụm phó
    UNIT_REP = "unit_rep"  # đại diện đơn vị
    OBSERVER = "observer"  # quan sát viên (e.g. the provincial emulation board)


# Roles an invite can grant. Chair and vice chair are not granted: they follow from the period's
# chair and vice-chair units, so a new year's rotation needs no role edits.
INVITABLE_ROLES = (Role.UNIT_REP, Role.SECRETARIAT, Role.OBSERVER)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Cluster(_Frozen):
    id: int
    key: str
    name: str
    kind: str
    timezone: str


class Unit(_Frozen):
    id: int
    cluster_id: int
    code: str
    name: str


class Period(_Frozen):
    id: int
    cluster_id: int
    name: str
    chair_unit_id: int | None = None
    vice_chair_unit_id: int | None = None


class Member(_Frozen):
    id: int
    cluster_id: int
    channel: str
    external_id: str
    display_name: str
    unit_id: int | None
    roles: frozenset[Role]
    locale: str | None = None

    def effective_roles(self, period: Period | None) -> frozenset[Role]:
        """Granted roles plus chair / vice chair when the member represents that period's unit."""
        roles = set(self.roles)
        if period is not None and self.unit_id is not None and Role.UNIT_REP in roles:
            if self.unit_id == period.chair_unit_id:
                roles.add(Role.CHAIR)
            if self.unit_id == period.vice_chair_unit_id:
                roles.add(Role.VICE_CHAIR)
        return frozenset(roles)


class Invite(_Frozen):
    id: int
    code: str
    cluster_id: int
    unit_id: int | None
    role: Role
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    uses: int = 0

    def problem_at(self, now: datetime) -> str | None:
        """The i18n key saying why this invite cannot be used now, or None if it can."""
        if self.revoked_at is not None:
            return "invite.revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "invite.expired"
        return None
