"""Over the real python-telegram-bot transport: chats are served side by side, one chat's
updates in order, and a file that is slow or hostile to read stalls nobody."""

import asyncio
import time

import pytest

from bot.app import App
from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.models import Role
from bot.services.demo import DEMO_CLUSTER

from .fake_telegram import FakeBotApi
from .test_telegram import ROOT, running
from .workbooks import slow_sheet, zip_bomb

AGG, BLU = 2001, 2002


@pytest.fixture
async def settings(tg_settings) -> Settings:
    """The Telegram settings, with a secretariat and the example scale."""
    app = await App.open(tg_settings, SystemClock(), scheduled=False)
    members = app.services.membership
    await members.add_member(DEMO_CLUSTER, "console", "secretariat", "Thư ký", Role.SECRETARIAT)
    scale = (ROOT / "bot" / "data" / "scale-example.yaml").read_text(encoding="utf-8")
    await app.services.scoring.import_scale(await members.identify("console", "secretariat"), scale)
    await app.close()
    return tg_settings


async def _count(api: FakeBotApi, chat: int, count: int, timeout: float = 15) -> list[str]:
    await api.wait_for(lambda: len(api.texts_to(chat)) >= count, timeout)
    return api.texts_to(chat)


async def _join_and_open_card(api: FakeBotApi) -> None:
    await api.send_text(AGG, "/start DEMO-AGG")
    await api.send_text(BLU, "/start DEMO-BLU")
    await _count(api, AGG, 1)
    await _count(api, BLU, 1)
    await api.send_text(AGG, "/score")
    assert "1.1" in (await _count(api, AGG, 2))[-1]


async def test_a_slow_workbook_in_one_chat_does_not_delay_another_chats_help(settings, api):
    async with running(settings, api):
        await _join_and_open_card(api)
        await api.send_document(AGG, "bang-diem.xlsx", slow_sheet())
        await asyncio.sleep(0.2)  # the workbook is being read in its own process
        asked = time.monotonic()
        await api.send_text(BLU, "/help")
        help_text = (await _count(api, BLU, 2))[-1]
        answered = time.monotonic() - asked
        assert "/score" in help_text
        assert len(api.texts_to(AGG)) == 2, "/help came back only after the workbook"
        answer = (await _count(api, AGG, 3))[-1]  # the workbook is no score form: evidence
        assert "bang-diem.xlsx" in answer
    assert answered < 1.0


async def test_a_zip_bomb_is_refused_at_once_naming_the_limit(settings, api):
    bomb = zip_bomb(64)
    assert len(bomb) < 1024 * 1024  # small enough to be downloaded
    async with running(settings, api):
        await _join_and_open_card(api)
        sent = time.monotonic()
        await api.send_document(AGG, "bang-diem.xlsx", bomb)
        answer = (await _count(api, AGG, 3))[-1]
        assert time.monotonic() - sent < 1.0
    assert "Tệp Excel quá lớn hoặc giải nén ra quá nhiều (tối đa 20 MB)" in answer


async def test_one_chats_updates_are_handled_in_the_order_sent(settings, api):
    commands = ["/help", "/members", "/criteria", "/lang", "/help", "/members", "/criteria"]
    firsts = ["Các lệnh", "Cụm thi đua", "Thang điểm", "Chọn ngôn ngữ"]
    async with running(settings, api):
        await api.send_text(AGG, "/start DEMO-AGG")
        await _count(api, AGG, 1)
        for command in commands:
            await api.send_text(AGG, command)
        replies = (await _count(api, AGG, 1 + len(commands)))[1:]
    expected = [firsts[i % 4] for i in range(len(commands))]
    assert [next((f for f in firsts if r.startswith(f)), r) for r in replies] == expected
