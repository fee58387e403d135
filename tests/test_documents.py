"""Official documents end to end: a meeting held through the services, then every document taken
from the chat as PDF, Word and Excel (written by the console into a folder), each opened with
pypdf, python-docx and openpyxl and checked for what Decree 30 and the councils' forms ask."""

import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document as read_docx
from openpyxl import load_workbook
from pypdf import PdfReader

from bot.app import App, run_console
from bot.clock import ManualClock
from bot.domain.voting import BallotKind
from bot.render.document import Document, Paragraph, Signature
from bot.render.docx_writer import docx_bytes
from bot.render.pdf_writer import pdf_bytes
from bot.services.demo import seed_demo

from .conftest import VN

ROOT = Path(__file__).resolve().parents[1]
SCALE = (ROOT / "bot" / "data" / "scale-example.yaml").read_text(encoding="utf-8")
PRESENT = ("CTO", "AGG", "BLU", "BTE", "CMU", "DTP", "HGG", "KGG", "LAN", "STG")
MEETING_DAY = datetime(2026, 12, 18, 8, 30, tzinfo=VN)
FULL = {
    "1.1": "25", "1.2": "10", "1.3": "10", "1.4": "10", "2.1": "10", "2.2": "5",
    "3.1": "10", "3.2": "10", "3.3": "5", "3.4": "5",
}  # fmt: skip


async def _hold_meeting(settings) -> None:
    """Ten units score (AGG with bonus beyond the cap and a deduction), the meeting checks them
    in, and an approve ballot for the Government Emulation Flag is counted."""
    clock = ManualClock(datetime(2026, 11, 25, 9, 0, tzinfo=VN))
    app = await App.open(settings, clock, scheduled=False)
    try:
        services = app.services
        await seed_demo(services.membership)

        async def who(handle: str):
            return await services.membership.identify("console", handle.lower())

        await services.scoring.import_scale(await who("secretariat"), SCALE)
        for index, code in enumerate(PRESENT):
            rep = await who(code)
            scores = {**FULL, "1.1": str(25 - index)}
            if code == "AGG":
                scores |= {"B.1": "10", "B.2": "15", "T.1": "2"}
            await services.scoring.set_scores(rep, scores)
            await services.scoring.submit(rep)
        clock.move_to(MEETING_DAY)
        await services.meetings.open(await who("CTO"), "Hội nghị tổng kết, bình xét năm 2026")
        for code in PRESENT:
            await services.meetings.check_in(await who(code))
        chair = await who("CTO")
        draft = await services.ballot_drafts.draft(
            chair, "Cờ thi đua của Chính phủ", BallotKind.APPROVE, ["CTO", "AGG", "VLG"], 1
        )
        view = await services.polling.open(chair, draft.ballot.id)
        for index, code in enumerate(PRESENT):
            marks = {0} if index < 8 else {1}
            await services.polling.cast(await who(code), view.ballot.id, frozenset(marks))
        clock.move_to(MEETING_DAY.replace(hour=9, minute=40))
        await services.counting.close(chair, view.ballot.id)
    finally:
        await app.close()


