"""The score workbook the secretariat prints: the official score summary, then one sheet per unit
with self and verified scores per item that add up to its total; and the unit's Excel form."""

from __future__ import annotations

from decimal import Decimal

from bot.domain.scoring import SheetStatus, fmt, totals
from bot.i18n import t

from .xlsx_writer import HEADER, NUMBER, PLAIN, TEXT, TITLE, TOTAL_NUMBER, TOTAL_TEXT, XlsxBook


def score_workbook(locale: str, summary, export) -> bytes:
    """`summary`: the official score summary (first sheet, as signed); `export`:
    bot.services.scoring_views.Export, one sheet per unit that reconciles: every item, the
    bonus cap applied on its own row, deductions negative, a subtotal per group, and the items
    shown add up to the total. The verified column stays blank until the sheet is verified."""
    from .xlsx_document import add_document_sheet  # with the documents, when first needed

    book = XlsxBook()
    add_document_sheet(book, summary, t(locale, "xlsx.summary_sheet"))
    for sheet in export.sheets:
        _unit_sheet(book, locale, export, sheet)
    return book.save()


def _unit_sheet(book: XlsxBook, locale: str, export, sheet) -> None:
    scale = export.scale
    verified = sheet.status == SheetStatus.VERIFIED
    final = {**sheet.own, **sheet.verified}
    ws = book.add_sheet(sheet.unit.code, [8, 60, 10, 12, 14, 40, 40], 3)
    ws.append([(f"{sheet.unit.name} – {export.round.title}", TITLE)])
    ws.append([(t(locale, "xlsx.unit_hint"), PLAIN)])
    ws.append(_header(locale, ("item", "criterion", "max", "self", "verified", "reason", "note")))

    def item(criterion, sign: int = 1) -> None:
        code = criterion.code
        ws.append(
            [
                (code, TEXT),
                (criterion.title, TEXT),
                (_num(criterion.max), NUMBER),
                (_signed(sheet.own.get(code), sign), NUMBER),
                (_signed(final.get(code), sign) if verified else None, NUMBER),
                (sheet.reasons.get(code), TEXT),
                (_note(locale, sheet, code), TEXT),
            ]
        )

    def subtotal(label: str, maximum, own, checked) -> None:
        ws.append(
            [
                (None, TOTAL_TEXT),
                (label, TOTAL_TEXT),
                (_num(maximum), TOTAL_NUMBER),
                (_num(own), TOTAL_NUMBER),
                (_num(checked) if verified else None, TOTAL_NUMBER),
                (None, TOTAL_TEXT),
                (None, TOTAL_TEXT),
            ]
        )

    mine, theirs = totals(scale, sheet.own), totals(scale, final)
    for group in scale.groups:
        ws.append([(f"{group.code}. {group.title}", TOTAL_TEXT)])
        for criterion in group.items:
            item(criterion)
        label = t(locale, "xlsx.group_total", group=group.code)
        subtotal(label, group.max, mine.by_group[group.code], theirs.by_group[group.code])
    if scale.bonus:
        cap = fmt(scale.bonus_cap)
        ws.append([(t(locale, "xlsx.bonus_head", cap=cap), TOTAL_TEXT)])
        for criterion in scale.bonus:
            item(criterion)
        raw_own, raw_final = _raw(scale.bonus, sheet.own), _raw(scale.bonus, final)
        if raw_own > scale.bonus_cap or (verified and raw_final > scale.bonus_cap):
            over = t(locale, "xlsx.bonus_over", cap=cap)
            ws.append(
                [
                    (None, TEXT),
                    (over, TEXT),
                    (None, NUMBER),
                    (_over(scale.bonus_cap, raw_own), NUMBER),
                    (
                        _num(min(scale.bonus_cap - raw_final, Decimal(0))) if verified else None,
                        NUMBER,
                    ),
                    (None, TEXT),
                    (None, TEXT),
                ]
            )
        subtotal(t(locale, "xlsx.bonus_total"), scale.bonus_cap, mine.bonus, theirs.bonus)
    if scale.deductions:
        ws.append([(t(locale, "xlsx.deductions_head"), TOTAL_TEXT)])
        for criterion in scale.deductions:
            item(criterion, -1)
        subtotal(t(locale, "xlsx.deductions_total"), None, -mine.deductions, -theirs.deductions)
    subtotal(t(locale, "xlsx.total"), scale.total, mine.total, theirs.total)


def _over(cap: Decimal, given: Decimal) -> float | int | None:
    """The part of the bonus above the cap, as a negative correction."""
    return _num(min(cap - given, Decimal(0)))


def _raw(criteria, scores: dict[str, Decimal]) -> Decimal:
    return sum((scores.get(c.code, Decimal(0)) for c in criteria), Decimal(0))


def _signed(value: Decimal | None, sign: int) -> float | int | None:
    return _num(-value if value is not None and sign < 0 else value)


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
