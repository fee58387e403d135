"""End to end: the real python-telegram-bot Application, polling or webhook, against a fake Bot
API server on loopback, with a real SQLite file."""

import asyncio
import logging
import os
import re
import signal
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from pydantic import SecretStr

from bot.app import App
from bot.channels.telegram import TelegramChannel, build_application
from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.models import Role
from bot.domain.voting import BallotKind
from bot.messages import Address, Attachment, Reply
from bot.serve import run_live
from storage.uow import UnitOfWork

from .fake_telegram import TOKEN, FakeBotApi

AGG_REP = 1001
ROOT = Path(__file__).resolve().parents[1]


@asynccontextmanager
async def running(settings: Settings, api: FakeBotApi):
    stop = asyncio.Event()
    task = asyncio.create_task(run_live(settings, stop, poll_timeout=0.5))
    await api.wait_for(lambda: api.called("getMe") and len(api.called("setMyCommands")) == 2)
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


async def _reply(api: FakeBotApi, chat_id: int, count: int) -> str:
    await api.wait_for(lambda: len(api.texts_to(chat_id)) >= count)
    return api.texts_to(chat_id)[count - 1]


async def test_join_by_deep_link_and_use_the_menu_buttons(tg_settings, api):
    async with running(tg_settings, api):
        await api.send_text(AGG_REP, "/start DEMO-AGG", name="Lan")
        assert "Chào mừng Lan! Anh/chị đã tham gia" in await _reply(api, AGG_REP, 1)
        await api.send_text(AGG_REP, "/start")
        await _reply(api, AGG_REP, 2)
        menu = api.called("sendMessage")[-1]
        keyboard = menu.params["reply_markup"]["inline_keyboard"]
        assert [b["callback_data"] for b in keyboard[0]] == [
            "1:menu:members",
            "1:menu:help",
            "1:menu:lang",
        ]
        await api.press(AGG_REP, 500, "1:menu:lang")
        assert await _reply(api, AGG_REP, 3) == "Chọn ngôn ngữ hiển thị:"
        await api.press(AGG_REP, 501, "1:lang:en")
        assert await _reply(api, AGG_REP, 4) == "Switched to English."
    edit = api.called("editMessageText")[-1]
    assert int(edit.params["message_id"]) == 501 and edit.params["text"] == "Switched to English."
    assert len(api.called("answerCallbackQuery")) == 2


async def test_commands_are_registered_per_language(tg_settings, api):
    async with running(tg_settings, api):
        pass
    by_language = {
        c.params.get("language_code"): c.params["commands"] for c in api.called("setMyCommands")
    }
    assert set(by_language) == {None, "en"}
    names = [c["command"] for c in by_language[None]]
    assert {"start", "members", "thanhvien", "lang", "ngonngu"} <= set(names)
    assert all(c["command"].isascii() and c["command"].islower() for c in by_language[None])
    vi = dict((c["command"], c["description"]) for c in by_language[None])
    assert vi["members"] == "danh sách đơn vị và người đại diện"


async def test_a_duplicated_update_changes_state_once(tg_settings, api):
    async with running(tg_settings, api):
        update = await api.send_text(AGG_REP, "/start DEMO-AGG")
        await _reply(api, AGG_REP, 1)
        await api.push({k: v for k, v in update.items() if k != "update_id"}, update["update_id"])
        await api.send_text(AGG_REP, "/lang")  # a later update, handled after the duplicate
        await _reply(api, AGG_REP, 2)
    texts = api.texts_to(AGG_REP)
    assert len(texts) == 2 and not any("đã là thành viên" in t for t in texts)


async def test_forged_or_stale_buttons_get_a_polite_answer_and_change_nothing(tg_settings, api):
    async with running(tg_settings, api):
        await api.send_text(AGG_REP, "/start DEMO-AGG")
        await _reply(api, AGG_REP, 1)
        await api.press(AGG_REP, 1, "1:lang:xx")
        assert "Không hỗ trợ ngôn ngữ “xx”" in await _reply(api, AGG_REP, 2)
        await api.press(AGG_REP, 1, "9:vote:1:999")
        assert "Nút này đã cũ" in await _reply(api, AGG_REP, 3)
        await api.press(2002, 1, "1:menu:members")  # a stranger replays a member's button
        assert "chưa tham gia cụm thi đua" in await _reply(api, 2002, 1)
    assert len(api.called("answerCallbackQuery")) == 3
    app = await App.open(tg_settings, SystemClock())
    caller = await app.services.membership.identify("telegram", str(AGG_REP))
    assert await app.services.membership.identify("telegram", "2002") is None
    await app.close()
    assert caller.member.locale is None


