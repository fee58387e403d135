"""The projector page of a review meeting (Jinja2 templates in bot/render/templates): the whole
page, the live part the page replaces as events arrive, and the QR code that opens the bot."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from bot.i18n import speaking_of, t

if TYPE_CHECKING:
    from jinja2 import Environment

    from bot.services.screens import Screen


@functools.cache
def environment() -> Environment:
    """The pages' templates (bot/render/templates), escaped."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(
        loader=PackageLoader("bot.render", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _context(locale: str, screen: Screen, chart_url: str | None) -> dict:
    return {
        "locale": locale,
        "screen": screen,
        "ballot": screen.open_ballot,
        "result": screen.last_result,
        "chart_url": chart_url,
        "t": lambda key, **params: t(locale, key, **params),
    }


def page(locale: str, screen: Screen, chart_url: str | None, join_url: str | None) -> str:
    with speaking_of(screen.cluster_kind):
        context = _context(locale, screen, chart_url)
        context["qr"] = qr_svg(join_url) if join_url else None
        return environment().get_template("projector.html").render(context)


def live(locale: str, screen: Screen, chart_url: str | None) -> str:
    """The part of the page that changes: attendance, the open ballot, the last result."""
    with speaking_of(screen.cluster_kind):
        context = _context(locale, screen, chart_url)
        return environment().get_template("projector_live.html").render(context)


def qr_svg(url: str) -> str:
    import segno

    return segno.make(url, error="m").svg_inline(scale=4, border=2)
