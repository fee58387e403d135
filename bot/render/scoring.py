"""Texts of the scale, the score sheet and the ranking."""

from __future__ import annotations

from bot.domain.scoring import BONUS, DEDUCTION, DEFAULT_BAND_KEYS, Criterion, fmt
from bot.i18n import t
from bot.services.scoring_views import Ranking, SheetView

from .text import local_time


def criteria(locale: str, title: str, scale) -> str:
    lines = [t(locale, "criteria.head", name=title, total=fmt(scale.total))]
    for group in scale.groups:
        lines.append(
            t(locale, "criteria.group", code=group.code, title=group.title, max=fmt(group.max))
        )
        lines += _items(locale, group.items)
    if scale.bonus:
        lines.append(t(locale, "criteria.bonus", cap=fmt(scale.bonus_cap)))
        lines += _items(locale, scale.bonus)
    if scale.deductions:
        lines.append(t(locale, "criteria.deductions"))
        lines += _items(locale, scale.deductions)
    return "\n".join(lines)


def _items(locale: str, items) -> list[str]:
    """Item lines, with a heading wherever a sub-group begins."""
    lines, section = [], None
    for c in items:
        if c.section and c.section != section:
            lines.append(t(locale, "criteria.section", section=c.section))
        section = c.section
        lines.append(t(locale, "criteria.item", code=c.code, title=c.title, max=fmt(c.max)))
    return lines


def item_card(
    locale: str, view: SheetView, criterion: Criterion, *, takes_documents: bool = True
) -> str:
    """One item to score; `takes_documents` False: evidence can come as a photo only."""
    order = [c.code for c in view.scale.criteria]
    kind = {BONUS: "score.kind_bonus", DEDUCTION: "score.kind_deduction"}.get(criterion.kind)
    current = view.scores.get(criterion.code)
    lines = [
        t(
            locale,
            "score.card_head",
            code=criterion.code,
            index=order.index(criterion.code) + 1,
            count=len(order),
            title=criterion.title,
            max=fmt(criterion.max),
        )
    ]
    if kind:
        lines.append(t(locale, kind))
    if criterion.section:
        lines.append(t(locale, "criteria.section", section=criterion.section))
    if criterion.guidance:
        lines.append(criterion.guidance)
    lines.append(
        t(locale, "score.card_current", value=fmt(current) if current is not None else "–")
    )
    if view.notes.get(criterion.code):
        lines.append(t(locale, "score.card_note", note=view.notes[criterion.code]))
    if view.evidence.get(criterion.code):
        lines.append(t(locale, "score.card_evidence", file=view.evidence[criterion.code]))
    lines.append(t(locale, "score.card_prompt" if takes_documents else "score.card_prompt_photos"))
    return "\n".join(lines)


def _total_line(locale: str, view: SheetView) -> str:
    """ "98,5/100"; with bonus or deductions, how the total is made, so that "109,5" over a
    100-point scale does not read like an error: "109,5 (100/100 tiêu chí + 9,5 thưởng)"."""
    result, scale_total = view.totals, fmt(view.scale.total)
    if not result.bonus and not result.deductions:
        return t(locale, "score.summary_total", value=fmt(result.total), total=scale_total)
    parts = t(locale, "score.total_items", value=fmt(result.items), total=scale_total)
    if result.bonus:
        parts += t(locale, "score.total_bonus", value=fmt(result.bonus))
    if result.deductions:
        parts += t(locale, "score.total_deductions", value=fmt(result.deductions))
    return t(locale, "score.summary_total_made", value=fmt(result.total), parts=parts)