async def test_a_429_storm_loses_no_message(tg_settings, api):
    api.fail["sendMessage"] = [1, 1, 1]
    async with running(tg_settings, api):
        await api.send_text(AGG_REP, "/start DEMO-AGG")
        await api.send_text(AGG_REP, "/help")
        await _reply(api, AGG_REP, 2)
    texts = api.texts_to(AGG_REP)
    assert len(texts) == 2 and "Chào mừng" in texts[0] and "Các lệnh" in texts[1]


async def test_restart_between_two_updates_processes_each_once(tg_settings, api):
    async with running(tg_settings, api):
        first = await api.send_text(AGG_REP, "/start DEMO-AGG")
        await _reply(api, AGG_REP, 1)
    # While the bot is down a new update arrives, and Telegram redelivers the first one.
    await api.push({k: v for k, v in first.items() if k != "update_id"}, first["update_id"])
    await api.send_text(AGG_REP, "/members")
    async with running(tg_settings, api):
        await _reply(api, AGG_REP, 2)
        await api.send_text(AGG_REP, "/help")
        await _reply(api, AGG_REP, 3)
    texts = api.texts_to(AGG_REP)
    assert len(texts) == 3
    assert "Chào mừng" in texts[0] and "13 đơn vị" in texts[1] and "Các lệnh" in texts[2]


async def test_secretariat_sends_the_cluster_file_as_a_document(tg_settings, api):
    data = (
        "clusters:\n  - key: mekong-health-2024\n    name: Cụm Tây Nam bộ\n    period: 2024\n"
        "    chair: CTO\n    units:\n      - {code: CTO, name: Sở Y tế Cần Thơ}\n"
    ).encode()
    async with running(tg_settings, api):
        await api.send_text(3003, "/start DEMO-SECRETARIAT")
        await _reply(api, 3003, 1)
        await api.send_document(3003, "cum.yaml", data)
        assert "cập nhật 1 đơn vị" in await _reply(api, 3003, 2)
    assert api.called("getFile")


async def test_invite_link_in_a_group_is_refused_with_a_button_to_the_private_chat(
    tg_settings, api
):
    async with running(tg_settings, api):
        await api.send_text(AGG_REP, "/start DEMO-AGG", chat_id=-100500, chat_type="supergroup")
        assert "chỉ thực hiện được trong tin nhắn riêng" in await _reply(api, -100500, 1)
    button = api.called("sendMessage")[-1].params["reply_markup"]["inline_keyboard"][0][0]
    assert button["url"] == "https://t.me/thidua_test_bot"


async def test_the_token_never_reaches_the_logs(tg_settings, api, caplog):
    caplog.set_level(logging.DEBUG)
    async with running(tg_settings, api):
        await api.send_text(AGG_REP, "/start DEMO-AGG")
        await _reply(api, AGG_REP, 1)
        # A library error naming the request URL, as httpx and PTB word them:
        logging.getLogger("telegram.ext").error("failed: %s/bot%s/getMe", api.base_url, TOKEN)
    assert "/bot<token>/getMe" in caplog.text
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text


