"""What only PostgreSQL does, with two connections standing for two processes: outbox claims with
leases, the scheduler's leader lock, the shared send schedule, commits heard across processes,
and moving a SQLite database in."""

from __future__ import annotations

import asyncio
import io
import time
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from bot.app import App, run_console
from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.audit_chain import check_chain
from storage.db import Database, migrations
from storage.opening import open_database
from storage.postgres import translate
from storage.transfer import TransferRefused, copy_sqlite_into
from storage.uow import UnitOfWork

from .conftest import TEST_SECRET

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=15)


def test_sqlite_statements_read_as_postgresql():
    assert translate("BEGIN IMMEDIATE") == "BEGIN"
    assert (
        translate("INSERT OR IGNORE INTO t (a, b) VALUES (?, '?') RETURNING id")
        == "INSERT INTO t (a, b) VALUES ($1, '?') ON CONFLICT DO NOTHING RETURNING id"
    )
    assert translate("SELECT 1 WHERE c IS ? AND d = ?") == (
        "SELECT 1 WHERE c IS NOT DISTINCT FROM $1 AND d = $2"
    )
    assert translate("SELECT group_concat(pair) FROM x") == (
        "SELECT string_agg(CAST(pair AS TEXT), ',') FROM x"
    )


async def _queue(db: Database, count: int) -> None:
    async with UnitOfWork(db) as uow:
        for n in range(count):
            await uow.outbox.enqueue(
                f"test:{n}", channel="telegram", chat_id=str(n), payload={"text": "x"}, now=NOW
            )


async def test_two_processes_claim_disjoint_messages_and_a_dead_ones_come_free_after_its_lease(
    pg_url,
):
    first, second = await open_database(pg_url), await open_database(pg_url)
    try:
        await _queue(first, 10)

        async def claim(db: Database, at: datetime, limit: int = 6) -> set[int]:
            async with UnitOfWork(db) as uow:
                found = await uow.outbox.ready(at, limit, holder=db.holder, lease=LEASE)
            return {m.id for m in found}

        mine, theirs = await asyncio.gather(claim(first, NOW), claim(second, NOW))
        assert len(mine) + len(theirs) == 10 and not mine & theirs
        assert await claim(first, NOW) == mine  # a holder sees its own claims again
        assert await claim(second, NOW + LEASE / 2) == theirs  # nobody else's, while leased
        # The first process is gone: once its lease ends, its messages are the second's.
        await first.close()
        later = NOW + LEASE + timedelta(seconds=1)
        async with UnitOfWork(second) as uow:
            assert await uow.outbox.next_time() == NOW + LEASE  # the engine wakes for them
        assert await claim(second, later, 20) == mine | theirs
    finally:
        await second.close()
        if not first.conn.raw.is_closed():
            await first.close()


async def test_one_leader_at_a_time_and_the_next_takes_over_when_it_ends(pg_url):
    first, second = await open_database(pg_url), await open_database(pg_url)
    try:
        assert await first.lead() and not await second.lead()
        assert await second.leader() == first.holder
        await first.close()  # a killed process's session ends the same way
        assert await second.lead() and await second.leader() == second.holder
    finally:
        await second.close()


async def test_the_send_schedule_spaces_every_process_sends_together(pg_url):
    first, second = await open_database(pg_url), await open_database(pg_url)
    try:
        rate, each = 50.0, 10
        budgets = [first.send_budget("telegram", rate), second.send_budget("telegram", rate)]
        times: list[float] = []

        async def send(budget) -> None:
            for _ in range(each):
                await budget.take()
                times.append(time.monotonic())

        await asyncio.gather(*(send(b) for b in budgets))
        times.sort()
        # 20 sends at 50 a second take at least 19 gaps of 20 ms, however they interleave.
        assert times[-1] - times[0] >= (2 * each - 1) / rate * 0.95
    finally:
        await first.close()
        await second.close()


async def test_a_commit_in_one_process_wakes_the_other(pg_url):
    first, second = await open_database(pg_url), await open_database(pg_url)
    try:
        second.changed.clear()
        await _queue(first, 1)
        await asyncio.wait_for(second.changed.wait(), 5)
    finally:
        await first.close()
        await second.close()


