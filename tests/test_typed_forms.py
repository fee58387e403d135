"""What people type, read as they mean it (issue: "typed input is stricter than people type"):
every unambiguous form is accepted, ambiguous ones are refused with an example."""

from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain.errors import FileInvalid, InvalidInput
from bot.domain.scale_file import parse_scale
from bot.domain.scoring import is_bulk, parse_bulk, parse_score
from handlers.units import means_all

from .test_console import _console

SCALE_FILE = Path(__file__).resolve().parents[1] / "bot" / "data" / "scale-example.yaml"
SCALE = parse_scale(SCALE_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("9,5", "9.5"),
        ("9.5", "9.5"),
        ("10", "10"),
        ("7 ,5", "7.5"),
        ("7, 5", "7.5"),
        ("10 điểm", "10"),
        ("10 Điểm", "10"),
        ("10 diem", "10"),
        ("10đ", "10"),
        ("  8,25 ", "8.25"),
    ],
)
def test_a_score_is_read_in_every_unambiguous_form(typed, expected):
    assert parse_score(typed) == Decimal(expected)


@pytest.mark.parametrize("typed", ["1e3", "-1", "9,555", "10 d", "²", "mười", "9 5", "10 điểm 5"])
def test_what_is_not_a_score_is_refused(typed):
    with pytest.raises(InvalidInput) as refused:
        parse_score(typed)
    assert refused.value.key == "score.not_a_number"


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("2.1 = 10, 2.2 = 5", {"2.1": "10", "2.2": "5"}),
        ("1.3=9 1.4=8,5", {"1.3": "9", "1.4": "8.5"}),
        ("1.1: 20", {"1.1": "20"}),
        ("t.1 = 2", {"T.1": "2"}),
        ("b.1=10đ; 1.2 = 7 ,5", {"B.1": "10", "1.2": "7.5"}),
        ("1.1 = 9,5\n1.2 = 10", {"1.1": "9.5", "1.2": "10"}),
    ],
)
def test_several_items_are_read_as_people_type_them(typed, expected):
    assert is_bulk(typed)
    assert parse_bulk(SCALE, typed) == {k: Decimal(v) for k, v in expected.items()}


@pytest.mark.parametrize("typed", ["9,5", "10 điểm", "7 ,5"])
def test_one_score_is_for_the_item_on_the_card(typed):
    assert not is_bulk(typed)


def test_every_problem_of_a_bulk_entry_is_listed_and_nothing_is_kept():
    with pytest.raises(FileInvalid) as refused:
        parse_bulk(SCALE, "1.1 = 30, 9.9 = 1; 1.2 = x")
    keys = [key for key, _ in refused.value.problems]
    assert keys == ["score.above_max", "score.bulk_unknown", "score.not_a_number"]


@pytest.mark.parametrize("typed", ["tất cả", "Tất cả đơn vị", "tat ca", "ALL", "toàn bộ"])
def test_all_units_in_words(typed):
    assert means_all(typed)


def test_codes_are_not_all_units():
    assert not means_all("TGG, TVH") and not means_all("tất")


async def test_huy_and_giup_typed_on_a_score_card_are_the_commands(settings):
    out = await _console(
        settings,
        [
            f"@secretariat file:{SCALE_FILE}",
            "@AGG /score",
            "@AGG giúp",
            "@AGG /score",
            "@AGG hủy",
            "@AGG 9,5",
        ],
    )
    assert "Các lệnh" in out and "Đã hủy thao tác đang dở." in out
    assert "không phải là một số" not in out  # neither word was read as a score
    assert "Chưa rõ yêu cầu" in out  # after cancelling, a bare number is not a score


async def test_tat_ca_typed_for_a_deadline_means_every_unit(settings):
    out = await _console(
        settings,
        [
            "@secretariat /deadline",
            "@secretariat Báo cáo quý",
            "@secretariat 30/06/2031 17:00",
            "@secretariat tất cả",
        ],
    )
    assert "TẤT" not in out and "áp dụng cho tất cả" in out.lower()


async def test_a_note_lands_on_the_item_named_or_last_typed(settings):
    out = await _console(
        settings,
        [
            f"@secretariat file:{SCALE_FILE}",
            "@AGG /score",  # the card of 1.1 is open
            "@AGG 1.2 = 8, 3.2 = 9",
            "@AGG Ghi chú: theo biên bản kiểm tra",  # about 3.2, typed last, not the card's 1.1
            "@AGG ghi chu b.1: Bằng khen số 5",
            "@AGG Ghi chú Z.9: không có mục này",
        ],
    )
    assert "Đã lưu ghi chú cho mục 3.2." in out and "Đã lưu ghi chú cho mục B.1." in out
    after_32 = out.split("Đã lưu ghi chú cho mục 3.2.")[1]
    assert after_32.split("\n")[2].startswith("Mục 3.2") and "theo biên bản kiểm tra" in after_32
    assert "Không có mục Z.9 trong thang điểm" in out


async def test_entries_typed_at_the_summary_are_taken(settings):
    every = "1.1=25;1.2=10;1.3=10;1.4=10;2.1=10;2.2=5;3.1=10;3.2=10;3.3=5;3.4=5"
    out = await _console(
        settings,
        [
            f"@secretariat file:{SCALE_FILE}",
            "@AGG /score",
            f"@AGG {every}",
            "@AGG /score",  # every item scored: the summary, which takes named entries
            "@AGG B.1 = 3",
            "@AGG /score",
            "@AGG 9",  # a bare number at the summary: which item?
        ],
    )
    assert out.count("Đã lưu điểm 10 mục.") == 1 and "Đã lưu điểm 1 mục." in out
    assert "Tổng điểm: 103 (100/100 điểm các tiêu chí + 3 điểm thưởng)" in out
    assert "ghi rõ mục cần chấm, ví dụ “1.1 = 9,5”" in out


def test_the_items_a_return_reason_names_are_found_in_order():
    from bot.domain.scoring import items_named

    reason = "Mục 1.2 thiếu minh chứng; b.1 chưa có quyết định (xem lại 1.2). Điểm 9.5 ok"
    assert items_named(SCALE, reason) == ["1.2", "B.1"]
    assert items_named(SCALE, "Thiếu chữ ký") == []