async def test_webhook_mode_checks_the_secret(tg_settings, api, unused_tcp_port, caplog):
    settings = tg_settings.model_copy(
        update={
            "webhook_url": "https://bot.example.invalid/hook",
            "webhook_secret": SecretStr("s3cret-value"),
            "webhook_port": unused_tcp_port,
        }
    )
    base = f"http://127.0.0.1:{unused_tcp_port}"
    async with running(settings, api):
        await api.wait_for(lambda: api.called("setWebhook"))
        hook = api.called("setWebhook")[-1].params
        assert (
            hook["url"] == "https://bot.example.invalid/hook/telegram"
            and hook["secret_token"] == "s3cret-value"
        )
        update = {
            "update_id": 77,
            "message": {
                "message_id": 5,
                "date": 0,
                "text": "/start DEMO-AGG",
                "chat": {"id": AGG_REP, "type": "private"},
                "from": api.user(AGG_REP, "Lan"),
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        async with httpx.AsyncClient() as client:
            for _ in range(100):  # the server starts right after setWebhook
                try:
                    health = await client.get(f"{base}/healthz")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            assert health.json()["status"] == "ok" and health.json()["database"] == "ok"
            wrong = await client.post(
                f"{base}/telegram",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
            )
            assert wrong.status_code == 403
            right = await client.post(
                f"{base}/telegram",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-value"},
            )
            assert right.status_code == 200
            secret = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-value"}
            for body in ([1, 2], "text", 7, None, {"update_id": "x"}):
                bad = await client.post(f"{base}/telegram", json=body, headers=secret)
                assert bad.status_code == 400, body
            broken = await client.post(f"{base}/telegram", content=b"{", headers=secret)
            assert broken.status_code == 400
        assert "Chào mừng Lan" in await _reply(api, AGG_REP, 1)
    assert len(api.texts_to(AGG_REP)) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_sigterm_stops_the_bot_gracefully(tg_settings, api):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "THIDUA_TELEGRAM_TOKEN": TOKEN,
        "THIDUA_TELEGRAM_BASE_URL": api.base_url,
        "THIDUA_DATABASE_PATH": str(tg_settings.database_path),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await api.wait_for(lambda: len(api.called("setMyCommands")) == 2, timeout=30)
        await api.send_text(AGG_REP, "/start DEMO-AGG")
        await _reply(api, AGG_REP, 1)
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    finally:
        if process.returncode is None:
            process.kill()
    text = stderr.decode()
    assert process.returncode == 0, text
    assert TOKEN not in text and "Traceback" not in text, text[-3000:]


async def test_photos_are_received_and_files_are_sent(tg_settings, api):
    async with running(tg_settings, api):
        await api.send_text(3003, "/start DEMO-SECRETARIAT")
        await _reply(api, 3003, 1)
        await api.send_photo(3003, b"\xff\xd8jpeg")
        assert "Chỉ nhận tệp danh sách cụm dạng .yaml" in await _reply(api, 3003, 2)
    assert api.called("getFile")[-1].params["file_id"] == "file1"

    application = build_application(tg_settings)
    channel = TelegramChannel(application, claim=None, commands={})
    await channel.start(lambda incoming: [])
    try:
        to = Address("telegram", "3003")
        await channel.send(to, Reply("Biểu đồ xếp hạng", photo=Attachment("xep-hang.png", b"png")))
        await channel.send(to, Reply("Bảng điểm", document=Attachment("bang-diem.xlsx", b"xlsx")))
        await channel.send(to, Reply("x" * 5000))
    finally:
        await channel.stop()
    photo, document = api.called("sendPhoto")[-1], api.called("sendDocument")[-1]
    assert photo.params["caption"] == "Biểu đồ xếp hạng" and photo.files["photo"] == b"png"
    assert document.params["caption"] == "Bảng điểm" and document.files["document"] == b"xlsx"
    assert [len(t) for t in api.texts_to(3003)[-2:]] == [4096, 904]


async def test_invite_codes_are_never_listed_in_a_group(tg_settings, api):
    async with running(tg_settings, api):
        await api.send_text(3003, "/start DEMO-SECRETARIAT")
        await _reply(api, 3003, 1)
        await api.send_text(3003, "/invites", chat_id=-100500, chat_type="group")
        reply = await _reply(api, -100500, 1)
    assert "DEMO-" not in reply and "tin nhắn riêng" in reply


async def test_a_recipient_who_blocked_the_bot_is_reported_once_and_not_retried(tg_settings, api):
    async with running(tg_settings, api):
        await api.send_text(AGG_REP, "/start DEMO-AGG")
        await api.send_text(3003, "/start DEMO-SECRETARIAT")
        await _reply(api, 3003, 1)
        await _reply(api, AGG_REP, 1)
        api.blocked.add(AGG_REP)
        await api.send_text(3003, "/deadline")
        await api.send_text(3003, "Báo cáo tháng 12")
        await api.send_text(3003, "20/12/2030 17:00")
        await api.send_text(3003, "AGG")
        await _reply(api, 3003, 5)
        await api.press(3003, 600, "1:dlnew:create")
        await api.wait_for(
            lambda: any("Không gửi được tin nhắn tới" in t for t in api.texts_to(3003))
        )
        attempts = len(
            [
                c
                for c in api.calls
                if c.method == "sendMessage" and int(c.params["chat_id"]) == AGG_REP
            ]
        )
    app = await App.open(tg_settings, SystemClock())
    async with app.db.conn.execute(
        "SELECT state, attempts FROM outbox WHERE member_id = (SELECT id FROM members WHERE external_id = ?)",
        (str(AGG_REP),),
    ) as cursor:
        rows = [tuple(r) for r in await cursor.fetchall()]
    await app.close()
    assert rows == [("failed", 1)]
    assert attempts == 1  # the welcome, before the block; the refused reminder was not retried
    assert sum("Không gửi được tin nhắn tới" in t for t in api.texts_to(3003)) == 1


async def test_broadcast_with_a_file_reports_delivery_and_acknowledgements(tg_settings, api):
    blu_rep = 1002
    async with running(tg_settings, api):
        await api.send_text(3003, "/start DEMO-SECRETARIAT")
        await api.send_text(AGG_REP, "/start DEMO-AGG")
        await api.send_text(blu_rep, "/start DEMO-BLU")
        await _reply(api, blu_rep, 1)
        api.blocked.add(blu_rep)
        await api.send_text(3003, "/broadcast")
        await api.send_text(3003, "Mời họp tổng kết ngày 20/12.")
        await _reply(api, 3003, 3)
        await api.send_document(3003, "giay-moi.pdf", b"%PDF-1.4 invitation")
        await _reply(api, 3003, 5)
        await api.press(3003, 700, "1:bcto:reps")
        await _reply(api, 3003, 6)
        await api.press(3003, 701, "1:bcgo:send")
        await api.wait_for(lambda: api.called("sendDocument"))
        document = api.called("sendDocument")[-1]
        assert (
            int(document.params["chat_id"]) == AGG_REP
            and document.files["document"] == b"%PDF-1.4 invitation"
        )
        ack = document.params["reply_markup"]["inline_keyboard"][0][0]
        assert ack["text"] == "Đã nhận"
        await api.press(AGG_REP, 702, ack["callback_data"])
        await _reply(api, AGG_REP, 2)
        await api.wait_for(lambda: blu_rep in api.refused)  # its announcement was refused
        broadcast_id = ack["callback_data"].split(":")[-1]
        await api.press(3003, 703, f"1:bcst:{broadcast_id}")
        await api.wait_for(lambda: any("Chưa xác nhận" in t for t in api.texts_to(3003)))
    status = next(t for t in api.texts_to(3003) if "Chưa xác nhận" in t)
    assert "gửi được 1/2, lỗi 1, đã xác nhận nhận 1/2" in status
    assert "Không gửi được: Người dùng (BLU)" in status


async def test_a_secret_ballot_is_cast_with_buttons_and_answered_with_a_receipt(
    tg_settings, api, caplog
):
    """The meeting is set up through the services; the casting goes through Telegram. Even at
    DEBUG, no log line holds the receipt or the marks."""
    caplog.set_level(logging.DEBUG)
    app = await App.open(tg_settings, SystemClock())
    members = app.services.membership
    codes = ("CTO", "AGG", "BLU", "BTE", "CMU", "DTP", "HGG", "KGG", "LAN")
    for i, code in enumerate(codes):
        await members.add_member(
            "mekong-health-2024", "telegram", str(3000 + i), code, Role.UNIT_REP, code
        )
    await members.add_member("mekong-health-2024", "telegram", "2999", "Thư ký", Role.SECRETARIAT)
    await app.services.meetings.open(await members.identify("telegram", "2999"), "Hội nghị")
    for i in range(len(codes)):
        await app.services.meetings.check_in(await members.identify("telegram", str(3000 + i)))
    chair = await members.identify("telegram", "3000")
    draft = await app.services.ballot_drafts.draft(
        chair, "Cờ thi đua của Chính phủ", BallotKind.ELECT, ["AGG", "VLG"]
    )
    ballot_id = (await app.services.polling.open(chair, draft.ballot.id)).ballot.id
    await app.close()

    agg = 3001
    async with running(tg_settings, api):
        # The engine delivers the ballot to every unit present, with a "Bỏ phiếu" button.
        await api.wait_for(lambda: any("đã mở" in t for t in api.texts_to(agg)))
        notice = next(
            c
            for c in api.called("sendMessage")
            if int(c.params["chat_id"]) == agg and "đã mở" in c.params["text"]
        )
        vote = notice.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        assert vote == f"1:vote:{ballot_id}:0"
        await api.press(agg, 900, vote)
        await api.wait_for(lambda: "Chọn một đơn vị để bầu." in api.texts_to(agg)[-1])
        paper = api.called("editMessageText")[-1].params["reply_markup"]["inline_keyboard"]
        assert [b["text"] for b in paper[0]] == ["AGG", "VLG"]
        await api.press(agg, 900, paper[0][0]["callback_data"])
        await api.wait_for(lambda: "Xem lại phiếu" in api.texts_to(agg)[-1])
        confirm = api.called("editMessageText")[-1].params["reply_markup"]["inline_keyboard"]
        await api.press(agg, 900, confirm[0][0]["callback_data"])
        await api.wait_for(lambda: "Mã biên nhận phiếu bầu số 1" in api.texts_to(agg)[-1])
        assert "✅ Đã bỏ phiếu" in api.texts_to(agg)[-2]  # the paper, now cast
        receipt = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}", api.texts_to(agg)[-1]).group()
        # Pressing confirm again (a double tap) casts nothing more.
        await api.press(agg, 900, confirm[0][0]["callback_data"])
        await api.wait_for(lambda: "đã bỏ phiếu số 1" in api.texts_to(agg)[-1])
        # The chair closes the ballot: 1 vote of 9 elects nobody, so a second round is offered.
        await api.press(3000, 901, f"1:bclose:{ballot_id}:yes")
        await api.wait_for(lambda: "Bầu vòng 2 giữa AGG, VLG" in str(api.calls[-1].params))
    logged = caplog.text
    assert receipt not in logged and confirm[0][0]["callback_data"] not in logged
    assert paper[0][0]["callback_data"] not in logged and "Xem lại phiếu" not in logged
    assert TOKEN not in logged
    app = await App.open(tg_settings, SystemClock())
    try:
        async with UnitOfWork(app.db) as uow:
            assert await uow.ballots.receipts(ballot_id) == [receipt]
            assert await uow.ballots.papers(ballot_id) == ["[0]"]  # opened at close
    finally:
        await app.close()


async def test_a_command_addressed_to_another_bot_is_ignored(tg_settings, api):
    async with running(tg_settings, api):
        await api.send_text(AGG_REP, "/start DEMO-AGG")
        await _reply(api, AGG_REP, 1)
        group = -100500
        await api.send_text(AGG_REP, "/score@other_bot", chat_id=group, chat_type="group")
        await api.send_text(AGG_REP, "/help@THIDUA_TEST_BOT", chat_id=group, chat_type="group")
        answer = await _reply(api, group, 1)
        await asyncio.sleep(0.3)
    assert answer.startswith("Các lệnh") and len(api.texts_to(group)) == 1


async def test_long_work_is_announced_at_once_and_quick_answers_are_not(tg_settings, api):
    usual = tg_settings.model_copy(update={"progress_after_seconds": 1.0})
    async with running(usual, api):  # the default threshold: /help is far quicker
        await api.send_text(AGG_REP, "/start DEMO-AGG")
        await api.send_text(AGG_REP, "/help")
        await _reply(api, AGG_REP, 2)
    assert not any("⏳" in t for t in api.texts_to(AGG_REP))
    slow = tg_settings.model_copy(update={"progress_after_seconds": 0})
    async with running(slow, api):  # everything counts as long: the note comes first
        await api.send_text(AGG_REP, "/help")
        await _reply(api, AGG_REP, 4)
    note, answer = api.texts_to(AGG_REP)[2:4]
    assert note.startswith("⏳ Đang tạo") and "Các lệnh" in answer
    assert api.called("sendChatAction")[-1].params["action"] == "upload_document"


async def test_a_polling_bot_answers_healthz_on_its_local_web_server(
    tg_settings, api, unused_tcp_port
):
    """A container's health check needs /healthz without a public address too."""
    settings = tg_settings.model_copy(update={"webhook_port": unused_tcp_port})
    async with running(settings, api), httpx.AsyncClient() as client:
        for _ in range(100):  # the local server starts after polling does
            try:
                answer = await client.get(f"http://127.0.0.1:{unused_tcp_port}/healthz")
                break
            except httpx.ConnectError:
                await asyncio.sleep(0.05)
        report = answer.json()
        assert answer.status_code == 200 and report["status"] == "ok"
        assert report["scheduler"]["this_process"] is True
        assert report["backend"] == ("postgresql" if settings.database_url else "sqlite")
