"""The vote-count minutes (biên bản kiểm phiếu), always in Vietnamese: an official record.

PDF through fpdf2 with DejaVu Sans embedded (shipped in bot/data/fonts with its licence; it
carries every Vietnamese diacritic), and .xlsx through our own writer. Both come from the same
list of facts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.domain.voting import BallotKind, Denominator
from bot.i18n import worded
from bot.services.ballot_views import BallotResult

from . import ballots as text
from .text import local_time
from .xlsx_writer import HEADER, NUMBER, PLAIN, TEXT, TITLE, XlsxBook

if TYPE_CHECKING:
    from fpdf import FPDF

VI = "vi"
FONTS = Path(__file__).resolve().parents[1] / "data" / "fonts"

# The minutes are an official record in Vietnamese whatever the reader's language, so their
# labels live here rather than in the translated catalogs.
LABELS: dict[str, str] = {
    "nation": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "motto": "Độc lập – Tự do – Hạnh phúc",
    "title": "BIÊN BẢN KIỂM PHIẾU",
    "sheet": "Biên bản kiểm phiếu",
    "cluster": "Tên cụm thi đua",
    "meeting": "Hội nghị",
    "ballot": "Phiếu số",
    "kind": "Hình thức",
    "method": "Phương thức",
    "secret": "bỏ phiếu kín",
    "open": "biểu quyết công khai",
    "rules": "Quy tắc",
    "opened": "Mở phiếu lúc",
    "closed": "Đóng phiếu lúc",
    "members": "Tổng số đơn vị thành viên",
    "present": "Số đơn vị có mặt",
    "issued": "Số phiếu phát ra",
    "cast": "Số phiếu thu vào",
    "valid": "Số phiếu hợp lệ",
    "invalid": "Số phiếu không hợp lệ",
    "blank": "Số phiếu trắng (không chọn đơn vị nào)",
    "col.no": "STT",
    "col.unit": "Đơn vị",
    "col.votes": "Số phiếu",
    "col.for": "Đồng ý",
    "col.against": "Không đồng ý",
    "col.share_members": "% trên tổng số đơn vị",
    "col.share_present": "% trên số đơn vị có mặt",
    "col.share_issued": "% trên số phiếu phát ra",
    "col.outcome": "Kết quả",
    "outcome.won": "Được đề nghị",
    "outcome.elected": "Được bầu",
    "outcome.passed": "Đạt ngưỡng",
    "outcome.failed": "Không đạt",
    "runoff": "Bỏ phiếu lại (phiếu số {number}): {votes}",
    "decision": "Cụm trưởng quyết định (các đơn vị bằng phiếu): {units}",
    "tie_open": "Bằng phiếu tại vị trí cuối giữa {units}: chưa giải quyết.",
    "conclusion": "Kết luận: đơn vị được đề nghị tặng {award}: {units}",
    "conclusion.elected": "Kết luận: đơn vị được bầu {award}: {units}",
    "nobody": "không có",
    "papers": "Các lá phiếu đã kiểm (xáo trộn, không kèm mã biên nhận):",
    "paper": "Phiếu {number}: {marks}",
    "receipts": "Mã biên nhận của các phiếu đã bỏ (xếp theo thứ tự chữ cái):",
    "blank_paper": "không đánh dấu đơn vị nào",
    "unreadable_paper": "không đọc được (phiếu không hợp lệ)",
    "chain": "Mã băm đầu chuỗi nhật ký khi đóng phiếu (SHA-256): {head}",
    "sign.chair": "CỤM TRƯỞNG",
    "sign.secretary": "THƯ KÝ",
    "sign.tellers": "TỔ KIỂM PHIẾU",
    "sign.hint": "(ký, ghi rõ họ tên)",
}


def _label(key: str, /, **params: object) -> str:
    label = worded(VI, LABELS[key])  # "KHỐI TRƯỞNG" in a khối
    return label.format(**params) if params else label


def facts(result: BallotResult, timezone: str) -> list[tuple[str, str]]:
    """(label, value) rows of the minutes' header and turnout."""
    ballot, tally = result.ballot, result.count
    return [
        (_label("cluster"), result.cluster.name),
        (_label("meeting"), result.meeting.title),
        (_label("ballot"), f"{ballot.number} – {ballot.award}"),
        (_label("kind"), text.kind_label(VI, ballot)),
        (
            _label("method"),
            _label("secret" if ballot.rules.secret else "open"),
        ),
        (_label("rules"), "; ".join(text.rules_lines(VI, ballot, tally.members)[1:])),
        (_label("opened"), _when(ballot.opened_at, timezone)),
        (_label("closed"), _when(ballot.closed_at, timezone)),
        (_label("members"), str(tally.members)),
        (_label("present"), str(tally.present)),
        (_label("issued"), str(tally.issued)),
        (_label("cast"), str(tally.cast)),
        (_label("valid"), str(tally.valid)),
        (_label("invalid"), str(tally.invalid)),
        *([] if _approve(result) else [(_label("blank"), str(tally.abstentions))]),
    ]