@pytest.fixture
async def papers(settings, tmp_path):
    """Every document, taken from the chat: {file name: bytes}."""
    await _hold_meeting(settings)
    folder = tmp_path / "files"
    lines = [
        "@secretariat /meeting",
        "@secretariat [👥 Thành phần, địa điểm]",
        "@secretariat Hội trường Sở Y tế TP Cần Thơ",
        "@secretariat Nguyễn Văn An, Giám đốc Sở Y tế TP Cần Thơ",
        "@secretariat Trần Thị Bình",
        "@secretariat Lê Văn Cường; Phạm Thị Dung; Võ Minh Em",
        "@secretariat /results",
        "@secretariat [Phiếu 1]",
        "@secretariat [Biên bản PDF]",
        "@secretariat [Biên bản Word]",
        "@secretariat [Biên bản Excel]",
        "@secretariat /results",
        "@secretariat [📄 Biên bản hội nghị]",
        "@secretariat [PDF]",
        "@secretariat /results",
        "@secretariat [📄 Biên bản hội nghị]",
        "@secretariat [Word]",
        "@secretariat /results",
        "@secretariat [📄 Tờ trình: Cờ thi đua của Chính phủ]",
        "@secretariat [PDF]",
        "@secretariat /results",
        "@secretariat [📄 Tờ trình: Cờ thi đua của Chính phủ]",
        "@secretariat [Word]",
        "@secretariat /export",
        "@secretariat [Bảng tổng hợp PDF]",
        "@secretariat [Bảng tổng hợp Word]",
    ]
    out = io.StringIO()
    await run_console(settings, lines, out, seed="members", now=MEETING_DAY, files=folder)
    written = {p.name: p.read_bytes() for p in folder.iterdir()}
    expected = {
        "bien-ban-kiem-phieu-1.pdf",
        "bien-ban-kiem-phieu-1.docx",
        "bien-ban-kiem-phieu-1.xlsx",
        "bien-ban-hoi-nghi.pdf",
        "bien-ban-hoi-nghi.docx",
        "to-trinh-co-thi-dua-cua-chinh-phu.pdf",
        "to-trinh-co-thi-dua-cua-chinh-phu.docx",
        "bang-diem-year-end.xlsx",
        "bang-tong-hop-year-end.pdf",
        "bang-tong-hop-year-end.docx",
    }
    assert expected <= set(written), out.getvalue()[-2000:]
    return written


