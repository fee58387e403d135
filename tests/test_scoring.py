"""Scoring rules, pure: numbers as offices type them, totals without float drift, caps,
deductions, the scale file, ranking tie-breaks and bands."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain.errors import FileInvalid, InvalidInput
from bot.domain.scale_file import parse_scale
from bot.domain.scoring import (
    RankEntry,
    band,
    check_score,
    fmt,
    parse_bulk,
    parse_score,
    rank,
    totals,
)

SCALE = parse_scale(
    (Path(__file__).resolve().parents[1] / "bot" / "data" / "scale-example.yaml").read_text(
        encoding="utf-8"
    )
)
D = Decimal


@pytest.mark.parametrize(
    "text, value", [("9,5", "9.5"), ("9.5", "9.5"), (" 10 ", "10"), ("0,25", "0.25"), ("0", "0")]
)
def test_scores_accept_comma_or_point(text, value):
    assert parse_score(text) == D(value)


@pytest.mark.parametrize("text", ["-1", "abc", "1e9", "9,555", "", "9,", ",5", "1 000", "nan"])
def test_malformed_scores_are_refused(text):
    with pytest.raises(InvalidInput) as caught:
        parse_score(text)
    assert caught.value.key == "score.not_a_number"


def test_a_score_above_the_item_max_is_refused():
    item = SCALE.criterion("1.2")
    assert check_score(item, D(10)) == D(10)
    with pytest.raises(InvalidInput) as caught:
        check_score(item, D("10.5"))
    assert caught.value.key == "score.above_max" and caught.value.params["max"] == "10"


def test_decimals_sum_exactly():
    assert parse_score("9,5") + parse_score("0,25") == D("9.75")
    assert sum([parse_score("0,1")] * 3, D(0)) == D("0.3")


def test_totals_cap_the_bonus_and_subtract_deductions():
    scores = {"1.1": D(25), "1.2": D("9.5"), "2.1": D(10), "B.1": D(10), "B.2": D(15), "T.1": D(2)}
    result = totals(SCALE, scores)
    assert result.by_group == {"I": D("34.5"), "II": D(10), "III": D(0)}
    assert result.bonus == D(15)  # 25 claimed, capped at 15
    assert result.total == D("34.5") + D(10) + D(15) - D(2)
    assert "1.3" in result.missing and "B.1" not in result.missing


def test_vietnamese_number_format():
    assert [fmt(D(x)) for x in ("9.5", "10", "0.25", "100.00")] == ["9,5", "10", "0,25", "100"]


def test_bulk_form_reads_every_line_or_lists_every_problem():
    assert parse_bulk(SCALE, "1.1 = 20\n1.2: 9,5\n\n") == {"1.1": D(20), "1.2": D("9.5")}
    with pytest.raises(FileInvalid) as caught:
        parse_bulk(SCALE, "1.1 = 30\n9.9 = 1\n1.2 = abc\nkhông có dấu bằng")
    assert [k for k, _ in caught.value.problems] == [
        "score.above_max",
        "score.bulk_unknown",
        "score.not_a_number",
        "score.bulk_unknown",
    ]
    with pytest.raises(InvalidInput):
        parse_bulk(SCALE, "  \n")


def test_the_example_scale_parses():
    assert SCALE.total == D(100) and [g.code for g in SCALE.groups] == ["I", "II", "III"]
    assert SCALE.bonus_cap == D(15) and len(SCALE.criteria) == 14
    assert SCALE.criterion("1.2").title == "Đơn vị đạt loại tốt trở lên, không có đơn vị yếu kém"
    assert SCALE.criterion("3.4").title == "Báo cáo thi đua đầy đủ, đúng hạn"


def test_scale_problems_are_listed_at_once():
    text = """
scale:
  total: 50
  groups:
    - code: I
      items:
        - {code: "1.1", title: A, max: 20}
        - {code: "1.1", title: B, max: 10}
        - {code: "1.3", title: C, max: -1}
        - {code: "1.4", title: D, max: 2.555}
