"""Every file a person can send is read within limits: a problem names the limit, never a
traceback, and nothing is slow."""

import sys
from datetime import UTC, datetime

import pytest

from bot.domain.calendar_file import parse_calendar
from bot.domain.cluster_file import parse_cluster_file
from bot.domain.errors import FileInvalid
from bot.domain.scale_file import parse_scale
from bot.domain.typed import exact_decimal, whole_number

LAUGHS = "\n".join(
    [
        "a: &a [x, x, x, x, x, x, x, x, x, x]",
        *(
            f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]"
            for p, n in zip("abcdef", "bcdefg", strict=True)
        ),
        "clusters: [*g]",
        "scale: *g",
        "calendar: [*g]",
    ]
)
PARSERS = {
    "cluster": parse_cluster_file,
    "scale": parse_scale,
    "calendar": lambda text: parse_calendar(text, "Asia/Ho_Chi_Minh", datetime.now(UTC)),
}


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("clusters: " + "[" * 20_000 + "]" * 20_000, "yaml.too_deep"),
        ("scale: " + "{a: " * 5_000 + "1" + "}" * 5_000, "yaml.too_deep"),
        ("a:\n" + "".join("  " * i + "- \n" for i in range(40)), "yaml.too_deep"),
        (LAUGHS, "yaml.too_many_nodes"),
        ("x: &x 1\n" + "\n".join(f"k{i}: *x" for i in range(101)), "yaml.too_many_aliases"),
        ("# " + "x" * 600_000, "yaml.too_large"),
    ],
    ids=["deep-flow-list", "deep-flow-map", "deep-block", "alias-bomb", "aliases", "size"],
)
def test_a_file_over_a_limit_is_refused_naming_the_limit(parser, text, problem):
    with pytest.raises(FileInvalid) as caught:
        parser(text)
    assert caught.value.problems[0][0] == problem
    assert "limit" in caught.value.problems[0][1]


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "1e309", "'１０'", "'٩'", "'𝟗'", "'²'"])
def test_a_scale_maximum_that_is_no_finite_ascii_number_is_listed(value):
    text = f"scale: {{name: x, total: {value}, groups: [{{code: I, items: [{{code: '1', title: a, max: {value}}}]}}]}}"
    with pytest.raises(FileInvalid) as caught:
        parse_scale(text)
    assert ("scale.bad_max", {"code": "1"}) in caught.value.problems
    assert ("scale.bad_max", {"code": "total"}) in caught.value.problems


def test_a_syntax_error_names_its_line_in_every_file():
    for name, parser in PARSERS.items():
        with pytest.raises(FileInvalid) as caught:
            parser("a: 1\nb: [unclosed\n")
        key, params = caught.value.problems[0]
        assert key.endswith(".not_yaml") and params["line"] >= 2, name


@pytest.mark.parametrize("text", ["²", "９", "１０", "٩", "𝟗", "", " ", "-1", "1.5", "1e3", "0x10"])
def test_only_ascii_digits_make_a_whole_number(text):
    assert whole_number(text) is None


def test_whole_numbers_and_decimals_within_bounds():
    assert whole_number(" 12 ") == 12 and whole_number("41", 1, 40) is None
    assert whole_number("1" * 10) is None  # no typed number needs ten digits
    assert exact_decimal("9,5") == exact_decimal(9.5) == exact_decimal("9.5")
    assert exact_decimal(True) is None and exact_decimal(float("nan")) is None


def test_the_log_filter_masks_tokens_receipts_and_marks():
    import logging

    from bot.logs import Redact

    record = logging.LogRecord(
        "telegram",
        logging.DEBUG,
        __file__,
        1,
        "POST /bot123:ABC/sendMessage %s %s",
        ("data=1:vcast:12:3f", "Mã biên nhận: VSWH-8HTF"),
        None,
    )
    Redact(["123:ABC"]).filter(record)
    assert record.getMessage() == (
        "POST /bot<token>/sendMessage data=1:vcast:12:<marks> Mã biên nhận: <receipt>"
    )


def test_the_log_filter_masks_a_traceback_too():
    import logging

    from bot.logs import Redact

    try:
        raise ConnectionError("GET http://127.0.0.1/bot123:ABC/getUpdates failed")
    except ConnectionError:
        record = logging.LogRecord(
            "telegram", logging.ERROR, __file__, 1, "polling failed", (), sys.exc_info()
        )
    Redact(["123:ABC"]).filter(record)
    assert "123:ABC" not in logging.Formatter().format(record)
    assert "/bot<token>/getUpdates" in logging.Formatter().format(record)
