"""Storage against a real temporary SQLite file."""

import contextlib
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.models import Role
from storage.db import Database, migrations
from storage.uow import UnitOfWork

NOW = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)


async def test_migrations_apply_once_and_reapplying_is_a_no_op(db_path):
    first = await Database.open(db_path)
    async with first.conn.execute("SELECT version FROM schema_migrations") as cur:
        applied = [row[0] for row in await cur.fetchall()]
    assert applied == [version for version, _, _ in migrations()]
    assert await first.migrate() == []
    await first.close()
    second = await Database.open(db_path)
    assert await second.migrate() == []
    await second.close()


@pytest.mark.sqlite_only
async def test_database_uses_wal_and_foreign_keys(db):
    async with db.conn.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone())[0] == "wal"
    with pytest.raises(sqlite3.IntegrityError):
        async with UnitOfWork(db) as uow:
            await uow.units.upsert(999, "X", "no such cluster")


async def test_unit_of_work_rolls_back_everything_on_error(db):
    with pytest.raises(RuntimeError):
        async with UnitOfWork(db) as uow:
            await uow.clusters.upsert("c1", "Cụm 1", "cụm", "Asia/Ho_Chi_Minh", [], NOW)
            raise RuntimeError("boom")
    async with UnitOfWork(db) as uow:
        assert await uow.clusters.all() == []


async def test_audit_log_is_append_only(db):
    async with UnitOfWork(db) as uow:
        await uow.audit.record(NOW, "test.event", actor="console:x", detail={"a": 1})
    for sql in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"):  # each database's own error
            async with UnitOfWork(db):
                await db.conn.execute(sql)
    async with UnitOfWork(db) as uow:
        entries = await uow.audit.entries()
    assert [(e["action"], e["actor"]) for e in entries] == [("test.event", "console:x")]


async def test_repositories_round_trip_cluster_unit_member_invite(db):
    async with UnitOfWork(db) as uow:
        cluster_id, created = await uow.clusters.upsert(
            "c1", "Cụm 1", "khối", "Asia/Ho_Chi_Minh", ["Cờ thi đua"], NOW
        )
        unit_id, _ = await uow.units.upsert(cluster_id, "SYT", "Sở Y tế")
        await uow.periods.upsert(cluster_id, "2024", unit_id, None)
        await uow.members.add(
            cluster_id, "telegram", "42", "Chị Lan", unit_id, frozenset({Role.UNIT_REP}), "en", NOW
        )
        await uow.invites.add("ABCD2345", cluster_id, unit_id, Role.UNIT_REP, NOW, None)
    assert created
    async with UnitOfWork(db) as uow:
        member = await uow.members.by_identity("telegram", "42")
        period = await uow.periods.current(cluster_id)
        invite = await uow.invites.by_code("ABCD2345")
        unit = await uow.units.by_code(cluster_id, "syt")
    assert member.display_name == "Chị Lan" and member.locale == "en"
    assert member.roles == {Role.UNIT_REP} and member.unit_id == unit.id == unit_id
    assert period.chair_unit_id == unit_id
    assert invite.created_at == NOW and invite.expires_at is None and invite.uses == 0


async def test_conversation_state_is_replaced_and_cleared(db):
    async with UnitOfWork(db) as uow:
        await uow.conversations.put("console", "a", "join", "code", {}, NOW)
        await uow.conversations.put("console", "a", "score", "item", {"item": "1.2"}, NOW)
    async with UnitOfWork(db) as uow:
        assert await uow.conversations.get("console", "a") == ("score", "item", {"item": "1.2"})
        await uow.conversations.clear("console", "a")
        assert await uow.conversations.get("console", "a") is None