def candidate_rows(result: BallotResult) -> list[list[str]]:
    winners = {u.id for u in result.winners}
    won = "outcome.elected" if _elects(result) else "outcome.won"
    out = []
    for index, row in enumerate(result.count.candidates, start=1):
        unit = result.units[row.candidate]
        outcome = (
            won if unit.id in winners else ("outcome.passed" if row.passed else "outcome.failed")
        )
        against = [str(result.count.valid - row.votes)] if _approve(result) else []
        out.append(
            [
                str(index),
                f"{unit.name} ({unit.code})",
                str(row.votes),
                *against,  # on an approve ballot every valid paper not for a unit is against it
                text.percent(row.share),
                text.percent(row.share_of_issued),
                _label(outcome),
            ]
        )
    return out


def _elects(result: BallotResult) -> bool:
    return result.ballot.rules.kind == BallotKind.ELECT


def _approve(result: BallotResult) -> bool:
    return result.ballot.rules.kind == BallotKind.APPROVE


def conclusion(result: BallotResult) -> list[str]:
    lines = []
    if result.runoff is not None:
        runoff = result.runoff
        votes = ", ".join(
            f"{result.units[r.candidate].code}: {r.votes}" for r in runoff.count.candidates
        )
        lines.append(_label("runoff", number=runoff.ballot.number, votes=votes))
    if result.ballot.decision is not None:
        codes = text.codes(result.units[u] for u in result.ballot.decision)
        lines.append(_label("decision", units=codes))
    if result.tie_open:
        lines.append(_label("tie_open", units=text.codes(result.tied)))
    names = "; ".join(f"{u.name} ({u.code})" for u in result.winners) or _label("nobody")
    key = "conclusion.elected" if _elects(result) else "conclusion"
    lines.append(_label(key, award=result.ballot.award, units=names))
    return lines


def _columns(result: BallotResult) -> list[str]:
    base = "members" if result.ballot.rules.denominator == Denominator.MEMBERS else "present"
    votes = (
        [_label("col.for"), _label("col.against")] if _approve(result) else [_label("col.votes")]
    )
    return [
        _label("col.no"),
        _label("col.unit"),
        *votes,
        _label(f"col.share_{base}"),
        _label("col.share_issued"),
        _label("col.outcome"),
    ]


def minutes_pdf(result: BallotResult, timezone: str) -> bytes:
    with text.words_of(result.ballot):  # an election's minutes count "phiếu bầu"
        return _minutes_pdf(result, timezone)


