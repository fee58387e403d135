"""The calendar file (lịch báo cáo, format of calendar-example.yaml): the year's reporting
deadlines in one file, every malformed entry listed at once."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from .deadlines import DEFAULT_DUE_TIME, MONTHLY, DeadlineKind
from .errors import FileInvalid
from .reminders import ReminderPolicy
from .yaml_file import read_yaml

Problem = tuple[str, dict[str, object]]
MAX_TEXT = 1000  # a description or "how to submit" longer than this belongs in the template


class CalendarEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    due_at: datetime
    unit_codes: tuple[str, ...] | None = None  # None: every unit
    scoring_round: str | None = None
    recurrence: str | None = None
    policy: ReminderPolicy | None = None
    kind: DeadlineKind = DeadlineKind.REPORT
    description: str | None = None
    how: str | None = None


class _Malformed(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


class _Past(Exception):
    def __init__(self, day: date) -> None:
        self.day = day


def parse_calendar(
    text: str, timezone: str, now: datetime
) -> tuple[list[CalendarEntry], list[Problem]]:
    """`calendar: [{title, due: "MM-DD" or "YYYY-MM-DD", time: "17:00", units: [codes, or
    chair / vice_chair], kind: report | event, description, how, scoring_round, every: month,
    remind_days: [3, 1], overdue_days: 2}]`, optional top-level
    `year`. Returns the entries to create and the entries skipped because their date has
    passed; raises FileInvalid listing every malformed entry."""
    data = read_yaml(text, "calendar.invalid")
    entries = data.get("calendar") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(entries, list) or not entries:
        raise FileInvalid([("calendar.empty", {})], "calendar.invalid")
    tz = ZoneInfo(timezone)
    year = data.get("year") or now.astimezone(tz).year
    problems: list[Problem] = []
    created: list[CalendarEntry] = []
    skipped: list[Problem] = []
    for position, raw in enumerate(entries, start=1):
        if not isinstance(raw, dict) or not str(raw.get("title") or "").strip():
            problems.append(("calendar.no_title", {"position": position}))
            continue
        title = str(raw["title"]).strip()
        try:
            created.append(_entry(raw, title, year, tz, now))
        except _Malformed as error:
            problems.append((error.key, {"position": position, "title": title}))
        except _Past as past:
            date_text = past.day.strftime("%d/%m/%Y")
            skipped.append(("calendar.skipped_past", {"title": title, "date": date_text}))
    if problems:
        raise FileInvalid(problems, "calendar.invalid")
    return created, skipped


FIELDS = frozenset(
    {
        "title",
        "due",
        "time",
        "units",
        "kind",
        "description",
        "how",
        "scoring_round",
        "every",
        "remind_days",
        "overdue_days",
    }
)


def _entry(raw: dict, title: str, year: int, tz: ZoneInfo, now: datetime) -> CalendarEntry:
    # A comma in an unquoted title inside {…} starts a new key: "{title: Cụm trưởng, Cụm phó}"
    # reads as title "Cụm trưởng" plus a key "Cụm phó". Say so rather than cut the title.
    if any(key not in FIELDS for key in raw):
        raise _Malformed("calendar.unknown_field")
    due_text = str(raw.get("due") or "")
    try:
        day = date.fromisoformat(due_text if len(due_text) == 10 else f"{year}-{due_text}")
        at = time.fromisoformat(str(raw["time"])) if raw.get("time") else DEFAULT_DUE_TIME
    except ValueError:
        raise _Malformed("calendar.bad_due") from None
    units = raw.get("units")
    if units is not None and (not isinstance(units, list) or not units):
        raise _Malformed("calendar.bad_units")
    every = raw.get("every")
    if every not in (None, "month"):
        raise _Malformed("calendar.bad_every")
    kind = str(raw.get("kind") or DeadlineKind.REPORT.value)
    if kind not in {k.value for k in DeadlineKind}:
        raise _Malformed("calendar.bad_kind")
    policy = _policy(raw)
    due = datetime.combine(day, at, tzinfo=tz)
    if due <= now:
        raise _Past(day)
    return CalendarEntry(
        title=title,
        due_at=due,
        unit_codes=tuple(str(u).upper() for u in units) if units else None,
        scoring_round=str(raw["scoring_round"]) if raw.get("scoring_round") else None,
        recurrence=MONTHLY if every == "month" else None,
        policy=policy,
        kind=DeadlineKind(kind),
        description=_text(raw.get("description")),
        how=_text(raw.get("how")),
    )


def _text(value: object) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text[:MAX_TEXT] or None


def _policy(raw: dict) -> ReminderPolicy | None:
    """The entry's own reminder days, when it names any."""
    if raw.get("remind_days") is None and raw.get("overdue_days") is None:
        return None
    try:
        return ReminderPolicy(
            days_before=tuple(raw.get("remind_days", ReminderPolicy().days_before)),
            overdue_days=raw.get("overdue_days", ReminderPolicy().overdue_days),
        )
    except (ValueError, TypeError):
        raise _Malformed("calendar.bad_reminders") from None
