"""Every official document of a 30-unit review meeting, made as the chat makes them.

A 30-unit cluster scores, meets, and counts three ballots (approve 5 candidates for the Flag,
choose 3 of 10, elect next year's chair). One round makes every document: the vote-count
minutes of each ballot (PDF, Word, Excel), the meeting's minutes (PDF, Word), a nomination
letter per award (PDF, Word), the score summary (PDF, Word) and the score workbook, each
through the worker pool as the handlers do. While it runs, a ticker on the event loop records
its longest stall. The same documents are then made on the event loop itself (the baseline).
Rounds alternate; medians are reported.

Figures: total time (target < 2 s), and the longest stall of the loop with the work offloaded
against with the work on the loop (target: offloaded ≤ 0.25× the baseline).

    python -m bench.documents [ROUNDS]   (default 5)
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from bot.app import App
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.cluster_file import parse_cluster_file
from bot.domain.models import Role
from bot.domain.voting import BallotKind
from bot.render.docx_writer import docx_bytes
from bot.render.official import (
    meeting_minutes,
    nomination,
    nominees_of,
    record_of,
    score_summary,
    vote_minutes,
)
from bot.render.offload import offload
from bot.render.pdf_writer import pdf_bytes
from bot.render.xlsx import score_workbook
from bot.render.xlsx_document import document_xlsx

UNITS = 30
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TARGET_S, TARGET_STALL = 2.0, 0.25
SECRET = "bench-secret-key-bench-secret-key-0123456789"
SCALE = (Path(__file__).resolve().parents[1] / "bot" / "data" / "scale-example.yaml").read_text(
    encoding="utf-8"
)


def _cluster_file() -> str:
    units = "\n".join(f"      - {{code: U{i:02d}, name: Sở Y tế số {i}}}" for i in range(UNITS))
    return (
        "clusters:\n  - key: bench-30\n    name: Cụm thi đua thử nghiệm 30 đơn vị\n"
        "    period: 2026\n    chair: U00\n    vice_chair: U01\n"
        "    letterhead: {issuer: [CỤM THI ĐUA THỬ NGHIỆM], place: Cần Thơ,"
        " council: Hội đồng Thi đua – Khen thưởng Bộ Y tế}\n"
        f"    units:\n{units}\n"
    )


async def _hold(app: App, clock: ManualClock) -> None:
    services = app.services
    [spec] = parse_cluster_file(_cluster_file())
    await services.membership.import_clusters([spec])
    for unit in spec.units:
        await services.membership.add_member(
            "bench-30", "console", unit.code, unit.code, Role.UNIT_REP, unit.code
        )
    await services.membership.add_member("bench-30", "console", "sec", "Thư ký", Role.SECRETARIAT)

    async def who(handle: str):
        return await services.membership.identify("console", handle)

    await services.scoring.import_scale(await who("sec"), SCALE)
    for index, unit in enumerate(spec.units):
        rep = await who(unit.code)
        _, scale = await services.scoring.current(rep)
        scores = {c.code: str(c.max - (index % 3)) for g in scale.groups for c in g.items}
        await services.scoring.set_scores(rep, scores)
        await services.scoring.submit(rep)
    clock.move_to(datetime(2026, 12, 18, 8, 30, tzinfo=TZ))
    await services.meetings.open(await who("U00"), "Hội nghị tổng kết, bình xét năm 2026")
    await services.paperwork.set_people(
        await who("sec"),
        place="Hội trường Sở Y tế",
        chair_name="Nguyễn Văn An",
        chair_position="Giám đốc",
        secretary_name="Trần Thị Bình",
        counters=("Lê Văn Cường", "Phạm Thị Dung", "Võ Minh Em"),
    )
    for unit in spec.units:
        await services.meetings.check_in(await who(unit.code))
    chair = await who("U00")
    plans = [
        ("Cờ thi đua của Chính phủ", BallotKind.APPROVE, 5, 2),
        ("Tập thể lao động xuất sắc", BallotKind.CHOOSE, 10, 3),
        ("Cụm trưởng năm sau", BallotKind.ELECT, 2, 1),
    ]
    for award, kind, candidates, quota in plans:
        codes = [u.code for u in spec.units[:candidates]]
        draft = await services.ballot_drafts.draft(chair, award, kind, codes, quota)
        view = await services.polling.open(chair, draft.ballot.id)
        for index, unit in enumerate(spec.units):
            marks = {index % candidates} if kind != BallotKind.APPROVE else {0, 1, index % 5}
            if kind == BallotKind.CHOOSE:
                marks = {index % candidates, (index + 1) % candidates, (index + 2) % candidates}
            await services.polling.cast(await who(unit.code), view.ballot.id, frozenset(marks))
        await services.counting.close(chair, view.ballot.id)


async def _make_all(app: App, run) -> int:
    """Every document of the meeting, each written by `run(write, document)`; bytes made."""
    services = app.services
    sec = await services.membership.identify("console", "sec")
    made = 0
    papers = await services.paperwork.meeting_papers(sec)
    for result in papers.results:
        _, letter = await services.paperwork.ballot_minutes(sec, result.ballot.id)
        document = vote_minutes(result, letter, "Asia/Ho_Chi_Minh")
        made += len(await run(pdf_bytes, document)) + len(await run(docx_bytes, document))
        made += len(await run(document_xlsx, document, "Biên bản"))
    minutes_letter = await services.paperwork.meeting_letter(sec, papers)
    minutes = meeting_minutes(record_of(papers), minutes_letter, "Asia/Ho_Chi_Minh")
    made += len(await run(pdf_bytes, minutes)) + len(await run(docx_bytes, minutes))
    for award in papers.awards():
        letter = await services.paperwork.nomination_letter(sec, papers, award)
        document = nomination(
            award,
            nominees_of(papers, award),
            letter,
            minutes_letter.number_line("BB"),
            papers.meeting.opened_at,
        )
        made += len(await run(pdf_bytes, document)) + len(await run(docx_bytes, document))
    export = await services.scoring.export(sec)
    letter = await services.paperwork.summary_letter(sec, export.round.key)
    summary = score_summary(export, letter)
    made += len(await run(pdf_bytes, summary)) + len(await run(docx_bytes, summary))
    made += len(await run(score_workbook, "vi", summary, export))
    return made


async def _inline(work, *args):
    return work(*args)


async def _timed(app: App, run) -> tuple[float, float]:
    """(seconds, longest stall of the event loop in seconds) for one round."""
    stalls: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            stalls.append(now - last - 0.005)
            last = now

    ticking = asyncio.create_task(ticker())
    started = time.perf_counter()
    await _make_all(app, run)
    elapsed = time.perf_counter() - started
    done.set()
    await ticking
    return elapsed, max(stalls, default=0.0)


async def main(rounds: int) -> bool:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None,
            database_path=Path(folder) / "bench.sqlite3",
            secret_key=SecretStr(SECRET),
        )
        clock = ManualClock(datetime(2026, 11, 25, 9, 0, tzinfo=TZ))
        app = await App.open(settings, clock, scheduled=False)
        try:
            await _hold(app, clock)
            await offload(len, b"warm")  # the worker pool starts once, as in a running bot
            await _timed(app, _inline)  # fonts, imports: paid once
            offloaded, inline = [], []
            for _ in range(rounds):
                offloaded.append(await _timed(app, offload))
                inline.append(await _timed(app, _inline))
        finally:
            await app.close()
    total = statistics.median(t for t, _ in offloaded)
    stall = statistics.median(s for _, s in offloaded)
    base_stall = statistics.median(s for _, s in inline)
    ratio = stall / base_stall if base_stall else 0.0
    checks = [
        (
            f"documents_30_units_seconds = {total:.2f} s (target < {TARGET_S})",
            total < TARGET_S,
        ),
        (
            f"loop_stall_offloaded_vs_inline = {ratio:.3f} x ({stall * 1000:.0f} ms against "
            f"{base_stall * 1000:.0f} ms; target <= {TARGET_STALL})",
            ratio <= TARGET_STALL,
        ),
        (
            f"documents_30_units_inline_seconds = "
            f"{statistics.median(t for t, _ in inline):.2f} s (target info)",
            True,
        ),
    ]
    for line, passed in checks:
        print(f"{line} {'PASS' if passed else 'FAIL'}")
    return all(passed for _, passed in checks)


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)) else 1)