def _minutes_pdf(result: BallotResult, timezone: str) -> bytes:
    from fpdf import FPDF  # loaded when a PDF is made, not at start-up

    pdf = FPDF(format="A4")
    pdf.set_margins(18, 15, 18)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_creation_date(result.ballot.closed_at or datetime(2000, 1, 1))
    pdf.set_title(_label("title"))
    pdf.add_page()
    _pdf_heading(pdf)
    pdf.set_font("DejaVu", "", 10)
    for label, value in facts(result, timezone):
        pdf.multi_cell(0, 5.5, f"{label}: {value}", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _pdf_table(pdf, result)
    pdf.ln(3)
    for line in conclusion(result):
        pdf.multi_cell(0, 5.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _pdf_receipts(pdf, result)
    pdf.ln(6)
    _pdf_signatures(pdf)
    return bytes(pdf.output())


def _pdf_heading(pdf: FPDF) -> None:
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 6, _label("nation"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, _label("motto"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(0, 9, _label("title"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _pdf_table(pdf: FPDF, result: BallotResult) -> None:
    with pdf.table(
        col_widths=(10, 50, 15, 15, 22, 22, 20) if _approve(result) else (10, 60, 14, 22, 22, 22),
        text_align="CENTER",
        line_height=5.5,
    ) as table:
        header = table.row()
        for title in _columns(result):
            header.cell(title)
        for values in candidate_rows(result):
            row = table.row()
            for value in values:
                row.cell(value)


def _pdf_receipts(pdf: FPDF, result: BallotResult) -> None:
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(0, 6, _label("papers"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    for line in paper_lines(result):
        pdf.cell(0, 4.8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(0, 6, _label("receipts"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    receipts = ", ".join(result.receipts) or "–"
    pdf.multi_cell(0, 4.8, receipts, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    head = _label("chain", head=result.ballot.chain_head or "–")
    pdf.multi_cell(0, 5, head, align="L", new_x="LMARGIN", new_y="NEXT")


def _pdf_signatures(pdf: FPDF) -> None:
    pdf.set_font("DejaVu", "B", 10)
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / 3
    for role in ("sign.chair", "sign.secretary", "sign.tellers"):
        pdf.cell(width, 6, _label(role), align="C")
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 8)
    for _ in range(3):
        pdf.cell(width, 5, _label("sign.hint"), align="C")


def paper_lines(result: BallotResult) -> list[str]:
    """Every counted paper, in the shuffled order it is stored in: anyone can recount."""
    lines = []
    for number, marks in enumerate(result.papers, start=1):
        if marks is None:
            text = _label("unreadable_paper")
        else:
            text = ", ".join(marks) or _label("blank_paper")
        lines.append(_label("paper", number=number, marks=text))
    return lines


def minutes_xlsx(result: BallotResult, timezone: str) -> bytes:
    with text.words_of(result.ballot):
        return _minutes_xlsx(result, timezone)


def _minutes_xlsx(result: BallotResult, timezone: str) -> bytes:
    book = XlsxBook()
    widths: list[float] = (
        [6, 48, 12, 12, 18, 18, 16] if _approve(result) else [6, 48, 12, 18, 18, 16]
    )
    sheet = book.add_sheet(_label("sheet"), widths)
    sheet.append([(_label("title"), TITLE)])
    sheet.append([])
    for label, value in facts(result, timezone):
        sheet.append([(None, PLAIN), (label, TEXT), (value, TEXT)])
    sheet.append([])
    sheet.append([(title, HEADER) for title in _columns(result)])
    counts = 2 if _approve(result) else 1  # the vote columns, stored as numbers
    for values in candidate_rows(result):
        sheet.append(
            [(values[0], TEXT), (values[1], TEXT)]
            + [(int(v), NUMBER) for v in values[2 : counts + 2]]
            + [(v, TEXT) for v in values[counts + 2 :]]
        )
    sheet.append([])
    for line in conclusion(result):
        sheet.append([(None, PLAIN), (line, TEXT)])
    sheet.append([])
    sheet.append([(None, PLAIN), (_label("papers"), HEADER)])
    for line in paper_lines(result):
        sheet.append([(None, PLAIN), (line, TEXT)])
    sheet.append([])
    sheet.append([(None, PLAIN), (_label("receipts"), HEADER)])
    for receipt in result.receipts:
        sheet.append([(None, PLAIN), (receipt, TEXT)])
    sheet.append([])
    sheet.append([(None, PLAIN), (_label("chain", head=result.ballot.chain_head or "–"), TEXT)])
    return book.save()


def _when(moment: datetime | None, timezone: str) -> str:
    return local_time(moment, timezone) if moment else "–"
