"""Deadlines (hạn báo cáo): due times typed by people, unit status, recurrence, calendar files."""

from __future__ import annotations

import calendar
import re
from datetime import datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from .errors import InvalidInput
from .reminders import ReminderPolicy

DEFAULT_DUE_TIME = time(17, 0)  # end of the office day
MONTHLY = "monthly"


class DeadlineState(StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"


class DeadlineKind(StrEnum):
    REPORT = "report"  # units owe something: "Đã nộp", overdue notices, a summary
    EVENT = "event"  # units attend (the review meeting): reminders before it, nothing to report


class UnitStatus(StrEnum):
    DONE = "done"  # reported on time
    LATE = "late"  # reported after the due time
    PENDING = "pending"  # not yet, still in time
    OVERDUE = "overdue"  # not yet, and the due time has passed


class Deadline(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    cluster_id: int
    title: str
    due_at: datetime
    revision: int = 1
    status: DeadlineState = DeadlineState.OPEN
    policy: ReminderPolicy | None = None
    scoring_round: str | None = None
    recurrence: str | None = None
    unit_ids: frozenset[int] = frozenset()
    kind: DeadlineKind = DeadlineKind.REPORT
    description: str | None = None  # what is asked
    how: str | None = None  # how to submit it (to whom, by which channel, how many copies)
    template_file_id: int | None = None

    @property
    def is_event(self) -> bool:
        return self.kind == DeadlineKind.EVENT

    @property
    def reported_in_chat(self) -> bool:
        """Units mark it "Đã nộp" themselves: not an event, and not a scoring round (submitting
        the sheet marks that one)."""
        return not self.is_event and not self.scoring_round


class Completion(BaseModel):
    model_config = ConfigDict(frozen=True)

    deadline_id: int
    unit_id: int
    done_at: datetime
    by_member: int | None = None
    file_name: str | None = None
    confirmed_at: datetime | None = None


def unit_status(deadline: Deadline, completion: Completion | None, now: datetime) -> UnitStatus:
    if completion is not None:
        return UnitStatus.DONE if completion.done_at <= deadline.due_at else UnitStatus.LATE
    return UnitStatus.OVERDUE if now >= deadline.due_at else UnitStatus.PENDING


_DATE = re.compile(
    r"^\s*(?P<d>[0-9]{1,2})[/.-](?P<m>[0-9]{1,2})(?:[/.-](?P<y>[0-9]{4}))?"
    r"(?:\s+(?:lúc\s+)?(?P<H>[0-9]{1,2})[:hg](?P<M>[0-9]{2})?)?\s*$",
    re.IGNORECASE,
)
_ISO = re.compile(r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2})?\s*$")


def parse_due(text: str, timezone: str, now: datetime) -> datetime:
    """'30/11/2026 17:00', '30/11 9h', '2026-11-30T17:00' → aware UTC-comparable datetime in the
    cluster's zone. Without a year: this year, or next year when that day has passed. Without a
    time: 17:00. A due time in the past is refused."""
    tz = ZoneInfo(timezone)
    local_now = now.astimezone(tz)
    if _ISO.match(text):
        parsed = datetime.fromisoformat(text.strip())
        due = (
            parsed
            if "T" in text or " " in text.strip()
            else datetime.combine(parsed.date(), DEFAULT_DUE_TIME)
        )
        due = due.replace(tzinfo=tz)
    else:
        match = _DATE.match(text)
        if match is None:
            raise InvalidInput("deadline.bad_due", text=text.strip()[:40])
        day, month = int(match["d"]), int(match["m"])
        hour = int(match["H"]) if match["H"] else DEFAULT_DUE_TIME.hour
        minute = int(match["M"]) if match["M"] else (0 if match["H"] else DEFAULT_DUE_TIME.minute)
        year = int(match["y"]) if match["y"] else local_now.year
        try:
            due = datetime(year, month, day, hour, minute, tzinfo=tz)
            if not match["y"] and due <= local_now:
                due = due.replace(year=year + 1)
        except ValueError:
            raise InvalidInput("deadline.bad_due", text=text.strip()[:40]) from None
    if due <= local_now:
        raise InvalidInput("deadline.due_past", text=text.strip()[:40])
    return due


def next_occurrence(due_at: datetime, recurrence: str | None, timezone: str) -> datetime | None:
    """The next due time of a recurring deadline: monthly keeps the day (clamped to the month's
    length) and the local time."""
    if recurrence != MONTHLY:
        return None
    local = due_at.astimezone(ZoneInfo(timezone))
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)
