"""The pieces of the channel contract every adapter shares."""

import pytest

from bot.channels.base import split_text
from handlers.actions import Action, decode, encode
from handlers.router import parse_command


def test_long_text_is_split_at_line_breaks_within_the_limit():
    text = "\n".join(f"dòng {i}" for i in range(1000))
    parts = split_text(text, 2000)
    assert all(len(p) <= 2000 for p in parts)
    assert "\n".join(parts) == text


def test_text_without_breaks_is_cut_hard():
    assert split_text("x" * 5, 2) == ["xx", "xx", "x"]


def test_action_data_round_trips_and_stays_under_64_bytes():
    data = encode("lang", "en")
    assert data == "1:lang:en" and decode(data) == Action("lang", ("en",))
    with pytest.raises(ValueError):
        encode("lang", "x" * 70)


@pytest.mark.parametrize(
    "data", ["", "garbage", "2:lang:en", "1:lang", "1:lang:en:extra", "1:nosuch:x", "1:" + "a" * 70]
)
def test_stale_or_forged_action_data_decodes_to_nothing(data):
    assert decode(data) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("/members", ("members", [])),
        ("/Members@thidua_bot", ("members", [])),
        ("/start  ABCD2345 ", ("start", ["ABCD2345"])),
        ("hello", None),
    ],
)
def test_commands_are_parsed_with_bot_suffix_and_arguments(text, expected):
    assert parse_command(text) == expected


def test_every_button_kind_has_one_handler_taking_exactly_its_arguments():
    import inspect

    from handlers.actions import KINDS
    from handlers.router import BUTTONS

    assert set(BUTTONS) == set(KINDS)
    for kind, handler in BUTTONS.items():
        parameters = inspect.signature(handler).parameters.values()
        takes = sum(1 for p in parameters if p.kind == p.POSITIONAL_OR_KEYWORD) - 1  # after ctx
        assert takes == KINDS[kind], f"{kind}: {handler.__qualname__} takes {takes}"
