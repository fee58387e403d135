"""Excel in and out, the way offices work: a scale typed in Excel, and the unit's score form
filled in Excel and sent back, both through the console on a real SQLite file."""

import io
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from bot.app import run_console
from bot.clock import ManualClock
from bot.config import database_target
from bot.domain.errors import FileInvalid
from bot.domain.scale_file import parse_scale
from bot.domain.scale_sheet import scale_yaml_from_rows
from bot.render.xlsx_writer import NUMBER, TEXT, XlsxBook
from bot.services.membership import Membership
from bot.services.scoring import Scoring
from handlers.notices import ChatNotices
from storage.opening import open_database

from .conftest import VN

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=VN)


def _office_scale() -> bytes:
    book = XlsxBook()
    sheet = book.add_sheet("Thang điểm", [6, 50, 10])
    rows = [
        [("BẢNG ĐIỂM THI ĐUA NĂM 2025", TEXT)],
        [("STT", TEXT), ("Nội dung tiêu chí", TEXT), ("Điểm tối đa", TEXT)],
        [("I", TEXT), ("Thực hiện nhiệm vụ chuyên môn, kế hoạch", TEXT), (60, NUMBER)],
        [(1.1, NUMBER), ("Hoàn thành chỉ tiêu", TEXT), (35, NUMBER)],
        [(1.2, NUMBER), ("Chất lượng dịch vụ", TEXT), ("25", TEXT)],
        [("II", TEXT), ("Công tác thi đua", TEXT), (40, NUMBER)],
        [("2.1", TEXT), ("Báo cáo đúng hạn", TEXT), ("39,5", TEXT)],
        [("2.2", TEXT), ("Khác", TEXT), (0.5, NUMBER)],
        [(None, TEXT), ("Điểm thưởng", TEXT), (10, NUMBER)],
        [("B.1", TEXT), ("Được tặng cờ", TEXT), (10, NUMBER)],
        [(None, TEXT), ("Điểm trừ", TEXT)],
        [("T.1", TEXT), ("Chậm báo cáo", TEXT), (5, NUMBER)],
        [(None, TEXT), ("Tổng cộng", TEXT), (100, NUMBER)],
    ]
    for row in rows:
        sheet.append(row)
    return book.save()


async def test_an_office_excel_scale_becomes_the_scale_file():
    from bot.render.xlsx_reader import first_sheet_rows

    scale = parse_scale(scale_yaml_from_rows(await first_sheet_rows(_office_scale()), "tệp"))
    assert scale.name == "BẢNG ĐIỂM THI ĐUA NĂM 2025" and scale.total == Decimal(100)
    assert [(g.code, g.max) for g in scale.groups] == [("I", Decimal(60)), ("II", Decimal(40))]
    assert scale.criterion("2.1").max == Decimal("39.5") and scale.bonus_cap == Decimal(10)
    assert [c.code for c in scale.deductions] == ["T.1"]


def test_an_excel_without_the_expected_columns_is_refused():
    with pytest.raises(FileInvalid) as caught:
        scale_yaml_from_rows([["Họ tên", "Ngày sinh"], ["A", "1/1/1990"]], "x")
    assert caught.value.problems[0][0] == "scale_sheet.no_header"


async def test_scale_in_excel_and_the_filled_score_form_round_trip(settings, tmp_path):
    scale_file = tmp_path / "thang-diem-2025.xlsx"
    scale_file.write_bytes(_office_scale())
    broken = tmp_path / "hong.xlsx"
    broken.write_bytes(b"not a zip")
    out = io.StringIO()
    await run_console(
        settings,
        [
            f"@AGG file:{scale_file}",
            f"@secretariat file:{broken}",
            f"@secretariat file:{scale_file}",
            "@AGG /score",
            "@AGG [📄 Mẫu Excel]",
        ],
        out,
        now=NOW,
    )
    text = out.getvalue()
    assert "Không đọc được tệp Excel" in text
    assert "Đã nhập thang điểm “BẢNG ĐIỂM THI ĐUA NĂM 2025”: 6 mục, tổng 100 điểm." in text
    assert "📎 tu-cham-AGG-year-end.xlsx" in text

    # The unit fills the form in Excel (here: openpyxl) and sends it back.
    db = await open_database(database_target(settings))
    clock = ManualClock(NOW)
    agg = await Membership(db, clock, settings).identify("console", "agg")
    scoring = Scoring(db, clock, settings, ChatNotices())
    from bot.render.xlsx import score_template

    form = load_workbook(
        io.BytesIO(score_template("vi", "Sở Y tế An Giang", await scoring.sheet(agg)))
    )
    sheet = form.worksheets[0]
    values = {"1.1": 30, "1.2": "24,5", "2.1": 39.5, "2.2": 0.5, "T.1": 1}
    for row in sheet.iter_rows(min_row=4):
        if row[0].value in values:
            row[3].value = values[row[0].value]
        if row[0].value == "1.2":
            row[4].value = "Khảo sát hài lòng 92%"
    filled = tmp_path / "tu-cham-AGG.xlsx"
    form.save(filled)
    await db.close()

    out = io.StringIO()
    await run_console(settings, ["@AGG /score", f"@AGG file:{filled}"], out, now=NOW)
    assert "Đã lưu điểm 5 mục." in out.getvalue()
    assert (
        "Tổng điểm: 93,5 (94,5/100 điểm các tiêu chí − 1 điểm trừ)" in out.getvalue()
    )  # 30 + 24,5 + 39,5 + 0,5 − 1
    db = await open_database(database_target(settings))
    view = await Scoring(db, clock, settings, ChatNotices()).sheet(agg)
    await db.close()
    assert view.notes == {"1.2": "Khảo sát hài lòng 92%"} and view.scores["1.2"] == Decimal("24.5")
