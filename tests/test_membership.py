"""Membership use cases against a real SQLite file."""

from datetime import timedelta

import pytest

from bot.domain.errors import AlreadyMember, Forbidden, InvalidInput, InviteUnusable
from bot.domain.models import Role
from bot.services.demo import DEMO_CLUSTER, seed_demo
from bot.services.membership import Membership
from storage.db import Database
from storage.uow import UnitOfWork

from .conftest import DOMAIN_CLUSTERS


async def _import(membership):
    return await membership.import_cluster_file(DOMAIN_CLUSTERS.read_text(encoding="utf-8"))


async def _rep_code(membership, unit_code, cluster=DEMO_CLUSTER):
    views = await membership.invites(cluster)
    return next(v.invite.code for v in views if v.unit and v.unit.code == unit_code)


async def test_import_creates_clusters_units_periods_and_one_invite_per_unit_and_role(membership):
    reports = await _import(membership)
    assert [(r.cluster_key, r.units_added) for r in reports][:2] == [
        (DEMO_CLUSTER, 13),
        ("hanoi-block-9-2024", 5),
    ]
    views = await membership.invites(DEMO_CLUSTER)
    roles = sorted(v.invite.role for v in views)
    assert roles.count(Role.UNIT_REP) == 13
    assert roles.count(Role.SECRETARIAT) == roles.count(Role.OBSERVER) == 1


async def test_reimport_updates_names_and_keeps_invites(membership):
    await _import(membership)
    before = {v.invite.code for v in await membership.invites(DEMO_CLUSTER)}
    text = DOMAIN_CLUSTERS.read_text(encoding="utf-8").replace("Sở Y tế An Giang", "SYT An Giang")
    reports = await membership.import_cluster_file(text)
    assert (reports[0].units_added, reports[0].units_updated) == (0, 13)
    assert {v.invite.code for v in await membership.invites(DEMO_CLUSTER)} == before


async def test_join_by_invite_makes_a_representative_of_that_unit(membership):
    await _import(membership)
    code = await _rep_code(membership, "AGG")
    caller = await membership.join("telegram", "101", "  Nguyễn   Văn A ", code.lower())
    assert caller.unit.code == "AGG" and caller.roles == {Role.UNIT_REP}
    assert caller.member.display_name == "Nguyễn Văn A"


async def test_several_people_may_represent_one_unit(membership):
    await _import(membership)
    code = await _rep_code(membership, "CTO")
    first = await membership.join("telegram", "1", "A", code)
    second = await membership.join("zalo", "z9", "B", code)
    assert first.unit == second.unit
    assert Role.CHAIR in first.roles and Role.CHAIR in second.roles  # Cần Thơ chairs 2024


async def test_joining_twice_is_refused(membership):
    await _import(membership)
    code = await _rep_code(membership, "AGG")
    await membership.join("telegram", "1", "A", code)
    with pytest.raises(AlreadyMember):
        await membership.join("telegram", "1", "A", await _rep_code(membership, "BLU"))


async def test_expired_invite_is_refused_and_changes_nothing(membership, clock, db):
    await _import(membership)
    code = await _rep_code(membership, "AGG")
    clock.advance(timedelta(days=31))
    with pytest.raises(InviteUnusable) as caught:
        await membership.join("telegram", "1", "A", code)
    assert caught.value.key == "invite.expired"
    assert await membership.identify("telegram", "1") is None


async def test_revoked_invite_is_refused_and_a_new_one_is_issued(membership):
    await _import(membership)
    code = await _rep_code(membership, "AGG")
    await membership.revoke_invite(code)
    with pytest.raises(InviteUnusable) as caught:
        await membership.join("telegram", "1", "A", code)
    assert caught.value.key == "invite.revoked"
    fresh = await _rep_code(membership, "AGG")
    assert fresh != code
    assert (await membership.join("telegram", "1", "A", fresh)).unit.code == "AGG"


async def test_unknown_invite_is_refused(membership):
    await _import(membership)
    for text in ("NOPE2345", "!!", ""):
        with pytest.raises(InviteUnusable) as caught:
            await membership.join("telegram", "1", "A", text)
        assert caught.value.key == "invite.unknown"


async def test_only_the_secretariat_manages_invites_of_its_own_cluster(membership):
    await seed_demo(membership)
    rep = await membership.identify("console", "agg")
    with pytest.raises(Forbidden):
        await membership.invites(by=rep)
    secretariat = await membership.identify("console", "secretariat")
    assert len(await membership.invites(by=secretariat)) == 15
    await _import(membership)
    foreign = await _rep_code(membership, "SYT", "hanoi-block-9-2024")
    with pytest.raises(InviteUnusable):
        await membership.revoke_invite(foreign, by=secretariat)


async def test_secretariat_may_not_import_another_cluster(membership):
    await seed_demo(membership)
    secretariat = await membership.identify("console", "secretariat")
    with pytest.raises(InvalidInput) as caught:
        await membership.import_cluster_file(
            DOMAIN_CLUSTERS.read_text(encoding="utf-8"), by=secretariat
        )
    assert caught.value.key == "import.foreign_cluster"


async def test_roster_lists_every_unit_with_its_representatives(membership):
    await seed_demo(membership)
    chair = await membership.identify("console", "cto")
    roster = await membership.roster(chair)
    assert [u.unit.code for u in roster.units][:3] == ["CTO", "AGG", "BLU"]
    assert all(len(u.members) == 1 for u in roster.units)
    assert {m.external_id for m in roster.staff} == {"secretariat", "observer"}


async def test_seeding_the_demo_twice_changes_nothing(membership, db):
    await seed_demo(membership)
    await seed_demo(membership)
    async with UnitOfWork(db) as uow:
        cluster = await uow.clusters.by_key(DEMO_CLUSTER)
        assert len(await uow.members.in_cluster(cluster.id)) == 15


async def test_members_and_roles_survive_a_restart(db_path, clock, settings):
    first = await Database.open(db_path)
    await seed_demo(Membership(first, clock, settings))
    await first.close()
    second = await Database.open(db_path)
    caller = await Membership(second, clock, settings).identify("console", "cto")
    await second.close()
    assert caller.roles == {Role.UNIT_REP, Role.CHAIR}


async def test_every_change_is_in_the_audit_log(membership, db):
    await seed_demo(membership)
    rep = await membership.identify("console", "agg")
    await membership.set_locale(rep, "en")
    async with UnitOfWork(db) as uow:
        actions = [e["action"] for e in await uow.audit.entries()]
    assert actions.count("invite.issued") == 15
    assert {"cluster.imported", "member.added", "member.locale"} <= set(actions)


async def test_unknown_locale_is_refused(membership):
    await seed_demo(membership)
    rep = await membership.identify("console", "agg")
    with pytest.raises(InvalidInput):
        await membership.set_locale(rep, "fr")
    assert (await membership.identify("console", "agg")).member.locale is None
