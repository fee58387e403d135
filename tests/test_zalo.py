"""End to end on Zalo: our own client and adapter, long polling or webhook, against a fake Zalo Bot
API server on loopback, with a real SQLite file. Everything is done by typing text."""

import asyncio
import logging
import os
import re
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from pydantic import SecretStr

from bot.app import App
from bot.channels.chat_menus import ChatMenus
from bot.channels.zalo import ZaloChannel
from bot.channels.zalo_api import ZaloApi
from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.models import Role
from bot.domain.voting import BallotKind
from bot.messages import Address, Attachment, Button, Reply, rows
from bot.serve import run_live
from bot.services.demo import DEMO_CLUSTER
from storage.uow import UnitOfWork

from .fake_zalo import TOKEN, FakeZaloApi

AGG = "8d2f0c1e5a7b3d9f4e61"  # Zalo user ids are opaque strings
SECRETARY = "b1c2d3e4f5a6b7c8d9e0"
ROOT = Path(__file__).resolve().parents[1]


@asynccontextmanager
async def running(settings: Settings, zalo: FakeZaloApi):
    stop = asyncio.Event()
    task = asyncio.create_task(run_live(settings, stop, poll_timeout=0.5))
    ready = "setWebhook" if settings.webhook_url else "deleteWebhook"
    await zalo.wait_for(lambda: zalo.called("getMe") and zalo.called(ready))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


async def ask(zalo: FakeZaloApi, user: str, text: str, expect: str, **kwargs) -> str:
    """Type `text` as `user`; the first new message to them that contains `expect`."""
    seen = len(zalo.texts_to(user))
    await zalo.send_text(user, text, **kwargs)
    await zalo.wait_for(lambda: any(expect in t for t in zalo.texts_to(user)[seen:]))
    return next(t for t in zalo.texts_to(user)[seen:] if expect in t)


async def test_joining_by_invite_and_answering_choices_by_number_or_label(zalo_settings, zalo):
    async with running(zalo_settings, zalo):
        welcome = await ask(zalo, AGG, "/start DEMO-AGG", "Chào mừng", name="Lan")
        assert "Chào mừng Lan! Anh/chị đã tham gia" in welcome
        menu = await ask(zalo, AGG, "/start", "Anh/chị cần làm gì?")
        assert "1. Thành viên\n2. Trợ giúp\n3. Ngôn ngữ" in menu
        assert menu.endswith("↩ Trả lời bằng số (1–3) hoặc gõ tên lựa chọn.")
        assert "1 đến 3" in await ask(zalo, AGG, "7", "Chỉ có các lựa chọn")
        assert "Chọn ngôn ngữ" in await ask(zalo, AGG, "3", "Chọn ngôn ngữ")
        assert await ask(zalo, AGG, "english", "Switched") == "Switched to English."
        await zalo.send_sticker(AGG)  # a thank-you sticker gets no answer
        await zalo.wait_for(lambda: zalo.idle_answers >= 2)  # idle polls answered 408 …
        await ask(zalo, AGG, "/lang", "Choose")  # … and polling went on
        # The channel's own hints speak the person's language, not the bot's default.
        menu = await ask(zalo, AGG, "/start", "What would you like to do?")
        assert menu.endswith("↩ Answer with a number (1–3) or type the choice.")
        assert "1 to 3" in await ask(zalo, AGG, "9", "There are only choices")
    app = await App.open(zalo_settings, SystemClock())
    try:
        caller = await app.services.membership.identify("zalo", AGG)
        assert caller.unit.code == "AGG" and caller.member.locale == "en"
    finally:
        await app.close()
    assert not any("sticker" in t for t in zalo.texts_to(AGG))


