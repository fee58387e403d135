"""The reminder calendar, pure: local times in Asia/Ho_Chi_Minh whatever the machine's zone."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from bot.domain.reminders import (
    PlannedReminder,
    ReminderKind,
    ReminderPolicy,
    catch_up,
    plan_reminders,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TZ = "Asia/Ho_Chi_Minh"
DEFAULT = ReminderPolicy()


def _local(plan):
    return [(r.kind.value, r.days, r.at.astimezone(VN).strftime("%d/%m %H:%M")) for r in plan]


def test_default_schedule_lands_at_eight_in_the_morning_cluster_time():
    due = datetime(2026, 11, 30, 17, 0, tzinfo=VN)
    assert _local(plan_reminders(due, TZ, DEFAULT)) == [
        ("before", 7, "23/11 08:00"),
        ("before", 3, "27/11 08:00"),
        ("before", 1, "29/11 08:00"),
        ("before", 0, "30/11 08:00"),
        ("summary", 0, "30/11 17:00"),
        ("overdue", 1, "01/12 08:00"),
        ("overdue", 2, "02/12 08:00"),
        ("overdue", 3, "03/12 08:00"),
    ]


def test_planned_times_are_utc():
    due = datetime(2026, 11, 30, 17, 0, tzinfo=VN)
    first = plan_reminders(due, TZ, DEFAULT)[0]
    assert first.at == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_no_due_day_reminder_after_an_early_morning_deadline():
    due = datetime(2026, 11, 30, 7, 0, tzinfo=VN)
    kinds = [(r.kind, r.days) for r in plan_reminders(due, TZ, DEFAULT)]
    assert (ReminderKind.BEFORE, 0) not in kinds and (ReminderKind.BEFORE, 1) in kinds


def test_summary_of_a_late_evening_deadline_waits_for_the_morning():
    due = datetime(2026, 11, 30, 23, 59, tzinfo=VN)
    summary = next(r for r in plan_reminders(due, TZ, DEFAULT) if r.kind == ReminderKind.SUMMARY)
    assert summary.at.astimezone(VN) == datetime(2026, 12, 1, 7, 30, tzinfo=VN)


def test_reminders_in_quiet_hours_move_to_half_past_seven():
    policy = ReminderPolicy(send_at=time(22, 0), days_before=(1,), overdue_days=0, summary=False)
    due = datetime(2026, 11, 30, 17, 0, tzinfo=VN)
    assert _local(plan_reminders(due, TZ, policy)) == [("before", 1, "30/11 07:30")]


def test_early_morning_send_time_is_moved_within_the_same_day():
    policy = ReminderPolicy(send_at=time(5, 0), days_before=(2,), overdue_days=0, summary=False)
    due = datetime(2026, 11, 30, 17, 0, tzinfo=VN)
    assert _local(plan_reminders(due, TZ, policy)) == [("before", 2, "28/11 07:30")]


def test_overrides_replace_offsets_and_overdue_count():
    policy = ReminderPolicy(days_before=(2, 2, 0), overdue_days=1, summary=False)
    due = datetime(2026, 12, 10, 12, 0, tzinfo=VN)
    assert _local(plan_reminders(due, TZ, policy)) == [
        ("before", 2, "08/12 08:00"),
        ("before", 0, "10/12 08:00"),
        ("overdue", 1, "11/12 08:00"),
    ]


def _r(kind, days, at):
    return PlannedReminder(kind=kind, days=days, at=at)


def test_catch_up_sends_only_the_latest_missed_reminder():
    due = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    missed = [
        _r(ReminderKind.BEFORE, 7, datetime(2026, 11, 23, 1, tzinfo=UTC)),
        _r(ReminderKind.BEFORE, 3, datetime(2026, 11, 27, 1, tzinfo=UTC)),
    ]
    assert catch_up(missed, due, datetime(2026, 11, 28, 3, tzinfo=UTC)) == [missed[1]]


def test_catch_up_after_the_deadline_becomes_an_overdue_notice():
    due = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    now = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    missed = [_r(ReminderKind.BEFORE, 3, datetime(2026, 11, 27, 1, tzinfo=UTC))]
    [notice] = catch_up(missed, due, now)
    assert notice.kind == ReminderKind.OVERDUE and notice.days == 1 and notice.at == now
