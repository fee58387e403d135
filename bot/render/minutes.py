"""The vote-count minutes (biên bản kiểm phiếu), always in Vietnamese: an official record.

PDF through fpdf2 with DejaVu Sans embedded (matplotlib ships it; it carries every Vietnamese
diacritic), and .xlsx through our own writer. Both come from the same list of facts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import matplotlib
from fpdf import FPDF

from bot.domain.voting import Denominator
from bot.i18n import t
from bot.services.ballots import BallotResult

from . import ballots as text
from .text import local_time
from .xlsx_writer import HEADER, NUMBER, PLAIN, TEXT, TITLE, XlsxBook

VI = "vi"
FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def facts(result: BallotResult, timezone: str) -> list[tuple[str, str]]:
    """(label, value) rows of the minutes' header and turnout."""
    ballot, tally = result.ballot, result.count
    return [
        (t(VI, "minutes.cluster"), result.cluster.name),
        (t(VI, "minutes.meeting"), result.meeting.title),
        (t(VI, "minutes.ballot"), f"{ballot.number} – {ballot.award}"),
        (t(VI, "minutes.kind"), text.kind_label(VI, ballot)),
        (
            t(VI, "minutes.method"),
            t(VI, "minutes.secret" if ballot.rules.secret else "minutes.open"),
        ),
        (t(VI, "minutes.rules"), "; ".join(text.rules_lines(VI, ballot, tally.members)[1:])),
        (t(VI, "minutes.opened"), _when(ballot.opened_at, timezone)),
        (t(VI, "minutes.closed"), _when(ballot.closed_at, timezone)),
        (t(VI, "minutes.members"), str(tally.members)),
        (t(VI, "minutes.present"), str(tally.present)),
        (t(VI, "minutes.issued"), str(tally.issued)),
        (t(VI, "minutes.cast"), str(tally.cast)),
        (t(VI, "minutes.valid"), str(tally.valid)),
        (t(VI, "minutes.invalid"), str(tally.invalid)),
        (t(VI, "minutes.blank"), str(tally.abstentions)),
    ]


def candidate_rows(result: BallotResult) -> list[list[str]]:
    winners = {u.id for u in result.winners}
    out = []
    for index, row in enumerate(result.count.candidates, start=1):
        unit = result.units[row.candidate]
        outcome = (
            "minutes.outcome.won"
            if unit.id in winners
            else ("minutes.outcome.passed" if row.passed else "minutes.outcome.failed")
        )
        out.append(
            [
                str(index),
                f"{unit.name} ({unit.code})",
                str(row.votes),
                text.percent(row.share),
                text.percent(row.share_of_issued),
                t(VI, outcome),
            ]
        )
    return out


def conclusion(result: BallotResult) -> list[str]:
    lines = []
    if result.runoff is not None:
        runoff = result.runoff
        votes = ", ".join(
            f"{result.units[r.candidate].code}: {r.votes}" for r in runoff.count.candidates
        )
        lines.append(t(VI, "minutes.runoff", number=runoff.ballot.number, votes=votes))
    if result.ballot.decision is not None:
        codes = text.codes(result.units[u] for u in result.ballot.decision)
        lines.append(t(VI, "minutes.decision", units=codes))
    if result.tie_open:
        lines.append(t(VI, "minutes.tie_open", units=text.codes(result.tied)))
    names = "; ".join(f"{u.name} ({u.code})" for u in result.winners) or t(VI, "minutes.nobody")
    lines.append(t(VI, "minutes.conclusion", award=result.ballot.award, units=names))
    return lines


def _columns(result: BallotResult) -> list[str]:
    base = "members" if result.ballot.rules.denominator == Denominator.MEMBERS else "present"
    return [
        t(VI, "minutes.col.no"),
        t(VI, "minutes.col.unit"),
        t(VI, "minutes.col.votes"),
        t(VI, f"minutes.col.share_{base}"),
        t(VI, "minutes.col.share_issued"),
        t(VI, "minutes.col.outcome"),
    ]


def minutes_pdf(result: BallotResult, timezone: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_margins(18, 15, 18)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_creation_date(result.ballot.closed_at or datetime(2000, 1, 1))
    pdf.set_title(t(VI, "minutes.title"))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 6, t(VI, "minutes.nation"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, t(VI, "minutes.motto"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(0, 9, t(VI, "minutes.title"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 10)
    for label, value in facts(result, timezone):
        pdf.multi_cell(0, 5.5, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    with pdf.table(
        col_widths=(8, 62, 14, 22, 22, 22), text_align="CENTER", line_height=5.5
    ) as table:
        header = table.row()
        for title in _columns(result):
            header.cell(title)
        for values in candidate_rows(result):
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.ln(3)
    for line in conclusion(result):
        pdf.multi_cell(0, 5.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(0, 6, t(VI, "minutes.receipts"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    for receipt, chosen in result.box:
        pdf.cell(
            0,
            4.8,
            f"{receipt}   {', '.join(chosen) or t(VI, 'minutes.blank_paper')}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(2)
    pdf.multi_cell(
        0,
        5,
        t(VI, "minutes.chain", head=result.ballot.chain_head or "–"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(6)
    pdf.set_font("DejaVu", "B", 10)
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / 3
    for role in ("minutes.sign.chair", "minutes.sign.secretary", "minutes.sign.tellers"):
        pdf.cell(width, 6, t(VI, role), align="C")
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 8)
    for _ in range(3):
        pdf.cell(width, 5, t(VI, "minutes.sign.hint"), align="C")
    return bytes(pdf.output())


def minutes_xlsx(result: BallotResult, timezone: str) -> bytes:
    book = XlsxBook()
    sheet = book.add_sheet(t(VI, "minutes.sheet"), [6, 48, 12, 18, 18, 16])
    sheet.append([(t(VI, "minutes.title"), TITLE)])
    sheet.append([])
    for label, value in facts(result, timezone):
        sheet.append([(None, PLAIN), (label, TEXT), (value, TEXT)])
    sheet.append([])
    sheet.append([(title, HEADER) for title in _columns(result)])
    for values in candidate_rows(result):
        sheet.append(
            [(values[0], TEXT), (values[1], TEXT), (int(values[2]), NUMBER)]
            + [(v, TEXT) for v in values[3:]]
        )
    sheet.append([])
    for line in conclusion(result):
        sheet.append([(None, PLAIN), (line, TEXT)])
    sheet.append([])
    sheet.append([(None, PLAIN), (t(VI, "minutes.receipts"), HEADER)])
    for receipt, chosen in result.box:
        sheet.append(
            [
                (None, PLAIN),
                (receipt, TEXT),
                (", ".join(chosen) or t(VI, "minutes.blank_paper"), TEXT),
            ]
        )
    sheet.append([])
    sheet.append(
        [(None, PLAIN), (t(VI, "minutes.chain", head=result.ballot.chain_head or "–"), TEXT)]
    )
    return book.save()


def _when(moment: datetime | None, timezone: str) -> str:
    return local_time(moment, timezone) if moment else "–"
