"""Our Zalo Bot API client against the fake server: retries, idle polls, errors without the token."""

import pytest

from bot.channels.zalo_api import ZaloApi, ZaloApiError, parse_update

from .fake_zalo import TOKEN, FakeZaloApi


@pytest.fixture
async def zalo():
    server = FakeZaloApi(idle_wait=0.05)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def api(zalo):
    client = ZaloApi(TOKEN, zalo.base_url, backoff=0.01)
    yield client
    await client.close()


async def test_429_and_5xx_are_retried_until_the_message_goes(zalo, api):
    zalo.fail["sendMessage"] = [429, 500, 502]
    sent = await api.send_message("u1", "Xin chào")
    assert sent.message_id and [c.params["text"] for c in zalo.called("sendMessage")] == [
        "Xin chào"
    ]


async def test_retries_give_up_with_a_transient_error(zalo, api):
    zalo.fail["sendMessage"] = [503] * 10
    with pytest.raises(ZaloApiError) as raised:
        await api.send_message("u1", "Xin chào")
    assert raised.value.transient and raised.value.code == 503
    assert zalo.fail["sendMessage"] == [503] * 5  # 1 try + 4 retries


async def test_a_permanent_error_is_raised_at_once_without_the_token(zalo, api):
    zalo.blocked.add("u1")
    with pytest.raises(ZaloApiError) as raised:
        await api.send_message("u1", "Xin chào")
    assert raised.value.code == 403 and not raised.value.transient
    wrong = ZaloApi("1:wrong-token", zalo.base_url)
    with pytest.raises(ZaloApiError) as unauthorized:
        await wrong.get_me()
    await wrong.close()
    assert unauthorized.value.code == 401 and "wrong-token" not in str(unauthorized.value)


async def test_an_idle_poll_is_no_update_and_updates_come_one_at_a_time(zalo, api):
    assert await api.get_updates(timeout=1) is None
    await zalo.send_text("u1", "một")
    await zalo.send_text("u1", "hai")
    first, second = await api.get_updates(1), await api.get_updates(1)
    assert (first.message.text, second.message.text) == ("một", "hai")
    assert first.event_name == "message.text.received" and first.message.date > 10**12
    assert isinstance(first.message.sender.id, str)


async def test_network_errors_name_no_url(api):
    unreachable = ZaloApi(TOKEN, "http://127.0.0.1:9/bot", retries=0)
    with pytest.raises(ZaloApiError) as raised:
        await unreachable.get_me()
    await unreachable.close()
    assert raised.value.code == 0 and TOKEN not in str(raised.value)


async def test_webhook_methods_and_update_shapes(zalo, api):
    info = await api.set_webhook("https://bot.example/zalo", "s3cret-value")
    assert info.url == "https://bot.example/zalo"
    assert (await api.get_webhook_info()).url == "https://bot.example/zalo"
    assert (await api.delete_webhook()).url == ""
    message = zalo.message("u1", "Lan", "PRIVATE", text="hi")
    update = {"event_name": "message.text.received", "message": message}
    assert parse_update(update).message.text == "hi"
    assert parse_update({"ok": True, "result": update}).message.sender.full_name == "Lan"
    assert parse_update({"nonsense": 1}) is None and parse_update([1]) is None
