"""One model of an official document (văn bản hành chính), built once and rendered to Word and
PDF laid out per Decree 30/2020/NĐ-CP: the issuing body and number top left, the national motto
top right, the place-and-date line in italics, the title, the body, then the signature blocks
kept together with the text above them.

Pure data: the builders (`official`) say what a document contains, the writers (`docx_writer`,
`pdf_writer`) how it looks on paper; both read the same structure, so the Word and PDF copies
never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"  # Decree 30 writes it with hyphens, underlined
SIGN_HINT = "(Ký, ghi rõ họ tên)"


class Align(StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"
    JUSTIFY = "justify"


@dataclass(frozen=True)
class Paragraph:
    text: str
    bold: bool = False
    italic: bool = False
    align: Align = Align.JUSTIFY
    indent: bool = True  # first-line indent, as body text is set
    # Part of the closing text: kept on the page of the signature blocks.
    closing: bool = False


@dataclass(frozen=True)
class Heading:
    """A section heading inside the body (I. …, 1. …)."""

    text: str


Cell = str | int | Decimal | None


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    widths: tuple[float, ...]  # relative widths of the columns
    # Rows shown in bold (a total row), by index into `rows`.
    bold_rows: frozenset[int] = frozenset()


Block = Paragraph | Heading | Table


@dataclass(frozen=True)
class Signature:
    """One signature block: "TM. CỤM TRƯỞNG" over "GIÁM ĐỐC", space to sign, the name."""

    title: str
    capacity: str | None = None  # the signer's position under the title, when known
    name: str | None = None  # printed under the space for the signature


@dataclass(frozen=True)
class Document:
    issuer: tuple[str, ...]  # the issuing body's name, upper case, bold
    number: str  # "Số: 03/BB-CTĐ"
    place_date: str  # "Cần Thơ, ngày 20 tháng 12 năm 2026"
    title: str
    file_stem: str  # "bien-ban-kiem-phieu-1": the file names of both copies
    subtitle: str | None = None  # "Về việc …" or the meeting's name, under the title
    body: tuple[Block, ...] = ()
    signatures: tuple[Signature, ...] = ()
    recipients: tuple[str, ...] = ()  # "Nơi nhận:" lines, bottom left
    parent: str | None = None  # the body above the issuer, over it, not bold
    landscape: bool = False
    created: datetime | None = None  # the PDF's creation date, so the bytes are reproducible


def place_date(place: str, moment: datetime) -> str:
    """ "Cần Thơ, ngày 05 tháng 12 năm 2026": day and month below 10 (and 1, 2) with a leading
    zero, as Decree 30 asks."""
    return f"{place}, ngày {moment.day:02d} tháng {moment.month:02d} năm {moment.year}"


def cell_text(value: Cell) -> str:
    """How a cell reads on paper: Vietnamese decimal comma, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = f"{value.normalize():f}" if value != value.to_integral() else str(int(value))
        return text.replace(".", ",")
    return str(value)


def is_number(value: Cell) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)