async def test_times_are_stored_in_utc_so_text_comparison_orders_them(db):
    from zoneinfo import ZoneInfo

    local = datetime(2026, 11, 25, 17, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    async with UnitOfWork(db) as uow:
        cluster_id, _ = await uow.clusters.upsert(
            "c1", "Cụm 1", "cụm", "Asia/Ho_Chi_Minh", [], local
        )
    async with db.conn.execute(
        "SELECT created_at FROM clusters WHERE id = ?", (cluster_id,)
    ) as cur:
        assert (await cur.fetchone())[0] == "2026-11-25T10:00:00+00:00"


@pytest.mark.sqlite_only
async def test_a_migration_with_a_case_end_trigger_is_applied_whole(db):
    trigger = """-- a trigger whose body holds CASE … END; inside BEGIN … END;
CREATE TABLE grades (unit TEXT, score INTEGER, band TEXT);
CREATE TRIGGER grade_band AFTER INSERT ON grades
BEGIN
    SELECT CASE WHEN NEW.score > 100 THEN RAISE(ABORT, 'over the maximum') END;
    UPDATE grades SET band = CASE
        WHEN NEW.score >= 90 THEN 'Xuất sắc'
        WHEN NEW.score >= 80 THEN 'Tốt'
        ELSE 'Khá'
    END WHERE rowid = NEW.rowid;
END;
INSERT INTO grades (unit, score) VALUES ('AGG', 92), ('BLU', 81);
"""
    assert await db.migrate([(9001, "9001_grade_bands.sql", trigger)]) == [9001]
    async with db.conn.execute("SELECT unit, band FROM grades ORDER BY unit") as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [("AGG", "Xuất sắc"), ("BLU", "Tốt")]
    assert await db.migrate([(9001, "9001_grade_bands.sql", trigger)]) == []
    with pytest.raises(sqlite3.IntegrityError, match="over the maximum"):
        await db.conn.execute("INSERT INTO grades (unit, score) VALUES ('CTO', 101)")


async def test_a_unit_of_work_inside_another_joins_its_transaction(db):
    async with UnitOfWork(db) as outer:
        await outer.clusters.upsert("c1", "Cụm 1", "cụm", "Asia/Ho_Chi_Minh", [], NOW)
        with pytest.raises(RuntimeError):
            async with UnitOfWork(db) as inner:  # fails: only its own writes are undone
                await inner.clusters.upsert("c2", "Cụm 2", "cụm", "Asia/Ho_Chi_Minh", [], NOW)
                raise RuntimeError("boom")
        async with UnitOfWork(db) as inner:
            await inner.conversations.put("console", "x", "join", "code", {}, NOW)
    async with UnitOfWork(db) as uow:
        assert [c.key for c in await uow.clusters.all()] == ["c1"]
        assert await uow.conversations.get("console", "x") == ("join", "code", {})


async def test_a_failure_at_the_outer_level_undoes_the_inner_units_of_work_too(db):
    with pytest.raises(RuntimeError):
        async with UnitOfWork(db):
            async with UnitOfWork(db) as inner:
                await inner.clusters.upsert("c1", "Cụm 1", "cụm", "Asia/Ho_Chi_Minh", [], NOW)
            raise RuntimeError("crash between the action and the conversation step")
    async with UnitOfWork(db) as uow:
        assert await uow.clusters.all() == []


@pytest.mark.sqlite_only
async def test_a_backup_taken_mid_transaction_holds_what_was_committed(db, db_path, tmp_path):
    import asyncio

    from storage.backup import BackupRefused, backup

    async with UnitOfWork(db) as uow:
        await uow.clusters.upsert("c1", "Cụm 1", "cụm", "Asia/Ho_Chi_Minh", [], NOW)
    async with UnitOfWork(db) as uow:  # the bot is in the middle of a write
        await uow.clusters.upsert("c2", "Cụm 2", "cụm", "Asia/Ho_Chi_Minh", [], NOW)
        size = await asyncio.to_thread(backup, db_path, tmp_path / "copy.sqlite3")
    assert size > 0
    copy = sqlite3.connect(tmp_path / "copy.sqlite3")
    assert [r[0] for r in copy.execute("SELECT key FROM clusters")] == ["c1"]
    copy.close()
    with pytest.raises(BackupRefused):
        backup(db_path, tmp_path / "copy.sqlite3")  # never overwrites


async def test_a_unit_of_work_cancelled_at_any_await_leaves_no_transaction_open(db):
    """A task cancelled while its unit of work begins, works or commits (a stop mid-write)
    never leaves the connection inside a transaction for the next one."""
    import asyncio

    async def write(n):
        async with UnitOfWork(db) as uow:
            await uow.clusters.upsert(f"c{n}", "Cụm", "cụm", "Asia/Ho_Chi_Minh", [], NOW)

    for delay in range(12):  # cancel after 0, 1, 2 … turns of the loop
        task = asyncio.create_task(write(delay))
        for _ in range(delay):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert not db.conn.in_transaction and not db.lock.locked(), delay
    await write(99)  # and the next one works


def _bot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    root = Path(__file__).resolve().parents[1]
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**os.environ, "PYTHONPATH": str(root), **env},
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.sqlite_only
async def test_a_second_process_on_one_sqlite_file_is_refused_in_one_line(db, db_path):
    """Two processes on one file would both send every queued message: the second is refused."""
    refused = _bot("migrate", env={"THIDUA_DATABASE_PATH": str(db_path)})
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        f"{db_path} is in use by another thidua process (pid {os.getpid()}); stop it first,"
        " or set THIDUA_DATABASE_URL to a PostgreSQL database to run several"
    ]
    await db.close()  # the file is free again
    done = _bot("migrate", env={"THIDUA_DATABASE_PATH": str(db_path)})
    assert done.returncode == 0 and done.stdout.startswith("sqlite: up to date (migration ")


async def test_migrate_brings_a_new_database_up_to_date_then_reports_it(settings, tmp_path):
    env = {"THIDUA_DATABASE_PATH": str(tmp_path / "new.sqlite3")}
    if settings.database_url is not None:
        env["THIDUA_DATABASE_URL"] = settings.database_url.get_secret_value()
    first = _bot("migrate", env=env)
    # (the PostgreSQL test database is a copy of a migrated one: already up to date)
    assert first.returncode == 0 and first.stdout.split(":")[0] in ("sqlite", "postgresql")
    again = _bot("migrate", env=env)
    assert again.returncode == 0 and "up to date" in again.stdout
    assert "postgresql://" not in first.stdout + first.stderr + again.stdout + again.stderr


async def test_an_unreachable_postgresql_server_is_one_line_without_the_password(tmp_path):
    url = f"postgresql://thidua:s3cret-pw@/thidua?host={tmp_path}"  # no server listens there
    failed = _bot("migrate", env={"THIDUA_DATABASE_URL": url})
    lines = failed.stderr.strip().splitlines()
    assert failed.returncode == 2 and len(lines) == 1, failed.stderr
    assert lines[0].startswith("cannot open the PostgreSQL database") and "s3cret" not in lines[0]


@pytest.mark.sqlite_only
async def test_move_to_postgres_refuses_a_sqlite_target_and_a_running_bot(db, db_path):
    wrong = _bot("move-to-postgres", "sqlite:///x", env={"THIDUA_DATABASE_PATH": str(db_path)})
    assert wrong.returncode == 2 and "postgresql://" in wrong.stderr
    busy = _bot(
        "move-to-postgres",
        "postgresql://nobody@/none?host=/nonexistent",
        env={"THIDUA_DATABASE_PATH": str(db_path)},
    )
    assert busy.returncode == 2 and "in use by another thidua process" in busy.stderr
