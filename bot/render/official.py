"""The official documents a review meeting and a scoring round produce, as `Document`s: the
vote-count minutes of each ballot (biên bản kiểm phiếu), the minutes of the whole meeting (biên
bản hội nghị), the nomination letter per award (tờ trình đề nghị khen thưởng) and the score
summary (bảng tổng hợp kết quả chấm điểm). Always in Vietnamese: they are official records, so
their words live here rather than in the translated catalogs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from bot.domain.documents import BLANK_PLACE, Letter
from bot.domain.models import Unit
from bot.domain.scoring import fmt, totals
from bot.domain.voting import BallotKind, Denominator
from bot.i18n import worded
from bot.services.ballot_views import BallotResult

from .document import (
    Align,
    Cell,
    Document,
    Heading,
    Paragraph,
    Signature,
    Table,
    place_date,
)
from .scoring import band_label

VI = "vi"
BLANK_NAME = "……………………"
LAW = "Căn cứ Luật Thi đua, khen thưởng số 06/2022/QH15 ngày 15 tháng 6 năm 2022;"
DECREE = "Căn cứ Nghị định của Chính phủ quy định chi tiết Luật Thi đua, khen thưởng hiện hành;"
KIND = {
    BallotKind.APPROVE: "đồng ý / không đồng ý từng đơn vị",
    BallotKind.CHOOSE: "chọn tối đa {quota} đơn vị",
    BallotKind.ELECT: "bầu một đơn vị",
}


def _w(text: str) -> str:
    """In the group's words: "Khối trưởng" in a khối."""
    return worded(VI, text)


def _local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


def _clock(moment: datetime) -> str:
    return f"{moment.hour:02d} giờ {moment.minute:02d} phút"


def _day(moment: datetime) -> str:
    return f"ngày {moment.day:02d} tháng {moment.month:02d} năm {moment.year}"


