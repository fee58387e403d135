"""Deadline rules (pure) and the calendar file, then calendar import and recurrence on SQLite."""

import io
from datetime import UTC, datetime

import pytest

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.clock import ManualClock
from bot.domain.calendar_file import parse_calendar
from bot.domain.deadlines import (
    Completion,
    Deadline,
    UnitStatus,
    next_occurrence,
    parse_due,
    unit_status,
)
from bot.domain.errors import FileInvalid, InvalidInput
from bot.services.demo import seed_demo

from .conftest import VN

TZ = "Asia/Ho_Chi_Minh"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=VN)
ROOT_CALENDAR = (
    __import__("pathlib").Path(__file__).resolve().parents[1]
    / "bot"
    / "data"
    / "calendar-example.yaml"
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("30/11/2026 17:00", datetime(2026, 11, 30, 17, 0, tzinfo=VN)),
        ("30/11/2026", datetime(2026, 11, 30, 17, 0, tzinfo=VN)),
        ("30/11 9h", datetime(2026, 11, 30, 9, 0, tzinfo=VN)),
        ("5.12 lúc 14:30", datetime(2026, 12, 5, 14, 30, tzinfo=VN)),
        ("10/01", datetime(2027, 1, 10, 17, 0, tzinfo=VN)),  # January has passed: next year
        ("2026-12-01T08:00", datetime(2026, 12, 1, 8, 0, tzinfo=VN)),
        ("2026-12-01", datetime(2026, 12, 1, 17, 0, tzinfo=VN)),
    ],
)
def test_due_dates_are_read_the_way_offices_write_them(text, expected):
    assert parse_due(text, TZ, NOW) == expected


@pytest.mark.parametrize(
    "text, key",
    [
        ("31/02/2026", "deadline.bad_due"),
        ("ngày mai", "deadline.bad_due"),
        ("", "deadline.bad_due"),
        ("30/11/2026 25:00", "deadline.bad_due"),
        ("01/11/2026", "deadline.due_past"),
    ],
)
def test_bad_or_past_due_dates_are_refused(text, key):
    with pytest.raises(InvalidInput) as caught:
        parse_due(text, TZ, NOW)
    assert caught.value.key == key


def test_unit_status_distinguishes_on_time_late_pending_and_overdue():
    deadline = Deadline(
        id=1, cluster_id=1, title="x", due_at=datetime(2026, 11, 30, 10, tzinfo=UTC)
    )
    early = Completion(deadline_id=1, unit_id=1, done_at=datetime(2026, 11, 29, tzinfo=UTC))
    late = Completion(deadline_id=1, unit_id=1, done_at=datetime(2026, 12, 1, tzinfo=UTC))
    before, after = datetime(2026, 11, 29, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)
    assert unit_status(deadline, early, after) == UnitStatus.DONE
    assert unit_status(deadline, late, after) == UnitStatus.LATE
    assert unit_status(deadline, None, before) == UnitStatus.PENDING
    assert unit_status(deadline, None, after) == UnitStatus.OVERDUE


def test_monthly_recurrence_keeps_day_and_local_time_and_clamps_short_months():
    jan31 = datetime(2027, 1, 31, 17, 0, tzinfo=VN)
    assert next_occurrence(jan31, "monthly", TZ) == datetime(2027, 2, 28, 17, 0, tzinfo=VN)
    dec25 = datetime(2026, 12, 25, 17, 0, tzinfo=VN)
    assert next_occurrence(dec25, "monthly", TZ) == datetime(2027, 1, 25, 17, 0, tzinfo=VN)
    assert next_occurrence(dec25, None, TZ) is None


def test_the_example_calendar_creates_the_dates_still_ahead():
    created, skipped = parse_calendar(ROOT_CALENDAR.read_text(encoding="utf-8"), TZ, NOW)
    assert [e.due_at.strftime("%d/%m") for e in created] == ["30/11", "05/12", "20/12", "27/12"]
    assert created[0].scoring_round == "year-end"
    assert created[2].title == "Hội nghị tổng kết, bình xét, suy tôn"  # commas kept
    assert len(skipped) == 3 and skipped[0][0] == "calendar.skipped_past"
    assert (
        skipped[0][1]["title"] == "Bầu/kiện toàn Cụm trưởng, Cụm phó; dự thảo quy chế và thang điểm"
    )


def test_calendar_problems_are_listed_at_once():
    text = """
calendar:
  - {title: A, due: "13-45"}
  - {due: "12-01"}
  - {title: B, due: "12-01", units: AGG}
  - {title: C, due: "12-01", every: week}
  - {title: D, due: "12-01", remind_days: [-1]}
  - {title: Cụm trưởng, Cụm phó, due: "12-01"}
"""
    with pytest.raises(FileInvalid) as caught:
        parse_calendar(text, TZ, NOW)
    assert [k for k, _ in caught.value.problems] == [
        "calendar.bad_due",
        "calendar.no_title",
        "calendar.bad_units",
        "calendar.bad_every",
        "calendar.bad_reminders",
        "calendar.unknown_field",  # an unquoted comma cut the title: said, not swallowed
    ]
    assert caught.value.key == "calendar.invalid"


async def _app(settings, clock):
    out = io.StringIO()
    channel = ConsoleChannel(out, clock, TZ)
    app = await App.open(settings, clock, {"console": channel}, scheduled=False)
    await seed_demo(app.services.membership)
    await channel.start(app.router.dispatch)
    await app.start_engine()
    return app, out


async def test_calendar_import_with_overrides_and_unknown_units(settings):
    clock = ManualClock(NOW)
    app, _ = await _app(settings, clock)
    secretariat = await app.services.membership.identify("console", "secretariat")
    bad = "calendar:\n  - {title: Báo cáo quý, due: '12-15', units: [AGG, ZZZ]}\n"
    with pytest.raises(InvalidInput):
        await app.services.deadlines.import_calendar(secretariat, bad)
    assert await app.services.deadlines.boards(secretariat) == []
    good = (
        "calendar:\n  - {title: Báo cáo quý, due: '12-15', time: '11:00', units: [AGG],"
        " remind_days: [2], overdue_days: 1}\n"
    )
    [board], skipped = await app.services.deadlines.import_calendar(secretariat, good)
    assert skipped == [] and board.deadline.due_at == datetime(2026, 12, 15, 11, 0, tzinfo=VN)
    async with app.db.conn.execute("SELECT kind, days FROM reminders ORDER BY at") as cursor:
        assert [tuple(r) for r in await cursor.fetchall()] == [
            ("before", 2),
            ("summary", 0),
            ("overdue", 1),
        ]
    await app.close()


async def test_a_monthly_deadline_rolls_over_when_due(settings):
    clock = ManualClock(NOW)
    app, out = await _app(settings, clock)
    secretariat = await app.services.membership.identify("console", "secretariat")
    await app.services.deadlines.create(
        secretariat,
        "Báo cáo tháng",
        datetime(2026, 11, 25, 17, 0, tzinfo=VN),
        ["AGG"],
        recurrence="monthly",
    )
    clock.move_to(datetime(2026, 11, 25, 17, 1, tzinfo=VN))
    await app.engine.tick()
    boards = await app.services.deadlines.boards(secretariat)
    assert [b.deadline.due_at.astimezone(VN).strftime("%d/%m") for b in boards] == [
        "25/11",
        "25/12",
    ]
    await app.engine.tick()
    assert len(await app.services.deadlines.boards(secretariat)) == 2  # rolled over once
    await app.close()