async def test_a_sqlite_database_moves_into_postgresql_whole(tmp_path, pg_url):
    sqlite_settings = Settings(
        _env_file=None, database_path=tmp_path / "old.sqlite3", secret_key=SecretStr(TEST_SECRET)
    )
    await run_console(sqlite_settings, [], io.StringIO(), seed="demo")
    target = await open_database(pg_url)
    try:
        copied = await copy_sqlite_into(sqlite_settings.database_path, target)
        assert copied["members"] > 0 and copied["audit_log"] > 0
        try:
            await copy_sqlite_into(sqlite_settings.database_path, target)
            raise AssertionError("a second move into the same database must be refused")
        except TransferRefused as refused:
            assert "already holds data" in str(refused)
    finally:
        await target.close()
    moved = sqlite_settings.model_copy(update={"database_url": SecretStr(pg_url)})
    before = await App.open(sqlite_settings, SystemClock(), scheduled=False)
    after = await App.open(moved, SystemClock(), scheduled=False)
    try:
        for app in (before, after):
            clusters = await app.services.membership.clusters()
            assert [c.key for c in clusters]
        assert [c.key for c in await before.services.membership.clusters()] == [
            c.key for c in await after.services.membership.clusters()
        ]
        async with UnitOfWork(before.db) as old, UnitOfWork(after.db) as new:
            assert await old.audit.entries() == await new.audit.entries()
            for cluster in await after.services.membership.clusters():
                assert check_chain(await new.audit.entries(cluster.id)).broken_at is None
            # New rows number on from the moved ones.
            moved_units = await new.units.in_cluster(clusters[0].id)
            unit_id, _ = await new.units.upsert(clusters[0].id, "NEW", "Đơn vị mới")
            assert unit_id > max(u.id for u in moved_units)
    finally:
        await before.close()
        await after.close()


async def test_two_processes_appending_to_one_audit_chain_keep_it_whole(pg_url):
    """Each entry chains to the one before: appends from two processes at once must not both
    chain to the same head."""
    first, second = await open_database(pg_url), await open_database(pg_url)
    try:

        async def append(db: Database, n: int) -> None:
            for k in range(n):
                async with UnitOfWork(db) as uow:
                    await uow.audit.record(NOW, "test.append", cluster_id=7, detail={"k": k})

        await asyncio.gather(append(first, 40), append(second, 40))
        async with UnitOfWork(first) as uow:
            entries = await uow.audit.entries(7)
        assert len(entries) == 80 and check_chain(entries).broken_at is None
    finally:
        await first.close()
        await second.close()


async def test_both_databases_have_the_same_migrations_tables_and_columns(pg_url, tmp_path):
    """Each migration is written twice, once per database: the same numbers and names, and the
    same tables with the same columns in the end."""
    assert [m[:2] for m in migrations("sqlite")] == [m[:2] for m in migrations("postgresql")]
    sqlite = await Database.open(tmp_path / "same.sqlite3")
    postgres = await open_database(pg_url)
    try:
        tables = [
            r[0]
            for r in await sqlite.conn.execute_fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        on_sqlite = {
            t: {r[1] for r in await sqlite.conn.execute_fetchall(f"PRAGMA table_info({t})")}
            for t in tables
        }
        on_postgres: dict[str, set[str]] = {}
        for table, column in await postgres.conn.execute_fetchall(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public'"
        ):
            on_postgres.setdefault(table, set()).add(column)
        on_postgres.pop("send_budgets")  # the shared send schedule: PostgreSQL's alone
        assert on_sqlite == on_postgres
    finally:
        await sqlite.close()
        await postgres.close()


async def test_a_leader_whose_session_ends_steps_down_and_another_takes_over(pg_url):
    """The database restarts, or the leader's connection breaks while its process lives on: its
    lock is gone and someone else may hold it now, so it stops scheduling at once rather than
    run beside the next leader, and asks again like any follower."""
    import asyncpg

    from storage.postgres import LEADER_KEY

    settings = Settings(_env_file=None, database_url=SecretStr(pg_url))
    first = await App.open(settings, SystemClock(), {})
    second = await App.open(settings, SystemClock(), {})
    admin = await asyncpg.connect(pg_url)

    async def until(condition) -> None:
        for _ in range(100):
            if condition():
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"not within 10 s: {first.engine.leading=} {second.engine.leading=}")

    try:
        await first.start_engine()
        await second.start_engine()
        assert first.engine.leading and not second.engine.leading
        # The session ends, and another holder takes the lock the moment it is free.
        await admin.execute("SELECT pg_terminate_backend($1)", first.db.aux.get_server_pid())
        await admin.execute("SELECT pg_advisory_lock($1)", LEADER_KEY)
        await until(lambda: not first.engine.leading)
        await asyncio.sleep(2.5)  # both ask at least once meanwhile, and neither may lead
        assert not first.engine.leading and not second.engine.leading
        await admin.execute("SELECT pg_advisory_unlock($1)", LEADER_KEY)
        await until(lambda: first.engine.leading != second.engine.leading)
        leader = first if first.engine.leading else second
        assert await leader.db.leader() == leader.db.holder
    finally:
        await admin.close()
        await first.close()
        await second.close()


async def test_a_process_whose_session_ends_works_on_from_the_next_transaction(pg_url):
    """A database restart ends every session: the process opens a new one by itself."""
    import asyncpg

    db = await open_database(pg_url)
    admin = await asyncpg.connect(pg_url)
    try:
        await _queue(db, 1)
        await admin.execute("SELECT pg_terminate_backend($1)", db.conn.raw.get_server_pid())
        for _ in range(50):  # the client notices the closed socket
            if db.conn.raw.is_closed():
                break
            await asyncio.sleep(0.05)
        await _queue(db, 2)  # (keys test:0 and test:1; the first is already there)
        async with UnitOfWork(db) as uow:
            assert len(await uow.outbox.ready(NOW, 10)) == 2
    finally:
        await admin.close()
        await db.close()
