from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from bot.app import App
from bot.clock import ManualClock, SystemClock
from bot.config import Settings
from bot.services.conversations import Conversations
from bot.services.demo import seed_demo
from bot.services.membership import Membership
from storage.db import Database

from .fake_telegram import TOKEN as TELEGRAM_TOKEN
from .fake_telegram import FakeBotApi
from .fake_zalo import TOKEN as ZALO_TOKEN
from .fake_zalo import FakeZaloApi

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TEST_SECRET = "a-test-server-secret-of-at-least-32-characters"
DOMAIN_CLUSTERS = Path(__file__).resolve().parents[1] / "bot" / "data" / "clusters.yaml"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "thidua.sqlite3"


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return Settings(_env_file=None, database_path=db_path, secret_key=SecretStr(TEST_SECRET))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 1, 8, 0, tzinfo=VN))


@pytest.fixture
async def db(db_path: Path):
    database = await Database.open(db_path)
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
async def zalo_settings(db_path, zalo) -> Settings:
    settings = Settings(
        _env_file=None,
        secret_key=SecretStr(TEST_SECRET),
        database_path=db_path,
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
async def tg_settings(db_path, api) -> Settings:
    settings = Settings(
        _env_file=None,
        secret_key=SecretStr(TEST_SECRET),
        database_path=db_path,
        telegram_token=TELEGRAM_TOKEN,
        telegram_base_url=api.base_url,
        # No "working on it" notes in tests whose timing varies; one test turns them on.
        progress_after_seconds=60,
    )
    app = await App.open(settings, SystemClock())
    await seed_demo(app.services.membership, with_members=False)
    await app.close()
    return settings
