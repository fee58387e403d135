"""A whole year on Zalo by typing alone, against the fake Zalo Bot API over loopback: the
secretariat brings in the scale through an upload link, units join, a deadline is reported, a sheet
is scored and submitted, the review meeting checks in, a secret ballot is drafted from numbered
lists, cast and closed, and the minutes arrive as a link. No step needs a button or a document."""

import io
import re

import httpx
from pydantic import SecretStr
from pypdf import PdfReader

from .test_zalo import ROOT, running

CODES = ("CTO", "AGG", "BLU", "BTE", "CMU", "DTP", "HGG", "KGG", "LAN")
SECRETARY = "5ec2e7a2b1c4d6f8a0b2"


def user(code: str) -> str:
    return f"zalo{code.lower()}0000000000000"


def numbered(text: str, label: str) -> str:
    """What to type for the choice whose label contains `label`: its number in a numbered menu,
    or its whole label where the choices answer by label (a notice that came while the person
    was answering another message)."""
    for line in text.splitlines():
        found = re.match(r"^(\d+)\. (.*)$", line)
        if found and label in found.group(2):
            return found.group(1)
        found = re.match(r"^• (.*)$", line)
        if found and label in found.group(1):
            return found.group(1)
    raise AssertionError(f"no choice {label!r} in:\n{text}")


