"""A `Document` as one spreadsheet sheet, for those who rework figures in Excel: the letterhead,
title, text, the tables with numbers stored as numbers, and the signature titles."""

from __future__ import annotations

from decimal import Decimal

from .document import MOTTO, NATION, SIGN_HINT, Document, Heading, Paragraph, Table, is_number
from .xlsx_writer import (
    CENTER_BOLD,
    CENTER_ITALIC,
    HEADER,
    NUMBER,
    PLAIN,
    TEXT,
    TITLE,
    TOTAL_NUMBER,
    TOTAL_TEXT,
    Sheet,
    XlsxBook,
)


def document_xlsx(document: Document, sheet_name: str) -> bytes:
    book = XlsxBook()
    add_document_sheet(book, document, sheet_name)
    return book.save()


def add_document_sheet(book: XlsxBook, document: Document, sheet_name: str) -> Sheet:
    table = next((b for b in document.body if isinstance(b, Table)), None)
    columns = max(len(table.header) if table else 6, 6)
    widths = _widths(table, columns)
    sheet = book.add_sheet(sheet_name, widths)
    half = columns // 2
    issuer = [*([document.parent] if document.parent else []), *document.issuer]
    right = [NATION, MOTTO, document.place_date]
    for index in range(max(len(issuer) + 1, len(right))):
        left_text = issuer[index] if index < len(issuer) else None
        if index == len(issuer):
            left_text = document.number
        right_text = right[index] if index < len(right) else None
        right_style = CENTER_ITALIC if right_text == document.place_date else CENTER_BOLD
        sheet.append(
            [(left_text, CENTER_BOLD), *[(None, PLAIN)] * (half - 1), (right_text, right_style)]
        )
        sheet.merge_last(1, half)
        sheet.merge_last(half + 1, columns)
    sheet.append([])
    _line(sheet, document.title, TITLE, columns)
    if document.subtitle:
        _line(sheet, document.subtitle, CENTER_BOLD, columns)
    sheet.append([])
    for block in document.body:
        if isinstance(block, Table):
            sheet.append([(title, HEADER) for title in block.header])
            for index, row in enumerate(block.rows):
                total = index in block.bold_rows
                sheet.append([_cell(value, total) for value in row])
            sheet.append([])
        elif isinstance(block, Heading):
            sheet.append([(block.text, PLAIN)])
        elif isinstance(block, Paragraph):
            sheet.append([(block.text, PLAIN)])
    sheet.append([])
    signatures = document.signatures
    if signatures:
        span = max(columns // len(signatures), 1)
        for part in ("title", "capacity", "hint", "name"):
            cells: list[tuple[object, int]] = []
            for signature in signatures:
                text = {
                    "title": signature.title,
                    "capacity": signature.capacity,
                    "hint": SIGN_HINT,
                    "name": signature.name,
                }[part]
                style = CENTER_ITALIC if part == "hint" else CENTER_BOLD
                cells += [(text, style)] + [(None, PLAIN)] * (span - 1)
            sheet.append(cells)
            for position in range(len(signatures)):
                sheet.merge_last(position * span + 1, position * span + span)
            if part == "hint":
                for _ in range(3):
                    sheet.append([])
    return sheet


def _line(sheet: Sheet, text: str, style: int, columns: int) -> None:
    sheet.append([(text, style)] + [(None, PLAIN)] * (columns - 1))
    sheet.merge_last(1, columns)


def _cell(value: object, total: bool) -> tuple[object, int]:
    if is_number(value):  # type: ignore[arg-type]
        number = float(value) if isinstance(value, Decimal) else value
        if isinstance(value, Decimal) and value == value.to_integral_value():
            number = int(value)
        return number, TOTAL_NUMBER if total else NUMBER
    return value, TOTAL_TEXT if total else TEXT


def _widths(table: Table | None, columns: int) -> list[float]:
    if table is None:
        return [14.0] * columns
    scale = 100 / sum(table.widths)
    return [max(6.0, w * scale * 1.3) for w in table.widths] + [10.0] * (
        columns - len(table.widths)
    )
