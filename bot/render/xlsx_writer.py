"""A small, fast .xlsx writer: inline strings, numbers and a fixed set of styles, straight to a
zip of SpreadsheetML. openpyxl needs about 15 s for a thousand unit sheets; this takes about one.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from xml.sax.saxutils import escape

# Cell styles (indexes into cellXfs below). Numbers are stored as numbers; NUMBER shows them as
# the reader's Excel writes them (9,5 in Vietnamese), PERCENT as 61,54%, INTEGER as 13.
PLAIN, TITLE, HEADER, TEXT, NUMBER, TOTAL_TEXT, TOTAL_NUMBER, PERCENT, INTEGER = range(9)
CENTER_BOLD, CENTER_ITALIC = 9, 10  # the motto, signature titles; the place-date line, hints

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")

# The fixed style sheet; its cellXfs order matches the constants above.
_STYLES = resources.files("bot.render").joinpath("xlsx_styles.xml").read_text(encoding="utf-8")


@dataclass
class Sheet:
    name: str
    widths: list[float]
    print_title_row: int | None = None  # repeated at the top of every printed page
    rows: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)  # "A1:H1"

    def append(self, cells: Sequence[tuple[object, int]]) -> None:
        """One row of (value, style); None values leave the cell empty but styled."""
        number = len(self.rows) + 1
        parts = []
        for column, (value, style) in enumerate(cells, start=1):
            ref = f"{column_letter(column)}{number}"
            if value is None:
                parts.append(f'<c r="{ref}" s="{style}"/>')
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                parts.append(f'<c r="{ref}" s="{style}"><v>{value}</v></c>')
            else:
                text = escape(_ILLEGAL.sub("", str(value)))
                parts.append(
                    f'<c r="{ref}" s="{style}" t="inlineStr"><is>'
                    f'<t xml:space="preserve">{text}</t></is></c>'
                )
        self.rows.append(f'<row r="{number}">{"".join(parts)}</row>')

    def merge_last(self, first: int, last: int) -> None:
        """Merge columns first..last (1-based) of the row appended last (a centred heading)."""
        row = len(self.rows)
        self.merged.append(f"{column_letter(first)}{row}:{column_letter(last)}{row}")

    def xml(self) -> str:
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
            for i, w in enumerate(self.widths, start=1)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
            f"<cols>{cols}</cols><sheetData>{''.join(self.rows)}</sheetData>"
            + (
                f'<mergeCells count="{len(self.merged)}">'
                + "".join(f'<mergeCell ref="{ref}"/>' for ref in self.merged)
                + "</mergeCells>"
                if self.merged
                else ""
            )
            + '<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3"'
            ' footer="0.3"/><pageSetup orientation="landscape" fitToWidth="1"'
            ' fitToHeight="0"/></worksheet>'
        )


class XlsxBook:
    def __init__(self) -> None:
        self.sheets: list[Sheet] = []

    def add_sheet(
        self, name: str, widths: list[float], print_title_row: int | None = None
    ) -> Sheet:
        taken = {s.name for s in self.sheets}
        base = _SHEET_NAME.sub("-", name)[:31] or "Sheet"
        unique, n = base, 2
        while unique in taken:
            unique = f"{base[:28]}~{n}"
            n += 1
        sheet = Sheet(unique, widths, print_title_row)
        self.sheets.append(sheet)
        return sheet

    def save(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", self._content_types())
            archive.writestr("_rels/.rels", _ROOT_RELS)
            archive.writestr("xl/workbook.xml", self._workbook())
            archive.writestr("xl/_rels/workbook.xml.rels", self._workbook_rels())
            archive.writestr("xl/styles.xml", _STYLES)
            for index, sheet in enumerate(self.sheets, start=1):
                archive.writestr(f"xl/worksheets/sheet{index}.xml", sheet.xml())
        return out.getvalue()

    def _content_types(self) -> str:
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(self.sheets) + 1)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{sheets}</Types>"
        )

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name="{escape(s.name, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
            for i, s in enumerate(self.sheets, start=1)
        )
        titles = "".join(
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
            f"'{escape(s.name.replace(chr(39), chr(39) * 2))}'!${s.print_title_row}:"
            f"${s.print_title_row}</definedName>"
            for i, s in enumerate(self.sheets)
            if s.print_title_row
        )
        names = f"<definedNames>{titles}</definedNames>" if titles else ""
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
            ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{sheets}</sheets>{names}</workbook>"
        )

    def _workbook_rels(self) -> str:
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(self.sheets) + 1)
        )
        styles = (
            f'<Relationship Id="rId{len(self.sheets) + 1}" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/styles"'
            ' Target="styles.xml"/>'
        )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'relationships">{rels}{styles}</Relationships>'
        )


_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)


def column_letter(number: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA (spreadsheet column names)."""
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters
