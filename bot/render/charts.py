"""The ranking chart: horizontal bars of each unit's total, labelled in Vietnamese."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from bot.domain.scoring import fmt
from bot.i18n import t

if TYPE_CHECKING:
    from bot.services.ballot_views import BallotResult
    from bot.services.scoring_views import Ranking


CHART_ROWS = 30  # a readable chart; a larger cluster shows its top units and the reader's own


def ranking_chart(locale: str, ranking: Ranking, mine: str | None = None) -> bytes:
    """PNG bytes; DejaVu Sans carries Vietnamese. Past CHART_ROWS units: the top ones and the
    reader's unit (`mine`, a unit code), so any cluster fits Telegram's photo limits."""
    # matplotlib loads in about a second: only when a chart is drawn, never at start-up.
    from matplotlib.figure import Figure  # the object API needs no screen and no global state

    shown = list(ranking.rows)
    if len(shown) > CHART_ROWS:
        top = shown[: CHART_ROWS - 1]
        own = [r for r in shown[CHART_ROWS - 1 :] if r.entry.unit_code == mine]
        shown = top + (own or [shown[CHART_ROWS - 1]])
    rows = list(reversed(shown))  # best at the top
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
    legend = t(locale, "chart.legend")
    if len(shown) < len(ranking.rows):
        legend += "\n" + t(locale, "chart.top_only", shown=len(shown), units=len(ranking.rows))
    figure.text(0.01, 0.01, legend, fontsize=8, color="#555555")
    figure.tight_layout(rect=(0, 0.05, 1, 1))
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def ballot_chart(locale: str, result: BallotResult) -> bytes:
    """Votes per candidate against the threshold."""
    from matplotlib.figure import Figure

    tally, rules = result.count, result.ballot.rules
    rows = sorted(tally.candidates, key=lambda r: r.votes)  # most votes at the top
    winners = {u.id for u in result.winners}
    figure = Figure(figsize=(8, max(2.5, 0.5 * len(rows) + 1.4)), dpi=110)
    axes = figure.subplots()
    labels = [result.units[r.candidate].code for r in rows]
    colors = ["#2e7d32" if r.candidate in winners else "#9e9e9e" for r in rows]
    bars = axes.barh(labels, [r.votes for r in rows], color=colors)
    for bar, row in zip(bars, rows, strict=True):
        axes.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {row.votes}", va="center")
    base = tally.members if rules.denominator.value == "members" else tally.present
    line = float(rules.threshold) * base
    axes.axvline(line, color="#c62828", linestyle="--", linewidth=1)
    axes.set_xlim(0, max(base, 1) * 1.08)
    axes.set_title(
        t(locale, "chart.ballot_title", number=result.ballot.number, award=result.ballot.award),
        fontsize=11,
    )
    # Only an approve ballot counts approvals; the others count votes for a unit.
    axis = "chart.ballot_axis" if rules.kind.value == "approve" else "chart.ballot_axis.votes"
    axes.set_xlabel(t(locale, axis, issued=tally.issued, cast=tally.cast))
    axes.spines[["top", "right"]].set_visible(False)
    figure.text(0.01, 0.01, t(locale, "chart.ballot_legend"), fontsize=8, color="#555555")
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