def summary(locale: str, view: SheetView) -> str:
    result = view.totals
    lines = [
        t(
            locale,
            "score.summary_head",
            round=view.round.title,
            status=t(locale, f"sheet.{view.status}"),
        )
    ]
    for group in view.scale.groups:
        lines.append(
            t(
                locale,
                "score.summary_group",
                code=group.code,
                title=group.title,
                value=fmt(result.by_group[group.code]),
                max=fmt(group.max),
            )
        )
    lines.append(
        t(locale, "score.summary_bonus", value=fmt(result.bonus), cap=fmt(view.scale.bonus_cap))
    )
    lines.append(t(locale, "score.summary_deductions", value=fmt(result.deductions)))
    lines.append(_total_line(locale, view))
    if result.missing:
        lines.append(
            t(
                locale,
                "score.summary_missing",
                count=len(result.missing),
                codes=", ".join(result.missing),
            )
        )
    return "\n".join(lines)


def submitted(locale: str, view: SheetView, timezone: str) -> str:
    return t(
        locale,
        "score.submitted",
        round=view.round.title,
        total=fmt(view.totals.total),
        at=local_time(view.submitted_at, timezone) if view.submitted_at else "–",
    )


def ranking(locale: str, data: Ranking) -> str:
    if not data.rows:
        return t(locale, "ranking.empty", round=data.round.title)
    lines = [t(locale, "ranking.head", round=data.round.title)]
    for row in data.rows:
        mark = "" if row.entry.verified else t(locale, "ranking.self_mark")
        lines.append(
            t(
                locale,
                "ranking.line",
                rank=row.rank,
                code=row.entry.unit_code,
                name=row.entry.unit_name,
                total=fmt(row.entry.total),
                band=band_label(locale, row.band),
                mark=mark,
            )
        )
    if data.not_submitted:
        lines.append(t(locale, "ranking.missing", codes=", ".join(data.not_submitted)))
    return "\n".join(lines)


def sheet_lines(locale: str, round_title: str, lines) -> str:
    out = [t(locale, "sheets.head", round=round_title)]
    for line in lines:
        total = t(locale, "sheets.total", total=fmt(line.total)) if line.total is not None else ""
        out.append(
            t(
                locale,
                "sheets.line",
                code=line.unit.code,
                name=line.unit.name,
                status=t(locale, f"sheet.{line.status}"),
                total=total,
            )
        )
    return "\n".join(out)


def review(locale: str, data) -> str:
    lines = [
        t(
            locale,
            "verify.head",
            unit=data.unit.name,
            code=data.unit.code,
            round=data.round.title,
            status=t(locale, f"sheet.{data.status}"),
        )
    ]
    for criterion in data.scale.criteria:
        own = data.own.get(criterion.code)
        verified = data.verified.get(criterion.code)
        text = t(
            locale,
            "verify.item",
            code=criterion.code,
            own=fmt(own) if own is not None else "–",
            max=fmt(criterion.max),
        )
        if verified is not None:
            text += t(
                locale,
                "verify.item_verified",
                value=fmt(verified),
                reason=data.reasons.get(criterion.code) or "–",
            )
        lines.append(text)
    lines.append(
        t(
            locale,
            "verify.totals",
            own=fmt(data.own_totals.total),
            final=fmt(data.final_totals.total),
        )
    )
    return "\n".join(lines)


def verified_notice(locale: str, data) -> str:
    lines = [
        t(
            locale,
            "verify.notice_head",
            round=data.round.title,
            own=fmt(data.own_totals.total),
            final=fmt(data.final_totals.total),
        )
    ]
    diffs = data.differences
    if not diffs:
        lines.append(t(locale, "verify.no_difference"))
    for diff in diffs:
        lines.append(
            t(
                locale,
                "verify.difference",
                code=diff.code,
                own=fmt(diff.own) if diff.own is not None else "–",
                verified=fmt(diff.verified),
                reason=diff.reason or "–",
            )
        )
    lines.append(t(locale, "verify.notice_ask"))
    return "\n".join(lines)


def band_label(locale: str, band: str) -> str:
    """A default band in the reader's language; a scale's own band name as written."""
    return t(locale, f"band.{band}") if band in DEFAULT_BAND_KEYS else band