async def test_a_full_score_sheet_is_typed_and_submitted(zalo_settings, zalo):
    app = await App.open(zalo_settings, SystemClock())
    members = app.services.membership
    await members.add_member(DEMO_CLUSTER, "console", "secretariat", "Thư ký", Role.SECRETARIAT)
    scale = (ROOT / "bot" / "data" / "scale-example.yaml").read_text(encoding="utf-8")
    await app.services.scoring.import_scale(await members.identify("console", "secretariat"), scale)
    await app.close()

    async with running(zalo_settings, zalo):
        await ask(zalo, AGG, "/start DEMO-AGG", "Chào mừng")
        card = await ask(zalo, AGG, "/score", "1.1")
        # The card waits for a typed score: its choices are listed by label, not by number.
        assert "• Tiếp ▶" in card and "↩ Gõ câu trả lời" in card and "\n1. " not in card
        # Zalo passes on text and photos only: no Excel form to send back, evidence by photo.
        assert "Mẫu Excel" not in card and "gửi ảnh chụp làm minh chứng" in card
        for code, score in [("1.2", "25"), ("1.3", "10"), ("1.4", "9,5"), ("2.1", "10")]:
            await ask(zalo, AGG, score, code)
        for code, score in [("2.2", "10"), ("3.1", "5"), ("3.2", "10"), ("3.3", "10")]:
            await ask(zalo, AGG, score, code)
        await ask(zalo, AGG, "5", "3.4")
        await ask(zalo, AGG, "4", "B.1")  # every item scored: the bonus items follow
        back = await ask(zalo, AGG, "truoc", "3.4")  # "◀ Trước" typed without diacritics
        assert "4" in back
        summary = await ask(zalo, AGG, "tong hop", "1. Nộp bảng điểm")
        assert "2. Sửa tiếp" in summary
        confirm = await ask(zalo, AGG, "1", "1. Xác nhận nộp")
        assert "98,5" in confirm
        submitted = await ask(zalo, AGG, "1", "Đã nộp bảng")
        assert "98,5" in submitted
    app = await App.open(zalo_settings, SystemClock())
    try:
        view = await app.services.scoring.sheet(await app.services.membership.identify("zalo", AGG))
        assert not view.editable and float(view.totals.total) == 98.5
    finally:
        await app.close()


async def test_a_secret_ballot_is_cast_by_text_only(zalo_settings, zalo):
    app = await App.open(zalo_settings, SystemClock())
    members = app.services.membership
    codes = ("CTO", "AGG", "BLU", "BTE", "CMU", "DTP", "HGG", "KGG", "LAN")
    ids = {code: f"{i:04x}zalo{code.lower()}" for i, code in enumerate(codes)}
    for code in codes:
        await members.add_member(DEMO_CLUSTER, "zalo", ids[code], code, Role.UNIT_REP, code)
    await members.add_member(DEMO_CLUSTER, "zalo", SECRETARY, "Thư ký", Role.SECRETARIAT)
    await app.services.meetings.open(await members.identify("zalo", SECRETARY), "Hội nghị")
    for code in codes:
        await app.services.meetings.check_in(await members.identify("zalo", ids[code]))
    chair = await members.identify("zalo", ids["CTO"])
    draft = await app.services.ballot_drafts.draft(
        chair, "Bằng khen của Bộ trưởng", BallotKind.CHOOSE, ["AGG", "VLG", "CTO"], quota=2
    )
    ballot_id = (await app.services.polling.open(chair, draft.ballot.id)).ballot.id
    await app.close()

    agg = ids["AGG"]
    async with running(zalo_settings, zalo):
        await zalo.wait_for(lambda: any("đã mở" in t for t in zalo.texts_to(agg)))
        notice = next(t for t in zalo.texts_to(agg) if "đã mở" in t)
        assert "1. 🗳 Bỏ phiếu" in notice
        paper = await ask(zalo, agg, "1", "1. ☐ AGG")
        assert "2. ☐ VLG\n3. ☐ CTO\n4. Xem lại và bỏ phiếu" in paper
        assert "1. ☑ AGG" in await ask(zalo, agg, "1", "☑ AGG")
        paper = await ask(zalo, agg, "3", "☑ CTO")
        assert "☑ AGG" in paper and "☐ VLG" in paper
        review = await ask(zalo, agg, "xem lai va bo phieu", "1. ✔ Xác nhận bỏ phiếu")
        assert "2. Sửa lại" in review
        receipt_text = await ask(zalo, agg, "1", "Mã biên nhận phiếu số 1")
        receipt = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}", receipt_text).group()
        # The paper is gone with the receipt: "1" now chooses nothing and casts nothing.
        assert "Chưa rõ yêu cầu" in await ask(zalo, agg, "1", "Chưa rõ")
    app = await App.open(zalo_settings, SystemClock())
    try:
        async with UnitOfWork(app.db) as uow:
            assert await uow.ballots.receipts(ballot_id) == [receipt]
            assert len(await uow.ballots.sealed(ballot_id)) == 1  # sealed until the close
            assert await uow.chat_menus.get("zalo", agg) is None
    finally:
        await app.close()


async def test_telegram_and_zalo_run_together_on_one_core(zalo_settings, zalo):
    from .fake_telegram import TOKEN as TG_TOKEN
    from .fake_telegram import FakeBotApi

    telegram = FakeBotApi()
    await telegram.start()
    settings = zalo_settings.model_copy(
        update={"telegram_token": SecretStr(TG_TOKEN), "telegram_base_url": telegram.base_url}
    )
    try:
        async with running(settings, zalo):
            await telegram.wait_for(lambda: len(telegram.called("setMyCommands")) == 2)
            await telegram.send_text(3003, "/start DEMO-SECRETARIAT", name="Thư ký")
            await telegram.send_text(3003, "/invites")
            await telegram.wait_for(lambda: len(telegram.texts_to(3003)) == 2)
            invites = telegram.texts_to(3003)[1]
            assert "https://t.me/thidua_test_bot?start=DEMO-AGG" in invites
            assert "Người dùng Zalo: tìm tài khoản bot “bot.thidua” trên Zalo" in invites
            # No deep links on Zalo: the code typed on its own joins.
            assert "Chào mừng Lan" in await ask(zalo, AGG, "demo-agg", "Chào mừng", name="Lan")
            await telegram.send_text(1002, "/start DEMO-AGG", name="Hùng")  # a second AGG rep
            await telegram.wait_for(lambda: len(telegram.texts_to(1002)) == 1)
            await ask(zalo, AGG, "/members", "Lan")
            await telegram.send_text(3003, "/broadcast")
            await telegram.send_text(3003, "Mời họp tổng kết ngày 20/12.")
            await telegram.wait_for(lambda: len(telegram.texts_to(3003)) == 4)
            await telegram.press(3003, 700, "1:bcto:reps")
            await telegram.wait_for(lambda: len(telegram.texts_to(3003)) == 5)
            await telegram.press(3003, 701, "1:bcgo:send")
            await zalo.wait_for(lambda: any("Mời họp" in t for t in zalo.texts_to(AGG)))
            await telegram.wait_for(lambda: any("Mời họp" in t for t in telegram.texts_to(1002)))
        roster = next(t for t in zalo.texts_to(AGG) if "Hùng" in t)
        assert "Lan" in roster  # one unit, a representative on each channel
    finally:
        await telegram.stop()


async def test_webhook_mode_checks_the_secret_and_serves_file_links(
    zalo_settings, zalo, unused_tcp_port
):
    settings = zalo_settings.model_copy(
        update={
            "webhook_url": f"http://127.0.0.1:{unused_tcp_port}",
            "webhook_secret": SecretStr("s3cret-value"),
            "webhook_port": unused_tcp_port,
        }
    )
    base = f"http://127.0.0.1:{unused_tcp_port}"
    async with running(settings, zalo):
        assert zalo.webhook == {"url": f"{base}/zalo", "secret_token": "s3cret-value"}
        update = {
            "event_name": "message.text.received",
            "message": zalo.message(AGG, "Lan", "PRIVATE", text="/start DEMO-AGG"),
        }
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{base}/healthz")).json()["status"] == "ok"
            wrong = await client.post(
                f"{base}/zalo", json=update, headers={"X-Bot-Api-Secret-Token": "guess"}
            )
            assert wrong.status_code == 403
            right = await client.post(
                f"{base}/zalo",
                json={"ok": True, "result": update},  # wrapped like a getUpdates answer
                headers={"X-Bot-Api-Secret-Token": "s3cret-value"},
            )
            assert right.status_code == 200
            again = await client.post(
                f"{base}/zalo", json=update, headers={"X-Bot-Api-Secret-Token": "s3cret-value"}
            )
            assert again.status_code == 200  # a redelivery: accepted, handled once
            await zalo.wait_for(lambda: zalo.texts_to(AGG))
            # A chart goes as a photo by URL, a document as a link; both served by us.
            sender = DirectSender(settings)
            to = Address("zalo", AGG)
            await sender.start_sending()
            await sender.channel.send(
                to, Reply("Biểu đồ", photo=Attachment("xep-hang.png", b"\x89PNG", "image/png"))
            )
            await sender.channel.send(
                to, Reply("Biên bản", document=Attachment("bien-ban.pdf", b"%PDF", None))
            )
            await sender.close()
            photo = zalo.called("sendPhoto")[-1].params
            assert photo["caption"] == "Biểu đồ" and photo["photo"].startswith(f"{base}/files/")
            served = await client.get(photo["photo"])
            assert served.content == b"\x89PNG" and served.headers["content-type"] == "image/png"
            link = zalo.texts_to(AGG)[-1].split("📎 bien-ban.pdf: ")[1].split()[0]
            assert (await client.get(link)).content == b"%PDF"
            assert (await client.get(link[:-20] + "x" * 20)).status_code == 404
    assert len(zalo.texts_to(AGG)) == 3  # welcome once, the photo, the link


