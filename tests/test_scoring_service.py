"""Score sheets on a real SQLite file: drafts survive restarts, submission freezes the sheet and
the scale, completes linked deadlines, and feeds the ranking."""

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.domain.errors import FileInvalid, Forbidden, InvalidInput
from bot.services.demo import seed_demo

from .conftest import VN

SCALE_TEXT = (
    Path(__file__).resolve().parents[1] / "bot" / "data" / "scale-example.yaml"
).read_text(encoding="utf-8")
FULL = {c: "5" for c in ("1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "3.1", "3.2", "3.3", "3.4")}
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=VN)


@pytest.fixture
async def app(settings):
    application = await App.open(settings, ManualClock(NOW))
    await seed_demo(application.services.membership)
    yield application
    await application.close()


async def _who(app, handle):
    return await app.services.membership.identify("console", handle.lower())


async def test_only_the_secretariat_sets_the_scale_and_only_reps_score(app):
    scoring = app.services.scoring
    with pytest.raises(Forbidden):
        await scoring.import_scale(await _who(app, "AGG"), SCALE_TEXT)
    with pytest.raises(FileInvalid):
        await scoring.import_scale(await _who(app, "secretariat"), "scale: {total: 10}")
    await scoring.import_scale(await _who(app, "secretariat"), SCALE_TEXT)
    with pytest.raises(Forbidden):
        await scoring.sheet(await _who(app, "observer"))


async def test_a_bad_value_in_a_batch_stores_nothing(app):
    scoring = app.services.scoring
    await scoring.import_scale(await _who(app, "secretariat"), SCALE_TEXT)
    agg = await _who(app, "AGG")
    with pytest.raises(InvalidInput):
        await scoring.set_scores(agg, {"1.1": "20", "1.2": "11"})
    assert (await scoring.sheet(agg)).scores == {}


async def test_draft_survives_a_restart(settings, app):
    scoring = app.services.scoring
    await scoring.import_scale(await _who(app, "secretariat"), SCALE_TEXT)
    await scoring.set_scores(await _who(app, "AGG"), {"1.1": "9,5"})
    await app.close()
    reopened = await App.open(settings, ManualClock(NOW))
    view = await reopened.services.scoring.sheet(
        await reopened.services.membership.identify("console", "agg")
    )
    await reopened.close()
    assert view.scores == {"1.1": Decimal("9.5")} and view.status == "draft"


async def test_submission_freezes_the_sheet_and_the_scale_and_completes_linked_deadlines(app):
    scoring, secretariat = app.services.scoring, await _who(app, "secretariat")
    await scoring.import_scale(secretariat, SCALE_TEXT)
    calendar = "calendar:\n  - {title: Tự chấm điểm, due: '11-30', scoring_round: year-end}\n"
    [board], _ = await app.services.deadlines.import_calendar(secretariat, calendar)
    agg = await _who(app, "AGG")
    with pytest.raises(InvalidInput) as caught:
        await scoring.submit(agg)
    assert caught.value.key == "score.incomplete"
    await scoring.set_scores(agg, FULL)
    view = await scoring.submit(agg)
    assert view.status == "submitted" and view.totals.total == Decimal(50)
    with pytest.raises(InvalidInput) as caught:
        await scoring.set_scores(agg, {"1.1": "6"})
    assert caught.value.key == "score.read_only"
    with pytest.raises(InvalidInput) as caught:
        await scoring.import_scale(secretariat, SCALE_TEXT)
    assert caught.value.key == "scale.frozen"
    deadline = await app.services.deadlines.board(secretariat, board.deadline.id)
    done = [r.unit.code for r in deadline.rows if r.completion]
    assert done == ["AGG"]


async def test_ranking_uses_submitted_sheets_only(app):
    scoring = app.services.scoring
    await scoring.import_scale(await _who(app, "secretariat"), SCALE_TEXT)
    for handle, extra in (("AGG", {}), ("BLU", {"1.1": "20"})):
        rep = await _who(app, handle)
        await scoring.set_scores(rep, {**FULL, **extra})
        await scoring.submit(rep)
    await scoring.set_scores(await _who(app, "CTO"), {"1.1": "25"})  # a draft does not rank
    ranking = await scoring.ranking(await _who(app, "observer"))
    assert [(r.rank, r.entry.unit_code, str(r.entry.total)) for r in ranking.rows] == [
        (1, "BLU", "65"),
        (2, "AGG", "50"),
    ]
    assert "CTO" in ranking.not_submitted


async def test_verification_needs_reasons_never_covers_own_unit_and_feeds_the_ranking(app):
    scoring = app.services.scoring
    await scoring.import_scale(await _who(app, "secretariat"), SCALE_TEXT)
    for handle in ("AGG", "CTO"):
        rep = await _who(app, handle)
        await scoring.set_scores(rep, FULL)
        await scoring.submit(rep)
    chair = await _who(app, "CTO")
    agg_id = (await _who(app, "AGG")).unit.id
    with pytest.raises(InvalidInput) as caught:
        await app.services.verification.review(chair, chair.unit.id)
    assert caught.value.key == "verify.own_unit"
    with pytest.raises(Forbidden):
        await app.services.verification.review(await _who(app, "BLU"), agg_id)
    with pytest.raises(InvalidInput) as caught:
        await app.services.verification.set_verified(chair, agg_id, {"1.1": (Decimal(3), None)})
    assert caught.value.key == "verify.reason_needed"
    await app.services.verification.set_verified(
        chair, agg_id, {"1.1": (Decimal(3), "Thiếu minh chứng")}
    )
    review = await app.services.verification.finish_verification(chair, agg_id)
    assert [(d.code, d.own, d.verified) for d in review.differences] == [
        ("1.1", Decimal(5), Decimal(3))
    ]
    ranking = await scoring.ranking(chair)
    assert [(r.entry.unit_code, str(r.entry.total), r.entry.verified) for r in ranking.rows] == [
        ("CTO", "50", False),
        ("AGG", "48", True),
    ]


async def test_a_returned_sheet_is_editable_again_and_loses_its_verification(app):
    scoring, secretariat = app.services.scoring, await _who(app, "secretariat")
    await scoring.import_scale(secretariat, SCALE_TEXT)
    agg = await _who(app, "AGG")
    await scoring.set_scores(agg, FULL)
    await scoring.submit(agg)
    with pytest.raises(Forbidden):
        await app.services.verification.return_sheet(await _who(app, "CTO"), agg.unit.id, "x")
    with pytest.raises(InvalidInput):
        await app.services.verification.return_sheet(secretariat, agg.unit.id, "   ")
    await app.services.verification.return_sheet(secretariat, agg.unit.id, "Thiếu minh chứng")
    view = await scoring.set_scores(agg, {"1.1": "6"})
    assert view.status == "returned" and view.scores["1.1"] == Decimal(6)
    assert (await scoring.submit(agg)).status == "submitted"


async def test_the_exported_workbook_reopens_with_the_right_numbers(app):
    import io

    from openpyxl import load_workbook

    from bot.render.charts import ranking_chart
    from bot.render.official import score_summary
    from bot.render.xlsx import score_workbook

    scoring, secretariat = app.services.scoring, await _who(app, "secretariat")
    await scoring.import_scale(secretariat, SCALE_TEXT)
    from bot.messages import Attachment

    for handle, extra in (("AGG", {"1.1": "9,5", "B.1": "10", "T.1": "0,25"}), ("BLU", {})):
        rep = await _who(app, handle)
        await scoring.set_scores(rep, {**FULL, **extra})
        if handle == "AGG":
            await scoring.annotate(rep, "1.2", note="  QĐ số 12  ")
            await scoring.annotate(rep, "1.2", evidence=Attachment("qd-12.pdf", b"%PDF"))
        await scoring.submit(rep)
    chair = await _who(app, "CTO")
    agg_id = (await _who(app, "AGG")).unit.id
    await app.services.verification.set_verified(
        chair, agg_id, {"1.2": (Decimal("4.5"), "Thiếu minh chứng")}
    )
    await app.services.verification.finish_verification(chair, agg_id)
    with pytest.raises(Forbidden):
        await scoring.export(await _who(app, "AGG"))
    export = await scoring.export(secretariat)
    letter = await app.services.paperwork.summary_letter(secretariat, export.round.key)
    data = score_workbook("vi", score_summary(export, letter), export)
    book = load_workbook(io.BytesIO(data))
    summary = book["Tổng hợp"]
    cells = [[c for c in row] for row in summary.iter_rows(values_only=True)]
    flat = [v for row in cells for v in row if v is not None]
    assert "BẢNG TỔNG HỢP KẾT QUẢ CHẤM ĐIỂM THI ĐUA" in flat and "NGƯỜI LẬP BIỂU" in flat
    assert "Độc lập - Tự do - Hạnh phúc" in flat and "Số: 01/BC-CTĐ" in flat
    header = next(i for i, row in enumerate(cells) if row[0] == "STT")
    assert cells[header][2:5] == ["I (55)", "II (15)", "III (30)"]
    rows = {r[1]: r for r in cells[header + 1 :] if isinstance(r[0], int)}
    # In rank order, numbers as numbers: AGG 45 + 9,5 − 0,5 (1.2 verified 4,5) + 10 bonus
    # − 0,25 = 63,75; BLU 50; the other eleven units are listed as not submitted.
    agg, blu = rows["Sở Y tế An Giang (AGG)"], rows["Sở Y tế Bạc Liêu (BLU)"]
    assert agg[0] == 1 and agg[5:10] == [10, -0.25, 63.75, 1, "Trung bình"]
    assert blu[0] == 2 and blu[7:10] == [50, 2, "Trung bình"]
    assert len(rows) == 13 and rows["Sở Y tế Vĩnh Long (VLG)"][9] == "chưa nộp"
    unit = book["AGG"]
    lines = list(unit.iter_rows(min_row=4, values_only=True))
    items = {r[0]: r for r in lines if r[0]}
    assert items["1.2"][2:7] == (10, 5, 4.5, "Thiếu minh chứng", "QĐ số 12; minh chứng: qd-12.pdf")
    assert items["T.1"][3:5] == (-0.25, -0.25)  # a deduction shows negative
    total = next(r for r in lines if r[1] == "Tổng cộng")
    assert total[2:5] == (100, 64.25, 63.75)
    counted = [r for r in lines if r[0] or (r[1] or "").startswith("Phần vượt")]
    assert sum(r[3] or 0 for r in counted) == total[3]  # the items add up to the total
    assert sum(r[4] or 0 for r in counted) == total[4]
    assert all(r[4] is None for r in book["BLU"].iter_rows(min_row=4, values_only=True))
    png = ranking_chart("vi", export.ranking)
    assert png.startswith(b"\x89PNG") and len(png) > 5000


def test_the_xlsx_writer_escapes_text_and_keeps_sheet_names_valid_and_unique():
    import io

    from openpyxl import load_workbook

    from bot.render.xlsx_writer import NUMBER, TEXT, XlsxBook

    book = XlsxBook()
    first = book.add_sheet("Sở A/B: [đợt 1]", [10, 10], print_title_row=1)
    first.append([("Tên <đơn vị> & \x07 “trích dẫn”", TEXT), (9.75, NUMBER)])
    book.add_sheet("Sở A/B: [đợt 1]", [10])
    reopened = load_workbook(io.BytesIO(book.save()))
    assert reopened.sheetnames == ["Sở A-B- -đợt 1-", "Sở A-B- -đợt 1-~2"]
    sheet = reopened["Sở A-B- -đợt 1-"]
    assert sheet["A1"].value == "Tên <đơn vị> &  “trích dẫn”" and sheet["B1"].value == 9.75
    assert sheet["B1"].number_format == "General"  # as the reader's Excel writes numbers


async def test_a_later_round_becomes_the_one_units_score(app):
    scoring, secretariat = app.services.scoring, await _who(app, "secretariat")
    six_month = SCALE_TEXT.replace("scale:\n", "scale:\n  round: six-month\n", 1)
    await scoring.import_scale(secretariat, six_month)
    agg = await _who(app, "AGG")
    assert (await scoring.sheet(agg)).round.key == "six-month"
    await scoring.set_scores(agg, FULL)
    await scoring.submit(agg)
    await scoring.import_scale(secretariat, SCALE_TEXT)  # year-end, not frozen by six-month
    view = await scoring.sheet(agg)
    assert view.round.key == "year-end" and view.status == "draft" and view.scores == {}
    with pytest.raises(FileInvalid):
        await scoring.import_scale(
            secretariat, SCALE_TEXT.replace("scale:\n", "scale:\n  round: Cuối Năm\n", 1)
        )


async def test_cross_scoring_lets_exactly_the_assigned_unit_verify(app):
    scoring, secretariat = app.services.scoring, await _who(app, "secretariat")
    await scoring.import_scale(secretariat, SCALE_TEXT)
    agg, blu, bte = await _who(app, "AGG"), await _who(app, "BLU"), await _who(app, "BTE")
    await scoring.set_scores(agg, FULL)
    await scoring.submit(agg)
    with pytest.raises(Forbidden):
        await app.services.verification.assign_cross_scoring(agg, {"AGG": "BLU"})
    with pytest.raises(InvalidInput):
        await app.services.verification.assign_cross_scoring(secretariat, {"AGG": "AGG"})
    with pytest.raises(InvalidInput):
        await app.services.verification.assign_cross_scoring(secretariat, {"AGG": "XYZ"})
    await app.services.verification.assign_cross_scoring(secretariat, {"AGG": "BLU"})
    assert [line.unit.code for line in await app.services.verification.to_verify(blu)] == ["AGG"]
    assert await app.services.verification.to_verify(bte) == []
    with pytest.raises(Forbidden):
        await app.services.verification.review(bte, agg.unit.id)
    await app.services.verification.set_verified(
        blu, agg.unit.id, {"1.1": (Decimal(4), "Thiếu minh chứng")}
    )
    review = await app.services.verification.finish_verification(blu, agg.unit.id)
    assert review.final_totals.total == Decimal(49)
    rotated = await app.services.verification.assign_cross_scoring(secretariat, None)
    assert [(u.code, v.code) for u, v in rotated][:3] == [
        ("CTO", "AGG"),
        ("AGG", "BLU"),
        ("BLU", "BTE"),
    ]
    assert rotated[-1][1].code == "CTO"


async def test_reopening_the_round_unfreezes_the_scale_and_returns_every_sheet(app):
    scoring, secretariat = app.services.scoring, await _who(app, "secretariat")
    await scoring.import_scale(secretariat, SCALE_TEXT)
    agg = await _who(app, "AGG")
    await scoring.set_scores(agg, FULL)
    await scoring.submit(agg)
    with pytest.raises(InvalidInput):
        await scoring.import_scale(secretariat, SCALE_TEXT)
    with pytest.raises(Forbidden):
        await app.services.verification.reopen_round(agg, "x")
    assert await app.services.verification.reopen_round(secretariat, "Điều chỉnh mục 1.1") == 1
    await scoring.import_scale(
        secretariat, SCALE_TEXT.replace("max: 25", "max: 24", 1).replace("max: 10}", "max: 11}", 1)
    )
    view = await scoring.sheet(agg)
    assert view.status == "returned" and view.scores["1.1"] == Decimal(5)
    assert view.scale.criterion("1.1").max == Decimal(24)