async def test_a_year_on_zalo_by_typing_alone(zalo_settings, zalo, unused_tcp_port):
    base = f"http://127.0.0.1:{unused_tcp_port}"
    settings = zalo_settings.model_copy(
        update={
            "webhook_url": base,
            "webhook_secret": SecretStr("year-secret"),
            "webhook_port": unused_tcp_port,
        }
    )
    async with running(settings, zalo), httpx.AsyncClient(base_url=base) as web:

        async def say(who: str, text: str, expect: str) -> str:
            seen = len(zalo.texts_to(who))
            update = {"event_name": "message.text.received"}
            update["message"] = zalo.message(who, who[:8], "PRIVATE", text=text)
            secret = {"X-Bot-Api-Secret-Token": "year-secret"}
            assert (await web.post("/zalo", json=update, headers=secret)).status_code == 200
            try:
                await zalo.wait_for(lambda: any(expect in t for t in zalo.texts_to(who)[seen:]))
            except TimeoutError:
                raise AssertionError(f"{expect!r} not in {zalo.texts_to(who)[seen:]}") from None
            return next(t for t in zalo.texts_to(who)[seen:] if expect in t)

        async def later(who: str, expect: str) -> str:
            await zalo.wait_for(lambda: any(expect in t for t in zalo.texts_to(who)))
            return [t for t in zalo.texts_to(who) if expect in t][-1]

        # January: the secretariat joins and brings in the scale through an upload link.
        await say(SECRETARY, "/start DEMO-SECRETARIAT", "Chào mừng")
        offer = await say(SECRETARY, "/upload", "📤")
        link = re.search(r"http://\S+/upload/\S+", offer).group(0).removeprefix(base)
        scale = (ROOT / "bot" / "data" / "scale-example.yaml").read_bytes()
        page = await web.post(link, files={"file": ("thang-diem.yaml", scale, "text/yaml")})
        assert "Đã nhập thang điểm" in page.text
        for code in CODES:
            await say(user(code), f"/start DEMO-{code}", "Chào mừng")

        # A reporting deadline: set by the secretariat, reported by AGG from the notice.
        await say(SECRETARY, "/deadline", "Nhập tên hạn")
        await say(SECRETARY, "Báo cáo 6 tháng", "Nhập thời hạn")
        targets = await say(SECRETARY, "30/06/2031 17:00", "Tất cả đơn vị")
        assert "• Tất cả đơn vị" in targets
        create = await say(SECRETARY, "AGG", "Tạo hạn")
        await say(SECRETARY, numbered(create, "Tạo hạn"), "Đã tạo")
        notice = await later(user("AGG"), "Báo cáo 6 tháng")
        confirm = await say(user("AGG"), numbered(notice, "Đã nộp"), "Xác nhận Sở Y tế An Giang")
        done = "Đã ghi nhận Sở Y tế An Giang đã nộp"
        await say(user("AGG"), numbered(confirm, "Xác nhận đã nộp"), done)

        # Self-scoring: every item in one message, then the summary and the submission.
        agg = user("AGG")
        await say(agg, "/chamdiem", "1.1")
        typed = "1.1 = 25; 1.2 = 10; 1.3 = 9,5; 1.4 = 10; 2.1 = 10; 2.2 = 5; 3.1 = 10"
        summary = await say(agg, typed + "; 3.2 = 10; 3.3 = 5; 3.4 = 4", "Nộp bảng điểm")
        confirm = await say(agg, numbered(summary, "Nộp bảng điểm"), "Xác nhận nộp")
        assert "98,5" in confirm
        await say(agg, numbered(confirm, "Xác nhận nộp"), "Đã nộp bảng")

        # The review meeting: opened by the secretariat, every unit checks in from its notice.
        meeting = await say(SECRETARY, "/meeting", "Khai mạc hội nghị")
        card = await say(SECRETARY, numbered(meeting, "Khai mạc hội nghị"), "Có mặt")
        assert "Có mặt: 0/13" in card
        for count, code in enumerate(CODES, start=1):
            notice = await later(user(code), "✋ Điểm danh")
            await say(user(code), numbered(notice, "Điểm danh"), f"Hiện có {count}/13 đơn vị")

        # The chair drafts a secret ballot from numbered lists and opens it.
        chair = user("CTO")
        ballots = await say(chair, "/phieu", "Tạo phiếu mới")
        awards = await say(chair, numbered(ballots, "Tạo phiếu mới"), "↩ Trả lời bằng số")
        kinds = await say(chair, numbered(awards, "Cờ thi đua của Chính phủ"), "hình thức")
        await say(chair, numbered(kinds, "Chọn tối đa"), "chỉ tiêu")
        lists = await say(chair, "2", "Chọn danh sách đơn vị")
        # Only AGG has a ranked sheet: that list is shorter than the quota, and says so.
        assert "1. Theo xếp hạng điểm: AGG" in lists
        short = await say(chair, "1", "ít hơn chỉ tiêu 2")
        assert "chọn danh sách khác" in short
        draft = await say(chair, "AGG, BLU, CMU", "Đơn vị được đề xuất")
        await say(chair, numbered(draft, "Mở phiếu"), "Đã mở phiếu số 1")

        # Every unit present votes from the notice: AGG and BLU, reviewed, then cast.
        receipts = []
        for code in CODES:
            notice = await later(user(code), "đã mở")
            paper = await say(user(code), numbered(notice, "Bỏ phiếu"), "☐ AGG")
            await say(user(code), numbered(paper, "AGG"), "☑ AGG")
            paper = await say(user(code), numbered(paper, "BLU"), "☑ BLU")
            review = await say(user(code), numbered(paper, "Xem lại"), "Xác nhận bỏ phiếu")
            receipt = await say(user(code), numbered(review, "Xác nhận"), "🧾 Mã biên nhận")
            receipts.append(re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}", receipt).group())
            if code == "CTO":  # the chair's live view follows the first vote at once (not 20 s)
                await later(chair, "Đã bỏ phiếu: 1/9 đơn vị")

        # The chair closes it; the result reaches everyone, the minutes come as a link.
        ballots = await say(chair, "/phieu", "Phiếu số 1")
        card = await say(chair, numbered(ballots, "Phiếu 1"), "Đóng phiếu")
        assert "Đã bỏ phiếu: 9/9 đơn vị" in card
        ask = await say(chair, numbered(card, "Đóng phiếu"), "Đóng và kiểm phiếu")
        result = await say(chair, numbered(ask, "Đóng và kiểm phiếu"), "Kết quả phiếu số 1")
        winners = "Được đề nghị tặng Cờ thi đua của Chính phủ: Sở Y tế An Giang (AGG); Sở Y tế"
        assert winners in result and "✖ CMU: 0 phiếu" in result
        for code in CODES:
            assert winners in await later(user(code), "Kết quả phiếu số 1")
        # The chair had the result as the answer, and not once more as the members' notice.
        assert sum("📋 Kết quả phiếu số 1" in t for t in zalo.texts_to(chair)) == 1
        minutes = await say(chair, numbered(result, "Biên bản PDF"), "📎")
        url = re.search(r"📎 \S+\.pdf: (\S+)", minutes).group(1)
        pdf = await web.get(url.removeprefix(base))
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "BIÊN BẢN KIỂM PHIẾU" in text
    assert all(receipt in text for receipt in receipts)  # each unit finds its own paper counted
