"""The score workbook the secretariat prints: a summary sheet with totals, ranks and bands, then
one sheet per unit with self and verified scores per item, in Vietnamese.

Written in openpyxl's write-only mode with styles shared by every cell: a cluster of a thousand
units still exports in seconds.
"""

from __future__ import annotations

import io
from copy import copy
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from bot.i18n import t

THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WRAP = Alignment(vertical="top", wrap_text=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
BOLD, TITLE = Font(bold=True), Font(bold=True, size=14)
NUMBER = "0.00"


def score_workbook(locale: str, cluster_name: str, export) -> bytes:
    """`export`: bot.services.scoring.Export. Returns the .xlsx file's bytes."""
    book = Workbook(write_only=True)
    summary = _sheet(book, t(locale, "xlsx.summary_sheet"), [6, 10, 40, 12, 14, 10, 14, 20])
    summary.append([_cell(summary, f"{cluster_name} – {export.round.title}", font=TITLE)])
    summary.append([])
    summary.append(
        _header(summary, locale, ("no", "code", "unit", "self", "final", "rank", "band", "status"))
    )
    ranks = {r.entry.unit_code: r for r in export.ranking.rows}
    for index, sheet in enumerate(export.sheets, start=1):
        ranked = ranks.get(sheet.unit.code)
        summary.append(
            _row(
                summary,
                [
                    index,
                    sheet.unit.code,
                    sheet.unit.name,
                    _num(sheet.own_total),
                    _num(sheet.final_total),
                    ranked.rank if ranked else None,
                    t(locale, f"band.{ranked.band}") if ranked else None,
                    t(locale, f"sheet.{sheet.status}"),
                ],
                numbers=(4, 5),
            )
        )

    for sheet in export.sheets:
        ws = _sheet(book, sheet.unit.code[:31], [8, 60, 10, 12, 14, 40])
        ws.append([_cell(ws, f"{sheet.unit.name} – {export.round.title}", font=TITLE)])
        ws.append([])
        ws.append(_header(ws, locale, ("item", "criterion", "max", "self", "verified", "reason")))
        for criterion in export.scale.criteria:
            ws.append(
                _row(
                    ws,
                    [
                        criterion.code,
                        criterion.title,
                        _num(criterion.max),
                        _num(sheet.own.get(criterion.code)),
                        _num(sheet.verified.get(criterion.code)),
                        sheet.reasons.get(criterion.code),
                    ],
                    numbers=(3, 4, 5),
                )
            )
        ws.append(
            _row(
                ws,
                [
                    None,
                    t(locale, "xlsx.total"),
                    _num(export.scale.total),
                    _num(sheet.own_total),
                    _num(sheet.final_total),
                    None,
                ],
                numbers=(3, 4, 5),
                font=BOLD,
            )
        )
    out = io.BytesIO()
    book.save(out)
    for key in [k for k in _STYLES if k[0] == id(book)]:  # style indexes belong to this book
        del _STYLES[key]
    return out.getvalue()


def _sheet(book: Workbook, title: str, widths: list[int]):
    ws = book.create_sheet(title=title)
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.print_title_rows = "3:3"  # the header repeats on every printed page
    return ws


def _num(value: Decimal | None) -> float | None:
    # Excel stores binary floats; two decimals survive the round trip exactly enough to print.
    return float(value) if value is not None else None


_STYLES: dict[tuple, object] = {}


def _cell(ws, value, *, font=None, number=False, header=False, boxed=False) -> WriteOnlyCell:
    """A cell whose style is built once per combination and then copied: openpyxl hashes style
    objects on every assignment, which dominates the export time otherwise."""
    cell = WriteOnlyCell(ws, value=value)
    key = (
        id(ws.parent),
        font is not None and font.b,
        font is not None and font.sz,
        number,
        header,
        boxed,
    )
    if key not in _STYLES:
        if font is not None:
            cell.font = font
        if header:
            cell.font, cell.fill, cell.border, cell.alignment = BOLD, HEADER_FILL, BORDER, CENTER
        if boxed:
            cell.border, cell.alignment = BORDER, WRAP
        if number:
            cell.number_format = NUMBER
        _STYLES[key] = copy(cell._style)
    cell._style = copy(_STYLES[key])
    return cell


def _header(ws, locale: str, columns: tuple[str, ...]) -> list[WriteOnlyCell]:
    return [_cell(ws, t(locale, f"xlsx.col.{c}"), header=True) for c in columns]


def _row(ws, values: list, *, numbers: tuple[int, ...] = (), font=None) -> list[WriteOnlyCell]:
    return [
        _cell(ws, value, font=font, number=column in numbers, boxed=True)
        for column, value in enumerate(values, start=1)
    ]
