"""The ranking chart: horizontal bars of each unit's total, labelled in Vietnamese."""

from __future__ import annotations

import io

from matplotlib.figure import Figure  # the object API needs no screen and no global state

from bot.domain.scoring import fmt
from bot.i18n import t


def ranking_chart(locale: str, ranking) -> bytes:
    """`ranking`: bot.services.scoring.Ranking. PNG bytes; DejaVu Sans carries Vietnamese."""
    rows = list(reversed(ranking.rows))  # best at the top
    height = max(2.5, 0.45 * len(rows) + 1.2)
    figure = Figure(figsize=(8, height), dpi=110)
    axes = figure.subplots()
    labels = [f"{r.rank}. {r.entry.unit_code}" for r in rows]
    values = [float(r.entry.total) for r in rows]
    colors = ["#2e75b6" if r.entry.verified else "#9dc3e6" for r in rows]
    bars = axes.barh(labels, values, color=colors)
    for bar, row in zip(bars, rows, strict=True):
        axes.text(
            bar.get_width(),
            bar.get_y() + bar.get_height() / 2,
            f" {fmt(row.entry.total)}",
            va="center",
            fontsize=9,
        )
    axes.set_title(t(locale, "chart.title", round=ranking.round.title), fontsize=11)
    axes.set_xlabel(t(locale, "chart.axis"))
    axes.set_xlim(0, max(values + [float(ranking.scale.total)]) * 1.12)
    axes.spines[["top", "right"]].set_visible(False)
    figure.text(0.01, 0.01, t(locale, "chart.legend"), fontsize=8, color="#555555")
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
