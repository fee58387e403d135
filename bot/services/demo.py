"""The demo cluster of DESIGN §4: the 13 Mekong delta health departments, one representative per
unit whose handle is the unit code in lower case (the console folds case, so `@agg` and `@AGG`
are the same person), plus @secretariat and @observer. Invite codes are fixed (DEMO-<UNIT>,
DEMO-SECRETARIAT, DEMO-OBSERVER) and never expire, so scripted scenarios can use them. The period
is the current year; `seed_example_year` adds the example scale and calendar so a newcomer can
try every role at once."""

from __future__ import annotations

from importlib import resources

from bot.domain.cluster_file import parse_cluster_file
from bot.domain.errors import NotFound
from bot.domain.models import Role

from .deadlines import Deadlines
from .membership import Membership
from .scoring import Scoring

DEMO_CLUSTER = "mekong-health-2024"


def demo_invite_code(unit_code: str | None, role: Role) -> str:
    return f"DEMO-{unit_code or role.value.upper()}"


def bundled_text(name: str) -> str:
    return resources.files("bot.data").joinpath(name).read_text(encoding="utf-8")


def bundled_clusters_text() -> str:
    return bundled_text("clusters.yaml")


def demo_handle(unit_code: str) -> str:
    return unit_code.lower()


async def seed_demo(
    membership: Membership, channel: str = "console", *, with_members: bool = True
) -> None:
    """Idempotent: seeding an already seeded database changes nothing. Without members only the
    cluster and its fixed invite codes are created (people then join by invite)."""
    settings = membership.settings.model_copy(update={"invite_ttl_days": 0})
    seeder = Membership(membership.db, membership.clock, settings, invite_code=demo_invite_code)
    if DEMO_CLUSTER in {c.key for c in await seeder.clusters()}:
        return
    spec = next(s for s in parse_cluster_file(bundled_clusters_text()) if s.key == DEMO_CLUSTER)
    this_year = str(membership.clock.now().astimezone().year)
    spec = spec.model_copy(update={"period": this_year})  # the demo happens this year
    await seeder.import_clusters([spec])
    if not with_members:
        return
    for unit in spec.units:
        await seeder.add_member(
            DEMO_CLUSTER, channel, demo_handle(unit.code), unit.code, Role.UNIT_REP, unit.code
        )
    await seeder.add_member(DEMO_CLUSTER, channel, "secretariat", "Thư ký cụm", Role.SECRETARIAT)
    await seeder.add_member(
        DEMO_CLUSTER, channel, "observer", "Ban Thi đua – Khen thưởng", Role.OBSERVER
    )


async def seed_example_year(
    membership: Membership, scoring: Scoring, deadlines: Deadlines, channel: str = "console"
) -> None:
    """The example scale and the calendar's deadlines still ahead, as the demo secretariat set
    them; nobody is notified (the newcomer reads /deadlines). Idempotent."""
    secretariat = await membership.identify(channel, "secretariat")
    if secretariat is None:
        return
    try:
        await scoring.current(secretariat)
        return  # already seeded
    except NotFound:  # no round yet
        pass
    year = secretariat.period.name if secretariat.period else ""
    title = f"Thang điểm thi đua năm {year}".strip()
    await scoring.import_scale(secretariat, bundled_text("scale-example.yaml"), title=title)
    await deadlines.import_calendar(secretariat, bundled_text("calendar-example.yaml"), quiet=True)
