"""The outbox's lanes and pacing, through python-telegram-bot against the fake Bot API server on
loopback: an answer overtakes a long broadcast within one send slot, a chat gets at most one
queued message a second in the order queued, and other chats are not held back by it."""

import asyncio
from datetime import UTC, datetime

import pytest

from bot.channels.telegram import PRIVATE_GAP, TelegramChannel, build_application
from bot.clock import SystemClock
from bot.messages import Lane
from scheduler.outbox import IN_FLIGHT, OutboxDispatcher
from storage.db import Database
from storage.uow import UnitOfWork


@pytest.fixture
async def channel(tg_settings, api):
    api.send_delay = 0.02  # a little time on the wire, so several sends are in flight
    channel = TelegramChannel(build_application(tg_settings), claim=None, commands={})
    await channel.start(lambda incoming: [])
    yield channel
    await channel.stop()


@pytest.fixture
async def db(tg_settings):
    database = await Database.open(tg_settings.database_path)
    yield database
    await database.close()


async def _queue(db, key: str, chat: int, text: str, lane: Lane) -> None:
    async with UnitOfWork(db) as uow:
        await uow.outbox.enqueue(
            key,
            channel="telegram",
            chat_id=str(chat),
            payload={"text": text, "buttons": []},
            now=datetime.now(UTC),
            lane=lane,
        )


def _sent(api) -> list[tuple[int, str, float]]:
    return [(int(c.params["chat_id"]), c.params["text"], c.at) for c in api.called("sendMessage")]


async def test_an_answer_overtakes_a_broadcast_within_one_send_slot(db, channel, api):
    for i in range(120):  # an announcement to 120 people
        await _queue(db, f"bulk:{i}", 10_000 + i, f"Thông báo {i}", Lane.BULK)
    dispatcher = OutboxDispatcher(db, SystemClock(), {"telegram": channel})
    draining = asyncio.create_task(dispatcher.drain())
    await api.wait_for(lambda: len(_sent(api)) >= 20)
    api.wire_open.clear()  # hold the sends on the wire while the receipt is queued
    await _queue(db, "receipt", 777, "🧾 Mã biên nhận", Lane.REPLY)
    before = len(_sent(api))
    api.wire_open.set()
    await draining
    order = [text for _, text, _ in _sent(api)]
    assert len(order) == 121
    # Only the sends already on the wire when it was queued go before it.
    assert order.index("🧾 Mã biên nhận") <= before + IN_FLIGHT


async def test_a_chat_gets_one_queued_message_a_second_in_order_and_others_go_on(db, channel, api):
    for i in range(3):
        await _queue(db, f"notice:{i}", 555, f"Nhắc {i}", Lane.NOTICE if i else Lane.BULK)
    await _queue(db, "late-reply", 555, "Trả lời", Lane.REPLY)  # queued last: sent last here
    for i in range(5):
        await _queue(db, f"other:{i}", 20_000 + i, f"Khác {i}", Lane.NOTICE)
    dispatcher = OutboxDispatcher(db, SystemClock(), {"telegram": channel})
    await dispatcher.drain()
    mine = [(text, at) for chat, text, at in _sent(api) if chat == 555]
    assert [text for text, _ in mine] == ["Nhắc 0", "Nhắc 1", "Nhắc 2", "Trả lời"]
    gaps = [b - a for (_, a), (_, b) in zip(mine, mine[1:], strict=False)]
    assert all(gap >= PRIVATE_GAP - 0.05 for gap in gaps), gaps
    others = [at for chat, _, at in _sent(api) if chat != 555]
    assert max(others) < mine[1][1]  # the other chats did not wait for this one's pace


async def test_a_group_is_paced_more_slowly_than_a_private_chat(channel):
    assert channel.chat_gap("-100500") > channel.chat_gap("3003") >= 1.0


async def test_the_rate_limiter_lets_an_answer_take_the_next_slot(channel):
    """Queued sends saturate Telegram's pace; a person's answer still goes next, and the pace
    holds for everyone."""
    from bot.channels.base import sending_queued
    from bot.channels.telegram import AnswersFirst

    limiter = AnswersFirst(per_second=50)
    order: list[tuple[str, float]] = []
    loop = asyncio.get_running_loop()

    async def send(name: str) -> bool:
        order.append((name, loop.time()))
        return True

    async def queued(i: int) -> None:
        sending_queued.set(True)
        await limiter.process_request(send, (f"q{i}",), {}, "sendMessage", {"chat_id": i}, None)

    backlog = [asyncio.create_task(queued(i)) for i in range(12)]
    await asyncio.sleep(0.05)  # two or three queued sends have gone
    gone = len(order)
    await limiter.process_request(send, ("answer",), {}, "sendMessage", {"chat_id": 9}, None)
    await asyncio.gather(*backlog)
    names = [name for name, _ in order]
    assert names.index("answer") <= gone + 1
    gaps = [b - a for (_, a), (_, b) in zip(order, order[1:], strict=False)]
    assert min(gaps) >= 1 / 50 - 0.005  # one slot each, answers included