def _percent(share: Decimal) -> Decimal:
    return (share * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _unit(unit: Unit) -> str:
    return f"{unit.name} ({unit.code})"


def _frame(letter: Letter, symbol: str, title: str, stem: str, **kw) -> dict:
    """The fields every document of the cluster shares."""
    head = letter.letterhead
    return {
        "issuer": head.issuer_lines(letter.cluster_name),
        "parent": head.parent,
        "number": letter.number_line(symbol),
        "place_date": place_date(head.place or BLANK_PLACE, letter.issued_at),
        "title": title,
        "file_stem": stem,
        "created": letter.issued_at,
        **kw,
    }


def _chair_signature(letter: Letter, *, on_behalf: bool) -> Signature:
    """ "TM. CỤM THI ĐUA / CỤM TRƯỞNG" for a letter; "CHỦ TRÌ HỘI NGHỊ" for minutes."""
    people = letter.people
    if on_behalf:
        return Signature(_w("TM. CỤM THI ĐUA"), _w("CỤM TRƯỞNG"), people.chair_name or BLANK_NAME)
    return Signature("CHỦ TRÌ HỘI NGHỊ", None, people.chair_name or BLANK_NAME)


# -- biên bản kiểm phiếu ------------------------------------------------------------------------


def vote_minutes(result: BallotResult, letter: Letter, timezone: str) -> Document:
    """The counting board's record of one ballot: who counted, the counts, every candidate's
    votes and share, the result, the papers and receipts (anyone can recount), the closing
    formula and every counter's signature."""
    ballot, tally = result.ballot, result.count
    closed = _local(ballot.closed_at or letter.issued_at, timezone)
    opened = _local(ballot.opened_at or closed, timezone)
    people = letter.people
    place = people.place or letter.letterhead.place or BLANK_PLACE
    counters = people.counters or (BLANK_NAME, BLANK_NAME, BLANK_NAME)
    elect = result.ballot.rules.kind == BallotKind.ELECT
    words = "bầu" if elect else "bình xét"
    paper = "phiếu bầu" if elect else "phiếu"
    body: list = [
        Paragraph(
            f"Hôm nay, vào lúc {_clock(closed)}, {_day(closed)}, tại {place}, trong "
            f"{result.meeting.title} của {letter.cluster_name}, Tổ kiểm phiếu đã kiểm phiếu "
            f"{words} {ballot.award} ({paper} số {ballot.number})."
        ),
        Heading("I. TỔ KIỂM PHIẾU"),
        *[
            Paragraph(
                f"{i}. {name} – {'Tổ trưởng' if i == 1 else 'thành viên'}",
                align=Align.LEFT,
            )
            for i, name in enumerate(counters, start=1)
        ],
        Heading("II. HÌNH THỨC VÀ QUY TẮC"),
        Paragraph(
            f"Hình thức: {KIND[ballot.rules.kind].format(quota=ballot.rules.quota)}; "
            f"{'bỏ phiếu kín' if ballot.rules.secret else 'biểu quyết công khai'}; mở phiếu lúc "
            f"{_clock(opened)}, đóng phiếu lúc {_clock(closed)}.",
        ),
        Paragraph(_rule_text(result)),
        Heading("III. KẾT QUẢ KIỂM PHIẾU"),
        Table(
            ("Nội dung", "Số lượng"),
            (
                ("Tổng số đơn vị thành viên", tally.members),
                ("Số đơn vị có mặt", tally.present),
                ("Số phiếu phát ra", tally.issued),
                ("Số phiếu thu vào", tally.cast),
                ("Số phiếu hợp lệ", tally.valid),
                ("Số phiếu không hợp lệ", tally.invalid),
                *(
                    []
                    if ballot.rules.kind == BallotKind.APPROVE
                    else [("Số phiếu trắng (không chọn đơn vị nào)", tally.abstentions)]
                ),
            ),
            (4, 1),
        ),
        _candidate_table(result),
        *[Paragraph(line) for line in _conclusion(result)],
        Heading("IV. CÁC LÁ PHIẾU ĐÃ KIỂM"),
        Paragraph(
            "Các lá phiếu theo thứ tự lưu (đã xáo trộn, không kèm mã biên nhận): "
            + "; ".join(_papers(result)),
            align=Align.LEFT,
        ),
        Paragraph(
            "Mã biên nhận của các phiếu đã bỏ (theo thứ tự chữ cái): "
            + (", ".join(result.receipts) or "không có"),
            align=Align.LEFT,
        ),
        Paragraph(
            f"Mã băm đầu chuỗi nhật ký khi đóng phiếu (SHA-256): {ballot.chain_head or '–'}",
            align=Align.LEFT,
        ),
        Paragraph(
            f"Biên bản lập xong lúc {_clock(closed)} cùng ngày, đã đọc lại cho hội nghị nghe "
            "và thông qua.",
            closing=True,
        ),
    ]
    signatures = [
        Signature("TM. TỔ KIỂM PHIẾU", "TỔ TRƯỞNG", counters[0]),
        *[Signature("THÀNH VIÊN", None, name) for name in counters[1:3]],
    ]
    return Document(
        **_frame(
            letter,
            "BB",
            "BIÊN BẢN KIỂM PHIẾU BẦU" if elect else "BIÊN BẢN KIỂM PHIẾU",
            f"bien-ban-kiem-phieu-{ballot.number}",
            subtitle=f"{words.capitalize()} {ballot.award}",
        ),
        body=tuple(body),
        signatures=tuple(signatures),
    )


def _rule_text(result: BallotResult) -> str:
    rules = result.ballot.rules
    base = (
        f"tổng số {result.count.members} đơn vị thành viên"
        if rules.denominator == Denominator.MEMBERS
        else "số đơn vị có mặt"
    )
    quota = f"; số đơn vị được đề nghị tối đa: {rules.quota}"
    return _w(
        f"Quy tắc: đơn vị đạt khi được trên {fmt(_percent(rules.threshold))}% {base} đồng ý"
        f"{quota}; nếu bằng phiếu tại vị trí cuối thì bỏ phiếu lại hoặc Cụm trưởng quyết định."
    )


def _candidate_table(result: BallotResult) -> Table:
    approve = result.ballot.rules.kind == BallotKind.APPROVE
    base = (
        "tổng số đơn vị" if result.ballot.rules.denominator == Denominator.MEMBERS else "số có mặt"
    )
    winners = {u.id for u in result.winners}
    elected = result.ballot.rules.kind == BallotKind.ELECT
    rows: list[tuple[Cell, ...]] = []
    for index, row in enumerate(result.count.candidates, start=1):
        unit = result.units[row.candidate]
        if unit.id in winners:
            outcome = "Được bầu" if elected else "Được đề nghị"
        else:
            outcome = "Đạt ngưỡng" if row.passed else "Không đạt"
        votes: tuple[Cell, ...] = (
            (row.votes, result.count.valid - row.votes) if approve else (row.votes,)
        )
        rows.append(
            (
                index,
                _unit(unit),
                *votes,
                _percent(row.share),
                _percent(row.share_of_issued),
                outcome,
            )
        )
    header = (
        "STT",
        "Đơn vị",
        *(("Đồng ý", "Không đồng ý") if approve else ("Số phiếu",)),
        f"% trên {base}",
        "% trên số phiếu phát ra",
        "Kết quả",
    )
    widths = (5, 26, 8, 8, 10, 10, 11) if approve else (5, 30, 8, 10, 10, 12)
    return Table(header, tuple(rows), widths)


def _conclusion(result: BallotResult) -> list[str]:
    lines = []
    if result.runoff is not None:
        votes = ", ".join(
            f"{result.units[r.candidate].code}: {r.votes} phiếu"
            for r in result.runoff.count.candidates
        )
        lines.append(f"Bỏ phiếu lại (phiếu số {result.runoff.ballot.number}): {votes}.")
    if result.ballot.decision is not None:
        codes = ", ".join(result.units[u].code for u in result.ballot.decision)
        lines.append(_w(f"Cụm trưởng quyết định giữa các đơn vị bằng phiếu: {codes}."))
    if result.tie_open:
        tied = ", ".join(u.code for u in result.tied)
        lines.append(f"Bằng phiếu tại vị trí cuối giữa {tied}: chưa giải quyết.")
    names = "; ".join(_unit(u) for u in result.winners) or "không có"
    verb = "được bầu" if result.ballot.rules.kind == BallotKind.ELECT else "được đề nghị tặng"
    lines.append(f"Kết luận: đơn vị {verb} {result.ballot.award}: {names}.")
    return lines


def _papers(result: BallotResult) -> list[str]:
    out = []
    for number, marks in enumerate(result.papers, start=1):
        if marks is None:
            text = "không hợp lệ"
        else:
            text = ", ".join(marks) or "không đánh dấu đơn vị nào"
        out.append(f"phiếu {number}: {text}")
    return out or ["không có"]


# -- biên bản hội nghị --------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingRecord:
    title: str
    opened_at: datetime
    closed_at: datetime | None
    units: list[Unit]
    present: list[Unit]
    results: list[BallotResult]  # counted ballots, run-offs included, in order


def record_of(papers) -> MeetingRecord:
    """`papers`: bot.services.paperwork.MeetingPapers."""
    meeting = papers.meeting
    return MeetingRecord(
        meeting.title, meeting.opened_at, meeting.closed_at, papers.units, papers.present,
        papers.results,
    )  # fmt: skip


def nominees_of(papers, award: str) -> list[Nominee]:
    """The units proposed for `award`, with their score, rank and share of the ballots."""
    out = []
    for unit, share in papers.nominees(award):
        rank, total = papers.standing.get(unit.id, (None, None))
        out.append(Nominee(unit, total, rank, share))
    return out


def meeting_minutes(record: MeetingRecord, letter: Letter, timezone: str) -> Document:
    people = letter.people
    opened = _local(record.opened_at, timezone)
    # Still open when the minutes are made: the time is written in by hand.
    ended = _clock(_local(record.closed_at, timezone)) if record.closed_at else "…… giờ …… phút"
    place = people.place or letter.letterhead.place or BLANK_PLACE
    present = {u.id for u in record.present}
    absent = [u for u in record.units if u.id not in present]
    chair = people.chair_name or BLANK_NAME
    chair_line = f"{chair}, {people.chair_position}" if people.chair_position else chair
    body: list = [
        Heading("I. THỜI GIAN, ĐỊA ĐIỂM"),
        Paragraph(f"Thời gian: {_clock(opened)}, {_day(opened)}."),
        Paragraph(f"Địa điểm: {place}."),
        Heading("II. THÀNH PHẦN"),
        Paragraph(f"Chủ trì hội nghị: {chair_line}."),
        Paragraph(f"Thư ký hội nghị: {people.secretary_name or BLANK_NAME}."),
        Paragraph(
            f"Có mặt: {len(record.present)}/{len(record.units)} đơn vị thành viên: "
            + ("; ".join(_unit(u) for u in record.present) or "không có")
            + "."
        ),
        Paragraph(
            "Vắng mặt: " + ("; ".join(_unit(u) for u in absent) or "không có") + ".",
        ),
        Heading("III. NỘI DUNG"),
        Paragraph(
            _w(
                f"Hội nghị nghe báo cáo tổng kết công tác thi đua, khen thưởng năm "
                f"{opened.year} của {letter.cluster_name} và kết quả chấm điểm các đơn vị; "
                "thảo luận và bỏ phiếu bình xét, suy tôn. Kết quả các lần bỏ phiếu:"
            )
        ),
        _ballots_table(record),
        Heading("IV. KẾT LUẬN"),
        *[Paragraph(line) for line in _meeting_conclusion(record)],
        Paragraph(
            f"Hội nghị kết thúc lúc {ended} cùng ngày. Biên bản lập xong lúc {ended}, đã đọc "
            "lại cho hội nghị nghe và thông qua.",
            closing=True,
        ),
    ]
    return Document(
        **_frame(
            letter,
            "BB",
            "BIÊN BẢN",
            "bien-ban-hoi-nghi",
            subtitle=f"Hội nghị tổng kết, bình xét thi đua năm {opened.year}",
        ),
        body=tuple(body),
        signatures=(
            Signature("THƯ KÝ", None, people.secretary_name or BLANK_NAME),
            _chair_signature(letter, on_behalf=False),
        ),
    )


def _ballots_table(record: MeetingRecord) -> Table:
    rows: list[tuple[Cell, ...]] = []
    for result in record.results:
        winners = {u.id for u in result.winners}
        for row in result.count.candidates:
            unit = result.units[row.candidate]
            rows.append(
                (
                    len(rows) + 1,
                    f"{result.ballot.number}. {result.ballot.award}",
                    _unit(unit),
                    row.votes,
                    _percent(row.share_of_issued),
                    "Được đề nghị" if unit.id in winners else "Không",
                )
            )
    return Table(
        ("STT", "Phiếu – danh hiệu", "Đơn vị", "Số phiếu", "% phiếu phát ra", "Kết quả"),
        tuple(rows),
        (4, 20, 26, 8, 10, 10),
    )


def _meeting_conclusion(record: MeetingRecord) -> list[str]:
    by_award: dict[str, list[Unit]] = {}
    for result in record.results:
        if result.ballot.runoff_of is not None:
            continue  # its winners count on the ballot it settled
        by_award.setdefault(result.ballot.award, []).extend(result.winners)
    if not by_award:
        return ["Hội nghị chưa kiểm phiếu nào."]
    return [
        f"Đề nghị {award}: " + ("; ".join(_unit(u) for u in units) or "không có đơn vị nào") + "."
        for award, units in by_award.items()
    ]


# -- tờ trình -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Nominee:
    unit: Unit
    total: Decimal | None  # score in the current round, when ranked
    rank: int | None
    share: Decimal  # of the ballots issued


def nomination(
    award: str,
    nominees: Sequence[Nominee],
    letter: Letter,
    minutes_number: str,
    meeting_day: datetime,
) -> Document:
    head = letter.letterhead
    council = head.council or "Hội đồng Thi đua – Khen thưởng"
    day = _day(meeting_day)
    rows = tuple(
        (
            i,
            _unit(n.unit),
            n.total,
            n.rank,
            _percent(n.share),
        )
        for i, n in enumerate(nominees, start=1)
    )
    body = (
        Paragraph(f"Kính gửi: {council}.", bold=True, align=Align.CENTER, indent=False),
        Paragraph(LAW),
        Paragraph(DECREE),
        Paragraph(_w(f"Căn cứ Quy chế hoạt động và kết quả chấm điểm của {letter.cluster_name};")),
        Paragraph(f"Căn cứ Biên bản hội nghị bình xét {day} ({minutes_number}),"),
        Paragraph(
            f"{letter.cluster_name} kính trình {council} xem xét, đề nghị tặng {award} cho "
            f"{len(nominees)} đơn vị có thành tích xuất sắc sau:"
        ),
        Table(
            ("STT", "Đơn vị", "Tổng điểm", "Xếp hạng", "Tỷ lệ phiếu (%)"),
            rows,
            (4, 30, 9, 8, 10),
        ),
        Paragraph(
            "Hồ sơ kèm theo: biên bản hội nghị bình xét, biên bản kiểm phiếu và bảng tổng hợp kết "
            "quả chấm điểm."
        ),
        Paragraph(f"Kính đề nghị {council} xem xét, quyết định./.", closing=True),
    )
    return Document(
        **_frame(
            letter,
            "TTr",
            "TỜ TRÌNH",
            f"to-trinh-{_slug(award)}",
            subtitle=f"Về việc đề nghị tặng {award} năm {meeting_day.year}",
        ),
        body=body,
        signatures=(_chair_signature(letter, on_behalf=True),),
        recipients=("- Như trên;", "- Các đơn vị trong cụm;", "- Lưu: VT."),
    )


def _slug(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text).split())[:40]


