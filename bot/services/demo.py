"""The demo cluster of DESIGN §4: the 13 Mekong delta health departments, one representative per
unit whose handle is the unit code, plus @secretariat and @observer. Invite codes are fixed
(DEMO-<UNIT>, DEMO-SECRETARIAT, DEMO-OBSERVER) so scripted scenarios can use them."""

from __future__ import annotations

from importlib import resources

from bot.domain.cluster_file import parse_cluster_file
from bot.domain.models import Role

from .membership import Membership

DEMO_CLUSTER = "mekong-health-2024"


def demo_invite_code(unit_code: str | None, role: Role) -> str:
    return f"DEMO-{unit_code or role.value.upper()}"


def bundled_clusters_text() -> str:
    return resources.files("bot.data").joinpath("clusters.yaml").read_text(encoding="utf-8")


async def seed_demo(
    membership: Membership, channel: str = "console", *, with_members: bool = True
) -> None:
    """Idempotent: seeding an already seeded database changes nothing. Without members only the
    cluster and its fixed invite codes are created (people then join by invite)."""
    seeder = Membership(
        membership.db, membership.clock, membership.settings, invite_code=demo_invite_code
    )
    if DEMO_CLUSTER in {c.key for c in await seeder.clusters()}:
        return
    spec = next(s for s in parse_cluster_file(bundled_clusters_text()) if s.key == DEMO_CLUSTER)
    await seeder.import_clusters([spec])
    if not with_members:
        return
    for unit in spec.units:
        await seeder.add_member(
            DEMO_CLUSTER, channel, unit.code, unit.code, Role.UNIT_REP, unit.code
        )
    await seeder.add_member(DEMO_CLUSTER, channel, "secretariat", "Thư ký cụm", Role.SECRETARIAT)
    await seeder.add_member(
        DEMO_CLUSTER, channel, "observer", "Ban Thi đua – Khen thưởng", Role.OBSERVER
    )