class DirectSender:
    """A second adapter on the same database, to send replies directly."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def start_sending(self) -> None:
        from bot.channels.file_links import FileLinks

        self.app = await App.open(self.settings, SystemClock())
        url = self.settings.webhook_url
        self.channel = ZaloChannel(
            ZaloApi(TOKEN, self.settings.zalo_base_url),
            claim=self.app.updates.claim,
            menus=ChatMenus(self.app.db),
            files=FileLinks(self.app.db, SystemClock(), url, 7) if url else None,
            locale="vi",
        )

    async def close(self) -> None:
        await self.channel.api.close()
        await self.app.close()


async def test_long_texts_are_split_and_files_without_a_public_address_are_explained(
    zalo_settings, zalo
):
    sender = DirectSender(zalo_settings)
    await sender.start_sending()
    try:
        to = Address("zalo", AGG)
        lines = "\n".join(f"Dòng {i:04d} " + "x" * 40 for i in range(100))
        buttons = ((Button("Đồng ý", "1:menu:help"), Button("Mở", url="https://t.me/x")),)
        await sender.channel.send(to, Reply(lines, buttons=buttons))
        await sender.channel.send(to, Reply("Biểu đồ", photo=Attachment("a.png", b"png")))
        menu = rows([("Xem lại", "1:menu:help")])
        await sender.channel.send(to, Reply("Biên bản", menu, document=Attachment("b.pdf", b"%")))
        minutes = Button("Biên bản PDF", "1:bmin:1:pdf", sends_file=True)
        await sender.channel.send(to, Reply("Kết quả", ((minutes, Button("Trợ giúp", "1:help")),)))
    finally:
        await sender.close()
    parts = zalo.texts_to(AGG)
    assert all(len(p) <= 2000 for p in parts) and len(parts) == 6
    assert "".join(parts[:3]).count("Dòng") == 100  # split at line breaks, nothing lost
    assert parts[2].endswith("1. Đồng ý\n↩ Trả lời bằng số (1–1) hoặc gõ tên lựa chọn.")
    assert "🔗 Mở: https://t.me/x" in parts[2]
    assert "THIDUA_WEBHOOK_URL" in parts[3] and not zalo.called("sendPhoto")
    # The note about the file is part of the text, before the choices and how to answer them.
    note, menu_at = parts[4].index("📎 b.pdf"), parts[4].index("1. Xem lại")
    assert note < menu_at and parts[4].endswith("gõ tên lựa chọn.")
    # A choice whose answer is a file is not offered; the text says where to get the file.
    assert "Biên bản PDF" not in parts[5] and "1. Trợ giúp" in parts[5]
    assert "nhận qua Telegram hoặc nhờ thư ký cụm" in parts[5]


async def test_server_errors_are_retried_and_a_blocked_member_is_reported_once(
    zalo_settings, zalo, caplog
):
    caplog.set_level(logging.DEBUG)
    zalo.fail["sendMessage"] = [429, 502]
    async with running(zalo_settings, zalo):
        await ask(zalo, SECRETARY, "/start DEMO-SECRETARIAT", "Chào mừng")
        await ask(zalo, AGG, "/start DEMO-AGG", "Chào mừng")
        zalo.blocked.add(AGG)
        await ask(zalo, SECRETARY, "/deadline", "Nhập tên hạn")
        await ask(zalo, SECRETARY, "Báo cáo tháng 12", "Nhập thời hạn")
        await ask(zalo, SECRETARY, "20/12/2030 17:00", "• Tất cả đơn vị")
        await ask(zalo, SECRETARY, "AGG", "1. Tạo hạn")
        await ask(zalo, SECRETARY, "1", "Không gửi được tin nhắn tới")
    assert sum("Không gửi được tin nhắn tới" in t for t in zalo.texts_to(SECRETARY)) == 1
    assert "retrying" in caplog.text
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text


async def test_a_refused_token_stops_the_bot_with_one_line(zalo_settings, zalo):
    wrong = "1:wrong-zalo-token"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "THIDUA_ZALO_TOKEN": wrong,
        "THIDUA_ZALO_BASE_URL": zalo.base_url,
        "THIDUA_DATABASE_PATH": str(zalo_settings.database_path),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=ROOT, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    text = stderr.decode()
    assert process.returncode == 2 and "Traceback" not in text and wrong not in text
    assert "Zalo refused the token (Zalo Bot API error 401: Unauthorized)" in text


async def test_an_idle_poll_answered_at_once_is_paced_not_spun(zalo_settings):
    server = FakeZaloApi(idle_wait=0)  # answers 408 at once, as a proxy might
    await server.start()
    settings = zalo_settings.model_copy(update={"zalo_base_url": server.base_url})
    try:
        async with running(settings, server):
            before = server.idle_answers
            await asyncio.sleep(2)
            polls = server.idle_answers - before
            await ask(server, AGG, "/start DEMO-AGG", "Chào mừng")  # and it still hears people
    finally:
        await server.stop()
    assert 1 <= polls <= 6, f"{polls} idle polls in 2 s"


async def test_a_chair_on_zalo_drafts_a_ballot_by_numbers_from_numbered_lists(zalo_settings, zalo):
    app = await App.open(zalo_settings, SystemClock())
    members = app.services.membership
    codes = ("CTO", "AGG", "BLU", "BTE", "CMU", "DTP", "HGG", "KGG", "LAN")
    for i, code in enumerate(codes):
        await members.add_member(
            DEMO_CLUSTER, "zalo", f"{i:04x}zc{code.lower()}", code, Role.UNIT_REP, code
        )
    await members.add_member(DEMO_CLUSTER, "zalo", SECRETARY, "Thư ký", Role.SECRETARIAT)
    await app.services.meetings.open(await members.identify("zalo", SECRETARY), "Hội nghị")
    for i, code in enumerate(codes):
        await app.services.meetings.check_in(
            await members.identify("zalo", f"{i:04x}zc{code.lower()}")
        )
    awards = await app.services.ballot_drafts.awards(await members.identify("zalo", "0000zccto"))
    await app.close()

    chair = "0000zccto"
    async with running(zalo_settings, zalo):
        card = await ask(zalo, chair, "/ballot", "Tạo phiếu mới")
        new = next(line.split(".")[0] for line in card.splitlines() if "Tạo phiếu mới" in line)
        # The meeting's check-in notice may land after the card: it must not take the numbers.
        await zalo.wait_for(lambda: any("✋ Điểm danh" in t for t in zalo.texts_to(chair)))
        texts = zalo.texts_to(chair)
        if "Tạo phiếu mới" in texts[-2]:  # it came last: its choice answers by label only
            assert "• ✋ Điểm danh" in texts[-1] and "1. ✋" not in texts[-1]
        listed = await ask(zalo, chair, new, awards[0])
        assert f"1. {awards[0]}" in listed and "↩ Trả lời bằng số" in listed  # numbered
        kinds = await ask(zalo, chair, "1", "chọn hình thức bỏ phiếu")  # "1" is the award
        assert kinds.startswith(f"{awards[0]}:")
        choose = next(line.split(".")[0] for line in kinds.splitlines() if "Chọn tối đa" in line)
        await ask(zalo, chair, choose, "chỉ tiêu")
        proposals = await ask(zalo, chair, "2", "Chọn danh sách đơn vị")
        assert "1. Dùng danh sách 1" in proposals
        draft = await ask(zalo, chair, "1", "Đơn vị được đề xuất")  # "1" is the first list
    assert awards[0] in draft and "Tất cả 13" not in draft


async def test_a_zalo_secretariat_brings_in_the_scale_through_an_upload_link(
    zalo_settings, zalo, unused_tcp_port
):
    """Zalo passes on no documents: /upload gives the secretariat a link to a page that takes one
    file, once, and hands it to the bot as if sent in the chat; the answer comes in the chat."""
    base = f"http://127.0.0.1:{unused_tcp_port}"
    settings = zalo_settings.model_copy(
        update={
            "webhook_url": base,
            "webhook_secret": SecretStr("s3cret-value"),
            "webhook_port": unused_tcp_port,
        }
    )
    scale = (ROOT / "bot" / "data" / "scale-example.yaml").read_bytes()
    async with running(settings, zalo), httpx.AsyncClient(base_url=base) as client:

        async def say(user: str, text: str, expect: str) -> str:
            seen = len(zalo.texts_to(user))
            update = {"event_name": "message.text.received"}
            update["message"] = zalo.message(user, "Thư ký", "PRIVATE", text=text)
            secret = {"X-Bot-Api-Secret-Token": "s3cret-value"}
            assert (await client.post("/zalo", json=update, headers=secret)).status_code == 200
            await zalo.wait_for(lambda: any(expect in t for t in zalo.texts_to(user)[seen:]))
            return next(t for t in zalo.texts_to(user)[seen:] if expect in t)

        await say(SECRETARY, "/start DEMO-SECRETARIAT", "Chào mừng")
        await say(AGG, "/start DEMO-AGG", "Chào mừng")
        assert "Việc này dành cho" in await say(AGG, "/upload", "quyền")  # not theirs to do
        offer = await say(SECRETARY, "/tailen", "📤")
        link = re.search(rf"{re.escape(base)}/upload/\S+", offer).group(0)
        path = link.removeprefix(base)

        page = await client.get(path)
        assert page.status_code == 200 and 'type="file"' in page.text
        assert page.headers["cache-control"] == "no-store"
        # Refused without using the link up: too large, or no file at all.
        big = {"file": ("big.yaml", b"#" * (1024 * 1024 + 1), "application/yaml")}
        too_large = await client.post(path, files=big)
        assert too_large.status_code == 413 and "lớn hơn 1 MB" in too_large.text
        empty = await client.post(path, data={"note": "x"})
        assert empty.status_code == 400 and "Chưa chọn tệp" in empty.text

        seen = len(zalo.texts_to(SECRETARY))
        done = await client.post(path, files={"file": ("thang-diem.yaml", scale, "text/yaml")})
        assert done.status_code == 200 and "Đã nhận tệp thang-diem.yaml" in done.text
        assert "Đã nhập thang điểm" in done.text
        assert any("Đã nhập thang điểm" in t for t in zalo.texts_to(SECRETARY)[seen:])
        # Once only.
        assert (await client.get(path)).status_code == 410
        again = await client.post(path, files={"file": ("thang-diem.yaml", scale, "text/yaml")})
        assert again.status_code == 410 and "/upload" in again.text
    app = await App.open(settings, SystemClock())
    try:
        secretary = await app.services.membership.identify("zalo", SECRETARY)
        assert (await app.services.scoring.current(secretary))[1].criteria
        stored = await app.db.conn.execute_fetchall("SELECT token_hash FROM upload_links")
        token = path.rsplit("/", 1)[1]
        assert len(stored) == 1 and token not in stored[0][0]  # only its hash is kept
    finally:
        await app.close()


async def test_without_a_public_address_upload_says_where_to_send_files_instead(
    zalo_settings, zalo
):
    async with running(zalo_settings, zalo):
        await ask(zalo, SECRETARY, "/start DEMO-SECRETARIAT", "Chào mừng")
        answer = await ask(zalo, SECRETARY, "/upload", "THIDUA_WEBHOOK_URL")
        assert "qua Telegram" in answer