"""
    with pytest.raises(FileInvalid) as caught:
        parse_scale(text)
    assert [k for k, _ in caught.value.problems] == [
        "scale.duplicate_code",
        "scale.bad_max",
        "scale.bad_max",
    ]


def test_max_points_must_add_up_to_the_declared_total():
    text = "scale:\n  total: 100\n  groups:\n    - code: I\n      items:\n        - {code: '1', title: A, max: 60}\n"
    with pytest.raises(FileInvalid) as caught:
        parse_scale(text)
    assert caught.value.problems == [("scale.total_mismatch", {"sum": "60", "total": "100"})]


def _entry(code, total, first=0, deductions=0, day=1):
    return RankEntry(
        code, code, D(total), D(first), D(deductions), datetime(2026, 11, day, tzinfo=UTC), True
    )


def test_ranking_breaks_ties_by_first_group_then_deductions_then_submission():
    entries = [
        _entry("A", 90, 50),
        _entry("B", 90, 55),
        _entry("C", 95),
        _entry("D", 90, 50, deductions=1),
        _entry("E", 90, 50, day=2),
    ]
    assert [(r, e.unit_code) for r, e in rank(entries)] == [
        (1, "C"),
        (2, "B"),
        (3, "A"),
        (4, "E"),
        (5, "D"),
    ]


def test_units_equal_on_every_key_share_a_rank():
    assert [r for r, _ in rank([_entry("A", 80), _entry("B", 80), _entry("C", 70)])] == [1, 1, 3]


@pytest.mark.parametrize(
    "total, name",
    [
        ("95", "excellent"),
        ("90", "excellent"),
        ("89.99", "good"),
        ("70", "fair"),
        ("10", "average"),
    ],
)
def test_bands_by_share_of_the_scale_total(total, name):
    assert band(D(total), D(100)) == name


def test_a_scale_may_set_its_own_bands_and_tie_breaks():
    text = (
        (Path(__file__).resolve().parents[1] / "bot" / "data" / "scale-example.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "scale:\n",
            """scale:
  bands:
    - {min: 95, name: Hoàn thành xuất sắc nhiệm vụ}
    - {min: 0, name: Hoàn thành nhiệm vụ}
  tie_breaks: [earlier_submission]
""",
            1,
        )
    )
    scale = parse_scale(text)
    assert band(D(96), scale.total, scale.bands) == "Hoàn thành xuất sắc nhiệm vụ"
    assert band(D(50), scale.total, scale.bands) == "Hoàn thành nhiệm vụ"
    early, late = _entry("A", 90, first=10, day=1), _entry("B", 90, first=50, day=2)
    assert [e.unit_code for _, e in rank([late, early], scale.tie_breaks)] == ["A", "B"]
    assert [e.unit_code for _, e in rank([late, early])] == ["B", "A"]  # default: first group


def test_unknown_tie_breaks_are_refused():
    text = "scale:\n  total: 1\n  tie_breaks: [luck]\n  groups:\n    - code: I\n      items:\n        - {code: '1', title: A, max: 1}\n"
    with pytest.raises(FileInvalid) as caught:
        parse_scale(text)
    assert caught.value.problems[0][0] == "scale.bad_tie_break"


def test_groups_may_nest_to_any_depth_and_count_towards_the_top_group():
    text = """
scale:
  total: 30
  groups:
    - code: I
      title: Chuyên môn
      items:
        - {code: "1.0", title: Chung, max: 5}
      groups:
        - code: "1"
          title: Khám chữa bệnh
          items:
            - {code: "1.1", title: Khám bệnh, max: 10}
          groups:
            - code: "1.2"
              title: Điều trị
              items:
                - {code: "1.2.1", title: Nội trú, max: 10}
        - code: "2"
          title: Dự phòng
          items:
            - {code: "2.1", title: Tiêm chủng, max: 5}
"""
    scale = parse_scale(text)
    assert [c.code for c in scale.criteria] == ["1.0", "1.1", "1.2.1", "2.1"]
    assert scale.groups[0].max == D(30)
    assert scale.criterion("1.2.1").section == "1. Khám chữa bệnh › 1.2. Điều trị"
    assert scale.criterion("1.0").section is None
    assert totals(scale, {"1.1": D(10), "1.2.1": D("9.5")}).by_group == {"I": D("19.5")}
