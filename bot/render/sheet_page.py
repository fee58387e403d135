"""The whole score sheet on one phone screen (a Telegram Mini App): the page's shell, the form
of a unit's sheet, and its totals line (Jinja2 templates in bot/render/templates)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain.models import Unit
from bot.domain.scoring import fmt
from bot.i18n import t

from .screen import environment

if TYPE_CHECKING:
    from bot.services.scoring_views import SheetView


def _context(locale: str, **values: object) -> dict:
    return {"locale": locale, "fmt": fmt, "t": lambda key, **p: t(locale, key, **p), **values}


def shell(locale: str, base: str) -> str:
    """The page the web-app button opens: it reads who opened it and loads the form."""
    return environment().get_template("score_page.html").render(_context(locale, base=base))


def form(locale: str, view: SheetView, unit: Unit, error: str | None = None) -> str:
    context = _context(locale, view=view, unit=unit, totals=view.totals, error=error)
    return environment().get_template("score_form.html").render(context)


def totals(locale: str, view: SheetView) -> str:
    context = _context(locale, view=view, totals=view.totals)
    return environment().get_template("score_totals.html").render(context)


def side_by_side(locale: str, cluster: str, export) -> str:
    """Every unit's sheet in one table (`export`: bot.services.scoring_views.Export): self
    scores, verified changes marked, totals and rank; units with no sheet listed too."""
    ranks = {r.entry.unit_code: r.rank for r in export.ranking.rows}
    rows = [
        {
            "unit": sheet.unit,
            "status": t(locale, f"sheet.{sheet.status}"),
            "own": sheet.own,
            "verified": sheet.verified,
            "reasons": sheet.reasons,
            "own_total": sheet.own_total,
            "final_total": sheet.final_total,
            "rank": ranks.get(sheet.unit.code),
        }
        for sheet in export.sheets
    ]
    rows += [
        {
            "unit": unit,
            "status": t(locale, "sheet.none"),
            "own": {},
            "verified": {},
            "reasons": {},
            "own_total": None,
            "final_total": None,
            "rank": None,
        }
        for unit in export.unstarted
    ]
    context = _context(locale, cluster=cluster, export=export, rows=rows)
    return environment().get_template("side_by_side.html").render(context)