def _pdf(data: bytes) -> list[str]:
    """Each page's text, lines joined: what a reader sees, whatever the line breaks."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def _docx_text(data: bytes) -> str:
    doc = read_docx(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


HEAD = [
    "CỤM THI ĐUA CÁC SỞ Y TẾ",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Cần Thơ, ngày 18 tháng 12 năm 2026",
]


async def test_the_vote_count_minutes_carry_the_board_the_counts_and_the_closing(papers):
    pages = _pdf(papers["bien-ban-kiem-phieu-1.pdf"])
    text = "\n".join(pages)
    for expected in [
        *HEAD,
        "Số: 01/BB-CTĐ",
        "BIÊN BẢN KIỂM PHIẾU",
        "Hội trường Sở Y tế TP Cần Thơ",
        "Lê Văn Cường – Tổ trưởng",
        "Số phiếu phát ra",
        "Được đề nghị",
        "đã đọc lại cho hội nghị nghe và thông qua",
        "TM. TỔ KIỂM PHIẾU",
        "Võ Minh Em",
    ]:
        assert expected in text, expected
    assert "Quy tắc: đơn vị đạt khi được trên 50%" in text
    assert "chỉ hiện số đơn vị đã bỏ" not in text  # no chat wording in an official record
    word = _docx_text(papers["bien-ban-kiem-phieu-1.docx"])
    assert "Số: 01/BB-CTĐ" in word and "Lê Văn Cường" in word and "Tổ trưởng" in word
    book = load_workbook(io.BytesIO(papers["bien-ban-kiem-phieu-1.xlsx"]))
    cells = [v for row in book.active.iter_rows(values_only=True) for v in row if v is not None]
    assert "BIÊN BẢN KIỂM PHIẾU" in cells and "Số phiếu phát ra" in cells
    counts = [
        row for row in book.active.iter_rows(values_only=True) if row[0] == "Số phiếu phát ra"
    ]
    assert counts[0][1] == 10  # a number, not the text "10"
    share = next(
        r for r in book.active.iter_rows(values_only=True) if r[1] == "Sở Y tế TP Cần Thơ (CTO)"
    )
    assert share[0] == 1 and share[2] == 8 and isinstance(share[4], float)


async def test_the_meeting_minutes_name_who_was_there_and_every_result(papers):
    text = "\n".join(_pdf(papers["bien-ban-hoi-nghi.pdf"]))
    for expected in [
        *HEAD,
        "Số: 02/BB-CTĐ",
        "BIÊN BẢN",
        "Thời gian: 08 giờ 30 phút, ngày 18 tháng 12 năm 2026",
        "Chủ trì hội nghị: Nguyễn Văn An, Giám đốc Sở Y tế TP Cần Thơ",
        "Thư ký hội nghị: Trần Thị Bình",
        "Có mặt: 10/13",
        "Vắng mặt: Sở Y tế Tiền Giang (TGG)",
        "Đề nghị Cờ thi đua của Chính phủ: Sở Y tế TP Cần Thơ (CTO)",
        "CHỦ TRÌ HỘI NGHỊ",
        "THƯ KÝ",
    ]:
        assert expected in text, expected
    word = _docx_text(papers["bien-ban-hoi-nghi.docx"])
    assert "Vắng mặt: Sở Y tế Tiền Giang (TGG)" in word and "Số: 02/BB-CTĐ" in word


async def test_the_nomination_letter_goes_to_the_council_with_scores_ranks_and_shares(papers):
    text = "\n".join(_pdf(papers["to-trinh-co-thi-dua-cua-chinh-phu.pdf"]))
    for expected in [
        *HEAD,
        "Số: 01/TTr-CTĐ",
        "TỜ TRÌNH",
        "Về việc đề nghị tặng Cờ thi đua của Chính phủ năm 2026",
        "Kính gửi: Hội đồng Thi đua – Khen thưởng Bộ Y tế",
        "Luật Thi đua, khen thưởng",
        "(Số: 02/BB-CTĐ)",  # refers to the meeting's minutes
        "Sở Y tế TP Cần Thơ (CTO)",
        "Nơi nhận:",
        "TM. CỤM THI ĐUA",
        "CỤM TRƯỞNG",
        "Nguyễn Văn An",
    ]:
        assert expected in text, expected
    doc = read_docx(io.BytesIO(papers["to-trinh-co-thi-dua-cua-chinh-phu.docx"]))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "STT")
    cto = [c.text for c in table.rows[1].cells]
    assert cto[1] == "Sở Y tế TP Cần Thơ (CTO)" and cto[2] == "100" and cto[4] == "80"


async def test_the_score_summary_is_in_rank_order_with_a_column_per_group(papers):
    reader = PdfReader(io.BytesIO(papers["bang-tong-hop-year-end.pdf"]))
    page = reader.pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    for expected in [*HEAD, "Số: 01/BC-CTĐ", "BẢNG TỔNG HỢP KẾT QUẢ CHẤM ĐIỂM", "I (55)"]:
        assert expected in text, expected
    assert "NGƯỜI LẬP BIỂU" in text and "TM. CỤM THI ĐUA" in text
    doc = read_docx(io.BytesIO(papers["bang-tong-hop-year-end.docx"]))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "STT")
    order = [r.cells[1].text for r in table.rows[1:]]
    # AGG: 100 − 1 + 15 (bonus capped) − 2 = 112 leads; CTO 100; then by 1.1 descending.
    assert order[:3] == [
        "Sở Y tế An Giang (AGG)",
        "Sở Y tế TP Cần Thơ (CTO)",
        "Sở Y tế Bạc Liêu (BLU)",
    ]
    agg = [c.text for c in table.rows[1].cells]
    assert agg[5:10] == ["15", "-2", "112", "1", "Xuất sắc"]
    assert order[-3:] == [
        f"Sở Y tế {n}" for n in ("Tiền Giang (TGG)", "Trà Vinh (TVH)", "Vĩnh Long (VLG)")
    ]


async def test_word_copies_use_times_new_roman_repeat_headers_and_keep_signatures_whole(papers):
    doc = read_docx(io.BytesIO(papers["bien-ban-kiem-phieu-1.docx"]))
    assert doc.styles["Normal"].font.name == "Times New Roman"
    section = doc.sections[0]
    assert round(section.left_margin.mm) == 30 and round(section.page_width.mm) == 210
    grids = [t for t in doc.tables if t.rows[0].cells[0].text in ("Nội dung", "STT")]
    assert grids and all(
        t.rows[0]._tr.trPr is not None and t.rows[0]._tr.trPr.find(_w("tblHeader")) is not None
        for t in grids
    )
    signatures = doc.tables[-1]
    assert all(row._tr.trPr.find(_w("cantSplit")) is not None for row in signatures.rows)
    closing = next(p for p in doc.paragraphs if "đã đọc lại cho hội nghị" in p.text)
    assert closing.paragraph_format.keep_with_next


def _w(tag: str) -> str:
    return "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}" + tag


async def test_a_corrected_name_is_remade_with_the_same_number(settings, papers, tmp_path):
    folder = tmp_path / "again"
    lines = [
        "@secretariat /meeting",
        "@secretariat [👥 Thành phần, địa điểm]",
        "@secretariat -",
        "@secretariat Nguyễn Văn Anh, Giám đốc Sở Y tế TP Cần Thơ",
        "@secretariat -",
        "@secretariat -",
        "@secretariat [📄 Biên bản hội nghị]",
        "@secretariat [PDF]",
    ]
    out = io.StringIO()
    await run_console(settings, lines, out, seed="members", now=MEETING_DAY, files=folder)
    text = "\n".join(_pdf((folder / "bien-ban-hoi-nghi.pdf").read_bytes()))
    assert "Nguyễn Văn Anh, Giám đốc" in text and "Số: 02/BB-CTĐ" in text


@pytest.mark.parametrize("filler", range(14, 30))
def test_the_signatures_never_leave_the_closing_text_behind(filler):
    """However long the body, the closing formula and the signatures share a page."""
    body = tuple(
        Paragraph(f"Đoạn {n}: nội dung hội nghị được ghi lại đầy đủ trong biên bản này.")
        for n in range(filler)
    ) + (Paragraph("Biên bản lập xong, đã đọc lại cho hội nghị nghe và thông qua.", closing=True),)
    document = Document(
        issuer=("CỤM THI ĐUA THỬ",),
        number="Số: 01/BB-CTĐ",
        place_date="Cần Thơ, ngày 18 tháng 12 năm 2026",
        title="BIÊN BẢN",
        file_stem="thu",
        body=body,
        signatures=(Signature("THƯ KÝ", None, "Trần Thị Bình"), Signature("CHỦ TRÌ", None, "An")),
    )
    pages = _pdf(pdf_bytes(document))
    closing = next(i for i, p in enumerate(pages) if "đã đọc lại cho hội nghị" in p)
    hint = next(i for i, p in enumerate(pages) if "Ký, ghi rõ họ tên" in p)
    name = next(i for i, p in enumerate(pages) if "Trần Thị Bình" in p)
    assert closing == hint == name, (filler, len(pages))
    assert docx_bytes(document).startswith(b"PK")


def test_numbers_read_the_vietnamese_way_in_tables():
    from bot.render.document import cell_text

    assert [cell_text(v) for v in (Decimal("61.54"), Decimal("70.00"), 13, None)] == [
        "61,54",
        "70",
        "13",
        "",
    ]


def test_the_cluster_file_letterhead_is_read_and_a_bad_one_named():
    from bot.domain.cluster_file import parse_cluster_file
    from bot.domain.errors import FileInvalid

    base = (
        "clusters:\n  - key: k1\n    name: Khối thi đua số 9\n    kind: khối\n    period: 2026\n"
        "    units: [{code: SYT, name: Sở Y tế}]\n"
    )
    good = base + (
        "    letterhead: {parent: UBND thành phố Hà Nội, issuer: [Khối thi đua số 9],"
        " place: Hà Nội, council: Hội đồng Thi đua – Khen thưởng thành phố}\n"
    )
    [spec] = parse_cluster_file(good)
    head = spec.letterhead
    assert head.parent == "UBND THÀNH PHỐ HÀ NỘI" and head.issuer == ("KHỐI THI ĐUA SỐ 9",)
    assert head.place == "Hà Nội" and head.council.startswith("Hội đồng Thi đua")
    assert parse_cluster_file(base)[0].letterhead.issuer_lines("Khối 9") == ("KHỐI 9",)
    for bad in ("5", "{logo: x.png}", "{issuer: [1, 2]}", "{place: [a, b]}"):
        with pytest.raises(FileInvalid) as error:
            parse_cluster_file(base + f"    letterhead: {bad}\n")
        assert ("cluster_file.bad_letterhead", {"cluster": "k1"}) in error.value.problems
