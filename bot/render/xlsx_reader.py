"""Reading an uploaded workbook's first sheet as plain rows (openpyxl, read-only)."""

from __future__ import annotations

import io
import zipfile

from bot.domain.errors import InvalidInput


def first_sheet_rows(data: bytes, limit: int = 5000) -> list[list[object]]:
    try:
        from openpyxl import load_workbook  # loaded when a workbook arrives, not at start-up

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise InvalidInput("excel.unreadable") from None
    try:
        sheet = book.worksheets[0]
        return [
            list(row)
            for _, row in zip(range(limit), sheet.iter_rows(values_only=True), strict=False)
        ]
    finally:
        book.close()
