"""What official documents need to know beyond the votes: the cluster's letterhead (who issues,
from where, to which council) and the meeting's people (who chaired, who kept the minutes, who
counted the votes). Pure: typed lines are read here, with every problem named."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from .errors import InvalidInput

MAX_LINE = 120
BLANK_PLACE = "…………"  # filled in by hand when the cluster file names no place


class Letterhead(BaseModel):
    """The cluster file's `letterhead: {parent, issuer: [lines], place, council}`."""

    model_config = ConfigDict(frozen=True)

    parent: str | None = None  # the body above the issuer, if any (upper case, not bold)
    issuer: tuple[str, ...] = ()  # the issuing body's name, upper case, on one or more lines
    place: str | None = None  # "Cần Thơ": the place-and-date line
    council: str | None = None  # "Hội đồng Thi đua – Khen thưởng Bộ Y tế": nominations go there

    def issuer_lines(self, cluster_name: str) -> tuple[str, ...]:
        return self.issuer or (cluster_name.upper(),)


def parse_letterhead(raw: object) -> Letterhead | None:
    """The cluster file's `letterhead`, or None when it is malformed."""
    if raw is None:
        return Letterhead()
    if not isinstance(raw, dict) or set(raw) - {"parent", "issuer", "place", "council"}:
        return None
    issuer = raw.get("issuer") or []
    if isinstance(issuer, str):
        issuer = [issuer]
    if not isinstance(issuer, list) or not all(isinstance(x, str) and x.strip() for x in issuer):
        return None
    texts = [raw.get("parent"), raw.get("place"), raw.get("council")]
    if any(t is not None and (not isinstance(t, str) or len(t) > MAX_LINE) for t in texts):
        return None
    parent = _clean(raw.get("parent"))
    return Letterhead(
        parent=parent.upper() if parent else None,
        issuer=tuple(line.strip().upper()[:MAX_LINE] for line in issuer),
        place=_clean(raw.get("place")),
        council=_clean(raw.get("council")),
    )


class MeetingPeople(BaseModel):
    """Who and where, as the minutes record them."""

    model_config = ConfigDict(frozen=True)

    place: str | None = None
    chair_name: str | None = None
    chair_position: str | None = None
    secretary_name: str | None = None
    counters: tuple[str, ...] = ()  # the counting board (tổ kiểm phiếu)


def person_and_position(text: str) -> tuple[str, str | None]:
    """ "Nguyễn Văn An, Giám đốc Sở Y tế TP Cần Thơ" → (name, position); the position is
    optional."""
    typed_name, _, position = text.partition(",")
    name = _clean(typed_name)
    if name is None:
        raise InvalidInput("meeting.bad_person")
    return name, _clean(position)


def names(text: str) -> tuple[str, ...]:
    """ "Trần Thị Bình; Lê Văn Cường" (or one per line, or commas) → the names."""
    separator = ";" if ";" in text else ("\n" if "\n" in text else ",")
    found = tuple(n for n in (_clean(part) for part in text.split(separator)) if n)
    if not found or len(found) > 9:
        raise InvalidInput("meeting.bad_counters")
    return found


def place_text(text: str) -> str:
    place = _clean(text)
    if place is None:
        raise InvalidInput("meeting.bad_place")
    return place


def _clean(value: object) -> str | None:
    """Spaces tidied; None when nothing is left that reads as a word (", " or "-" alone)."""
    text = " ".join(str(value).split()) if value is not None else ""
    if not any(c.isalnum() for c in text):
        return None
    return text[:MAX_LINE]


class Letter(BaseModel):
    """What every official document of a cluster carries besides its content: the letterhead,
    its number and date, and the people who sign."""

    model_config = ConfigDict(frozen=True)

    cluster_name: str
    kind: str  # cụm | khối: "Cụm trưởng" or "Khối trưởng", "CTĐ" or "KTĐ"
    letterhead: Letterhead
    people: MeetingPeople
    number: int
    issued_at: datetime  # in the cluster's zone

    @property
    def cluster_symbol(self) -> str:
        return "KTĐ" if self.kind == "khối" else "CTĐ"

    def number_line(self, symbol: str) -> str:
        """ "Số: 03/BB-CTĐ" """
        return f"Số: {self.number:02d}/{symbol}-{self.cluster_symbol}"
