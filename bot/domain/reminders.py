"""The reminder calendar (DESIGN §3): when to remind units of a deadline, pure and time-zone aware.

Default: 7, 3 and 1 days before and on the due day at 08:00 cluster time; never in quiet hours
(21:00–07:00, moved to 07:30); after the due time a daily overdue reminder for 3 days, and a
summary to the secretariat as soon as the deadline has passed.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ReminderKind(StrEnum):
    BEFORE = "before"  # "due in N days" (N = 0: due today)
    OVERDUE = "overdue"  # "N days late"
    SUMMARY = "summary"  # to the secretariat: who is done, late, silent


class ReminderPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    days_before: tuple[int, ...] = (7, 3, 1, 0)
    send_at: time = time(8, 0)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(7, 0)
    quiet_resume: time = time(7, 30)  # a reminder falling in quiet hours waits until then
    overdue_days: int = Field(3, ge=0, le=30)
    summary: bool = True

    @field_validator("days_before")
    @classmethod
    def _sane_offsets(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(d < 0 or d > 365 for d in value):
            raise ValueError("days before must be between 0 and 365")
        return tuple(sorted(set(value), reverse=True))


class PlannedReminder(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: ReminderKind
    days: int  # days before the due date (BEFORE) or after it (OVERDUE); 0 for SUMMARY
    at: datetime  # UTC

    @property
    def key(self) -> str:
        """Stable within one revision of a deadline: the dedupe key's tail."""
        return f"{self.kind.value}:{self.days}"


def in_quiet_hours(moment: time, policy: ReminderPolicy) -> bool:
    start, end = policy.quiet_start, policy.quiet_end
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


def out_of_quiet_hours(local: datetime, policy: ReminderPolicy) -> datetime:
    """The same moment, or the end of the quiet period it falls in (next morning if late)."""
    if not in_quiet_hours(local.time().replace(tzinfo=None), policy):
        return local
    day = local.date()
    if local.time().replace(tzinfo=None) >= policy.quiet_start > policy.quiet_end:
        day += timedelta(days=1)
    return datetime.combine(day, policy.quiet_resume, tzinfo=local.tzinfo)


def plan_reminders(
    due_at: datetime, timezone: str, policy: ReminderPolicy
) -> list[PlannedReminder]:
    """Every reminder of one deadline, in time order. `due_at` is aware; results are in UTC."""
    tz = ZoneInfo(timezone)
    due_local = due_at.astimezone(tz)
    planned: list[PlannedReminder] = []

    def at_send_time(day) -> datetime:
        local = datetime.combine(day, policy.send_at, tzinfo=tz)
        return out_of_quiet_hours(local, policy)

    for days in policy.days_before:
        moment = at_send_time(due_local.date() - timedelta(days=days))
        if moment < due_local:  # a "due today" at 08:00 for a 07:00 deadline makes no sense
            planned.append(PlannedReminder(kind=ReminderKind.BEFORE, days=days, at=moment))
    for days in range(1, policy.overdue_days + 1):
        moment = at_send_time(due_local.date() + timedelta(days=days))
        planned.append(PlannedReminder(kind=ReminderKind.OVERDUE, days=days, at=moment))
    if policy.summary:
        moment = out_of_quiet_hours(due_local, policy)
        planned.append(PlannedReminder(kind=ReminderKind.SUMMARY, days=0, at=moment))
    planned = [r.model_copy(update={"at": r.at.astimezone(UTC)}) for r in planned]
    return sorted(planned, key=lambda r: (r.at, r.kind != ReminderKind.SUMMARY))


def catch_up(
    missed: list[PlannedReminder], due_at: datetime, now: datetime, overdue_days: int = 3
) -> list[PlannedReminder]:
    """Of the unit reminders missed while the bot was down, only the latest is worth sending, and
    once the deadline has passed it is an overdue notice, never a 'due in 3 days' message. Past
    the overdue window nothing is sent: after a long downtime nobody wants "3 days late" for a
    deadline months past (the secretariat's summary still says who never reported)."""
    unit_reminders = [r for r in missed if r.kind != ReminderKind.SUMMARY]
    if not unit_reminders:
        return []
    if now - due_at > timedelta(days=overdue_days + 1):
        return []
    latest = max(unit_reminders, key=lambda r: r.at)
    if latest.kind == ReminderKind.BEFORE and now >= due_at:
        late_days = max(0, (now - due_at).days)
        return [PlannedReminder(kind=ReminderKind.OVERDUE, days=late_days, at=now)]
    return [latest]
