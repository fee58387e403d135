"""The score workbook the secretariat prints: a summary sheet with totals, ranks and bands, then
one sheet per unit with self and verified scores per item, in Vietnamese."""

from __future__ import annotations

from decimal import Decimal

from bot.i18n import t

from .scoring import band_label
from .xlsx_writer import HEADER, NUMBER, PLAIN, TEXT, TITLE, TOTAL_NUMBER, TOTAL_TEXT, XlsxBook


def score_workbook(locale: str, cluster_name: str, export) -> bytes:
    """`export`: bot.services.scoring_views.Export. Returns the .xlsx file's bytes."""
    book = XlsxBook()
    summary = book.add_sheet(t(locale, "xlsx.summary_sheet"), [6, 10, 40, 12, 14, 10, 14, 20], 3)
    summary.append([(f"{cluster_name} – {export.round.title}", TITLE)])
    summary.append([])
    summary.append(
        _header(locale, ("no", "code", "unit", "self", "final", "rank", "band", "status"))
    )
    ranks = {r.entry.unit_code: r for r in export.ranking.rows}
    for index, sheet in enumerate(export.sheets, start=1):
        ranked = ranks.get(sheet.unit.code)
        summary.append(
            [
                (index, TEXT),
                (sheet.unit.code, TEXT),
                (sheet.unit.name, TEXT),
                (_num(sheet.own_total), NUMBER),
                (_num(sheet.final_total), NUMBER),
                (ranked.rank if ranked else None, TEXT),
                (band_label(locale, ranked.band) if ranked else None, TEXT),
                (t(locale, f"sheet.{sheet.status}"), TEXT),
            ]
        )

    for sheet in export.sheets:
        ws = book.add_sheet(sheet.unit.code, [8, 60, 10, 12, 14, 40, 40], 3)
        ws.append([(f"{sheet.unit.name} – {export.round.title}", TITLE)])
        ws.append([])
        ws.append(
            _header(locale, ("item", "criterion", "max", "self", "verified", "reason", "note"))
        )
        for criterion in export.scale.criteria:
            code = criterion.code
            ws.append(
                [
                    (code, TEXT),
                    (criterion.title, TEXT),
                    (_num(criterion.max), NUMBER),
                    (_num(sheet.own.get(code)), NUMBER),
                    (_num(sheet.verified.get(code)), NUMBER),
                    (sheet.reasons.get(code), TEXT),
                    (_note(locale, sheet, code), TEXT),
                ]
            )
        ws.append(
            [
                (None, TOTAL_TEXT),
                (t(locale, "xlsx.total"), TOTAL_TEXT),
                (_num(export.scale.total), TOTAL_NUMBER),
                (_num(sheet.own_total), TOTAL_NUMBER),
                (_num(sheet.final_total), TOTAL_NUMBER),
                (None, TOTAL_TEXT),
                (None, TOTAL_TEXT),
            ]
        )
    return book.save()


def _note(locale: str, sheet, code: str) -> str | None:
    parts = [sheet.notes.get(code)]
    if sheet.evidence.get(code):
        parts.append(t(locale, "xlsx.evidence", file=sheet.evidence[code]))
    return "; ".join(p for p in parts if p) or None


def _header(locale: str, columns: tuple[str, ...]) -> list[tuple[str, int]]:
    return [(t(locale, f"xlsx.col.{c}"), HEADER) for c in columns]


def _num(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def score_template(locale: str, unit_name: str, view) -> bytes:
    """The unit's sheet as an Excel form to fill in and send back (`view`: SheetView)."""
    book = XlsxBook()
    ws = book.add_sheet(t(locale, "xlsx.template_sheet"), [8, 60, 10, 14, 40], 3)
    ws.append([(f"{unit_name} – {view.round.title}", TITLE)])
    ws.append([(t(locale, "xlsx.template_hint"), PLAIN)])
    ws.append(_header(locale, ("item", "criterion", "max", "self", "note")))
    for criterion in view.scale.criteria:
        ws.append(
            [
                (criterion.code, TEXT),
                (criterion.title, TEXT),
                (_num(criterion.max), NUMBER),
                (_num(view.scores.get(criterion.code)), NUMBER),
                (view.notes.get(criterion.code), TEXT),
            ]
        )
    return book.save()
