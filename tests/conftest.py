from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from bot.app import App
from bot.clock import ManualClock, SystemClock
from bot.config import Settings, database_target
from bot.services.conversations import Conversations
from bot.services.demo import seed_demo
from bot.services.membership import Membership
from storage.opening import open_database

from .fake_telegram import TOKEN as TELEGRAM_TOKEN
from .fake_telegram import FakeBotApi
from .fake_zalo import TOKEN as ZALO_TOKEN
from .fake_zalo import FakeZaloApi
from .postgres_server import PostgresServer, running

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TEST_SECRET = "a-test-server-secret-of-at-least-32-characters"
DOMAIN_CLUSTERS = Path(__file__).resolve().parents[1] / "bot" / "data" / "clusters.yaml"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "thidua.sqlite3"


TEMPLATE_DB = "thidua_template"  # migrated once; each test's database is a copy of it


@pytest.fixture(scope="session")
def postgres_server():
    """One throwaway PostgreSQL server for the whole run (None: not installed, and the
    PostgreSQL half of the suite is skipped; CI sets THIDUA_REQUIRE_POSTGRES to fail instead)."""
    with running() as server:
        if server is None and os.environ.get("THIDUA_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is required (THIDUA_REQUIRE_POSTGRES) but not installed")
        if server is not None:
            asyncio.run(_migrated_template(server))
        yield server


async def _migrated_template(server: PostgresServer) -> None:
    import asyncpg

    admin = await asyncpg.connect(server.url())
    try:
        await admin.execute(f"CREATE DATABASE {TEMPLATE_DB}")
    finally:
        await admin.close()
    database = await open_database(server.url(TEMPLATE_DB))
    await database.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    """Every test that opens the database runs on both."""
    return request.param


@pytest.fixture
async def database_url(backend: str, postgres_server: PostgresServer | None):
    """A fresh PostgreSQL database for this test (a copy of the migrated template), or None
    on the SQLite run."""
    if backend == "sqlite":
        yield None
        return
    async with _fresh_database(postgres_server) as url:
        yield url


@pytest.fixture
async def pg_url(postgres_server: PostgresServer | None):
    """A fresh PostgreSQL database, for a test about PostgreSQL alone (not run on SQLite)."""
    async with _fresh_database(postgres_server) as url:
        yield url


@contextlib.asynccontextmanager
async def _fresh_database(server: PostgresServer | None):
    if server is None:
        pytest.skip("PostgreSQL is not installed")
    import asyncpg

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server.url())
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}")
        yield server.url(name)
        await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    finally:
        await admin.close()


def _url(database_url: str | None) -> dict:
    return {"database_url": SecretStr(database_url)} if database_url else {}


@pytest.fixture
def settings(db_path: Path, database_url: str | None) -> Settings:
    return Settings(
        _env_file=None,
        database_path=db_path,
        secret_key=SecretStr(TEST_SECRET),
        **_url(database_url),
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 1, 8, 0, tzinfo=VN))


@pytest.fixture
async def db(settings: Settings):
    database = await open_database(database_target(settings))
    yield database
    await database.close()


@pytest.fixture
def membership(db, clock, settings) -> Membership:
    return Membership(db, clock, settings)


@pytest.fixture
def conversations(db, clock) -> Conversations:
    return Conversations(db, clock)


@pytest.fixture
async def zalo():
    server = FakeZaloApi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def zalo_settings(db_path, database_url, zalo) -> Settings:
    settings = Settings(
        _env_file=None,
        secret_key=SecretStr(TEST_SECRET),
        database_path=db_path,
        **_url(database_url),
        zalo_token=ZALO_TOKEN,
        zalo_base_url=zalo.base_url,
    )
    app = await App.open(settings, SystemClock())
    await seed_demo(app.services.membership, with_members=False)
    await app.close()
    return settings


@pytest.fixture
async def api():
    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def tg_settings(db_path, database_url, api) -> Settings:
    settings = Settings(
        _env_file=None,
        secret_key=SecretStr(TEST_SECRET),
        database_path=db_path,
        **_url(database_url),
        telegram_token=TELEGRAM_TOKEN,
        telegram_base_url=api.base_url,
        # No "working on it" notes in tests whose timing varies; one test turns them on.
        progress_after_seconds=60,
    )
    app = await App.open(settings, SystemClock())
    await seed_demo(app.services.membership, with_members=False)
    await app.close()
    return settings


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: about SQLite itself (its file, pragmas, WAL), run on SQLite only"
    )
    config.addinivalue_line(
        "markers", "postgresql_only: about PostgreSQL itself (its heap files), run on it only"
    )


def pytest_collection_modifyitems(config, items) -> None:
    """A test marked sqlite_only keeps only its SQLite run, one marked postgresql_only only its
    PostgreSQL run."""
    only = {"sqlite_only": "sqlite", "postgresql_only": "postgresql"}

    def dropped_run(item) -> bool:
        backend = getattr(item, "callspec", None) and item.callspec.params.get("backend")
        return any(item.get_closest_marker(m) and backend != b for m, b in only.items())

    dropped = [item for item in items if dropped_run(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]
