"""A year unattended on a real database, with the clock moved: old update claims and the content
of old messages are pruned, status counts stay; the audit log is archived into a file that
proves its own chain, and what stays still verifies."""

import json
from datetime import timedelta

import pytest

from bot.app import App
from bot.domain.audit_chain import check_chain
from bot.domain.errors import InvalidInput
from bot.services.demo import DEMO_CLUSTER, seed_demo
from bot.services.housekeeping import verify_archive
from storage.uow import UnitOfWork


@pytest.fixture
async def app(settings, clock):
    application = await App.open(settings, clock, scheduled=False)
    await seed_demo(application.services.membership)
    yield application
    await application.close()


async def _count(app, sql):
    async with app.db.conn.execute(sql) as cursor:
        return (await cursor.fetchone())[0]


async def test_old_update_claims_and_old_message_content_are_pruned(app, clock):
    for update in range(5):
        await app.updates.claim("telegram", update)
    async with UnitOfWork(app.db) as uow:
        for n in range(3):
            await uow.outbox.enqueue(
                f"k{n}",
                channel="console",
                chat_id="AGG",
                payload={"text": f"tin {n}"},
                now=clock.now(),
            )
        for message in await uow.outbox.ready(clock.now()):
            await uow.outbox.sent(message.id, clock.now())
        await uow.outbox.enqueue(
            "later", channel="console", chat_id="AGG", payload={"text": "x"}, now=clock.now()
        )
    clock.advance(timedelta(days=8))
    await app.updates.claim("telegram", 99)  # a recent one
    pruned = await app.services.housekeeping.prune()
    assert pruned is not None and pruned.updates == 5 and pruned.payloads == 0
    assert await _count(app, "SELECT COUNT(*) FROM processed_updates") == 1
    assert await app.services.housekeeping.prune() is None  # at most once an hour
    clock.advance(timedelta(days=30))
    pruned = await app.services.housekeeping.prune()
    assert pruned.payloads == 3
    assert await _count(app, "SELECT COUNT(*) FROM outbox WHERE state = 'sent'") == 3  # rows stay
    assert await _count(app, "SELECT COUNT(*) FROM outbox WHERE payload = '{}'") == 3
    assert await _count(app, "SELECT COUNT(*) FROM outbox WHERE payload LIKE '%\"x\"%'") == 1


async def test_the_audit_log_is_archived_into_a_file_that_proves_its_chain(app, clock, tmp_path):
    members = app.services.membership
    secretariat = await members.identify("console", "secretariat")
    for locale in ("en", "vi", "en"):
        await members.set_locale(secretariat, locale)
    cut = clock.now() + timedelta(seconds=1)
    clock.advance(timedelta(days=400))
    await members.set_locale(secretariat, "vi")  # after the cut: stays
    async with UnitOfWork(app.db) as uow:
        cluster = await uow.clusters.by_key(DEMO_CLUSTER)
        before = await uow.audit.chain(cluster.id)
    file = tmp_path / "audit-2026.jsonl"
    done = await app.services.housekeeping.archive_audit(DEMO_CLUSTER, cut, file)
    assert done.entries == len(before) - 1
    entries, head, digest = verify_archive(file)
    assert entries == done.entries and head == done.head
    async with UnitOfWork(app.db) as uow:
        after = await uow.audit.chain(cluster.id)
    assert [e["action"] for e in after] == ["member.locale", "audit_log.checkpoint"]
    checkpoint = json.loads(after[-1]["detail"])
    assert checkpoint["head"] == head and checkpoint["file_sha256"] == digest
    assert check_chain(after).intact
    report = await app.services.counting.audit(await members.identify("console", "observer"))
    assert report.ok
    # Entries the checkpoint does not cover cannot be deleted.
    with pytest.raises(Exception, match="append-only"):  # each database's own error
        await app.db.conn.execute("DELETE FROM audit_log WHERE id = ?", (after[0]["id"],))
    with pytest.raises(InvalidInput, match="audit.archive_exists"):
        await app.services.housekeeping.archive_audit(DEMO_CLUSTER, cut, file)


async def test_health_reports_the_database_the_next_wake_and_an_outbox_falling_behind(app, clock):
    from bot.serve import health

    if app.db.dialect == "postgresql":  # nobody runs the scheduler yet: unhealthy, and why
        report, healthy = await health(app)
        assert not healthy and report["status"] == "no_leader"
    assert await app.db.lead()
    report, healthy = await health(app)
    assert healthy and report["database"] == "ok" and report["outbox"]["due"] == 0
    assert report["scheduler"]["leader"] == app.db.holder
    async with UnitOfWork(app.db) as uow:
        await uow.outbox.enqueue(
            "k", channel="console", chat_id="AGG", payload={"text": "x"}, now=clock.now()
        )
    clock.advance(timedelta(minutes=11))  # due for eleven minutes, nothing sent it
    report, healthy = await health(app)
    assert not healthy and report["status"] == "behind"
    assert report["outbox"] == {"due": 1, "oldest_due_seconds": 660.0}