# -- bảng tổng hợp ------------------------------------------------------------------------------


def score_summary(export, letter: Letter) -> Document:
    """`export`: bot.services.scoring_views.Export. One row per unit in rank order (units not
    yet submitted last), a column per criteria group, bonus, deductions, total, rank and band."""
    scale = export.scale
    ranks = {r.entry.unit_code: r for r in export.ranking.rows}
    ordered = sorted(
        export.sheets,
        key=lambda s: (ranks[s.unit.code].rank if s.unit.code in ranks else 10**6, s.unit.id),
    )
    rows: list[tuple[Cell, ...]] = []
    unranked = list(export.unstarted)
    for sheet in ordered:
        ranked = ranks.get(sheet.unit.code)
        if ranked is None:  # a draft or returned sheet: no figures until it is submitted
            unranked.append(sheet.unit)
            continue
        result = totals(scale, {**sheet.own, **sheet.verified})
        rows.append(
            (
                len(rows) + 1,
                _unit(sheet.unit),
                *(result.by_group.get(g.code, Decimal(0)) for g in scale.groups),
                result.bonus,
                -result.deductions if result.deductions else Decimal(0),
                result.total,
                ranked.rank,
                band_label(VI, ranked.band),
            )
        )
    for unit in unranked:  # listed, so the table names every unit of the cluster
        blanks = (None,) * (len(scale.groups) + 4)
        rows.append((len(rows) + 1, _unit(unit), *blanks, "chưa nộp"))
    header = (
        "STT",
        "Đơn vị",
        *(f"{g.code} ({fmt(g.max)})" for g in scale.groups),
        f"Điểm thưởng (tối đa {fmt(scale.bonus_cap)})",
        "Điểm trừ",
        f"Tổng điểm ({fmt(scale.total)})",
        "Xếp hạng",
        "Xếp loại",
    )
    widths = (4, 30, *(8 for _ in scale.groups), 9, 7, 9, 7, 12)
    return Document(
        **_frame(
            letter,
            "BC",
            "BẢNG TỔNG HỢP KẾT QUẢ CHẤM ĐIỂM THI ĐUA",
            f"bang-tong-hop-{export.round.key}",
            subtitle=f"{export.round.title} – {letter.cluster_name}",
            landscape=True,
        ),
        body=(
            Table(header, tuple(rows), widths),
            Paragraph(
                "Điểm sau thẩm định với đơn vị đã được thẩm định; điểm tự chấm với đơn vị chưa "
                "thẩm định. Điểm thưởng đã áp dụng mức tối đa.",
                italic=True,
                closing=True,
            ),
        ),
        signatures=(
            Signature("NGƯỜI LẬP BIỂU", None, letter.people.secretary_name or BLANK_NAME),
            _chair_signature(letter, on_behalf=True),
        ),
    )
