"""Ranking 1 000 units × 100 criteria (totals with bonus and deductions, then tie-breaks), and
writing the secretariat's workbook for them.

    python -m bench.ranking_export
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.domain.documents import Letter, Letterhead, MeetingPeople
from bot.domain.models import Unit
from bot.domain.scoring import Criterion, Group, RankEntry, Scale, band, rank, totals
from bot.render.official import score_summary
from bot.render.xlsx import score_workbook
from bot.services.scoring_views import Export, Ranked, Ranking, SheetExport
from storage.scoring import ScoringRound

UNITS, GROUPS, PER_GROUP = 1_000, 10, 10
TARGET_RANK_MS, TARGET_EXPORT_S = 50.0, 5.0


def _scale() -> Scale:
    groups = tuple(
        Group(
            f"G{g}",
            f"Nhóm tiêu chí {g}",
            tuple(
                Criterion(f"{g}.{i}", f"Tiêu chí {g}.{i}", "item", Decimal(1), f"G{g}")
                for i in range(1, PER_GROUP + 1)
            ),
        )
        for g in range(1, GROUPS + 1)
    )
    return Scale("Thang điểm 100 tiêu chí", Decimal(GROUPS * PER_GROUP), groups)


def main() -> bool:
    rng = random.Random(7)
    scale = _scale()
    codes = [c.code for c in scale.criteria]
    sheets = [{code: Decimal(rng.randint(0, 100)) / 100 for code in codes} for _ in range(UNITS)]
    start_day = datetime(2026, 11, 1, tzinfo=UTC)

    started = time.perf_counter()
    entries = []
    for index, scores in enumerate(sheets):
        result = totals(scale, scores)
        entries.append(
            RankEntry(
                f"U{index:04d}",
                f"Đơn vị {index}",
                result.total,
                result.by_group["G1"],
                result.deductions,
                start_day + timedelta(minutes=index),
                True,
            )
        )
    ranked = [Ranked(r, e, band(e.total, scale.total)) for r, e in rank(entries)]
    rank_ms = (time.perf_counter() - started) * 1000

    scoring_round = ScoringRound(1, 1, 1, "year-end", "Đợt tổng kết", "")
    export = Export(
        scoring_round,
        scale,
        [
            SheetExport(
                Unit(id=i, cluster_id=1, code=f"U{i:04d}", name=f"Đơn vị {i}"),
                "submitted",
                s,
                {},
                {},
                totals(scale, s).total,
                totals(scale, s).total,
                {},
                {},
            )
            for i, s in enumerate(sheets)
        ],
        Ranking(scoring_round, scale, ranked, []),
    )
    letter = Letter(
        cluster_name="Cụm thi đua thử nghiệm",
        kind="cụm",
        letterhead=Letterhead(),
        people=MeetingPeople(),
        number=1,
        issued_at=start_day,
    )
    started = time.perf_counter()
    data = score_workbook("vi", score_summary(export, letter), export)
    export_s = time.perf_counter() - started

    checks = [
        (
            f"rank_1000_units_x_100_criteria_ms = {rank_ms:.1f} ms (target <= {TARGET_RANK_MS})",
            rank_ms <= TARGET_RANK_MS,
        ),
        (
            f"export_1000_units_xlsx_seconds = {export_s:.2f} s (target <= {TARGET_EXPORT_S})",
            export_s <= TARGET_EXPORT_S,
        ),
        (f"export_size_mb = {len(data) / 1e6:.1f} MB (target info)", True),
    ]
    for line, passed in checks:
        print(f"{line} {'PASS' if passed else 'FAIL'}")
    return all(passed for _, passed in checks)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
