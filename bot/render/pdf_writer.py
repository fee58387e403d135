"""A `Document` as PDF through fpdf2, laid out like its Word copy: Liberation Serif (metric-
compatible with Times New Roman, covering every Vietnamese letter; shipped in bot/data/fonts
with its licence) embedded, A4 with Decree 30's margins, tables whose header repeats on every
page, and the closing text moved to the next page with the signatures when they would not fit
together."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .document import (
    MOTTO,
    NATION,
    SIGN_HINT,
    Align,
    Document,
    Heading,
    Paragraph,
    Signature,
    Table,
    cell_text,
    is_number,
)

if TYPE_CHECKING:
    from fpdf import FPDF

FONTS = Path(__file__).resolve().parents[1] / "data" / "fonts"
SERIF = "Serif"
BODY_PT = 13
SMALL_PT = 12
LINE = 6.5  # mm per body line (13 pt with 1.4 leading)
INDENT = "\u00a0" * 8  # about the first-line indent, for measuring only
SIGN_SPACE = 24  # mm left blank to sign

_ALIGN = {Align.LEFT: "L", Align.CENTER: "C", Align.RIGHT: "R", Align.JUSTIFY: "J"}


def pdf_bytes(document: Document) -> bytes:
    from fpdf import FPDF  # loaded when a document is made, not at start-up

    pdf = FPDF(orientation="L" if document.landscape else "P", format="A4")
    pdf.set_margins(30, 20, 15)
    pdf.set_auto_page_break(True, margin=20)
    for style, name in (("", "Regular"), ("B", "Bold"), ("I", "Italic"), ("BI", "BoldItalic")):
        pdf.add_font(SERIF, style, str(FONTS / f"LiberationSerif-{name}.ttf"))
    pdf.set_creation_date(document.created or datetime(2000, 1, 1))
    pdf.set_title(document.title)
    pdf.set_author(document.issuer[-1] if document.issuer else "")
    pdf.add_page()
    _header(pdf, document)
    _title(pdf, document)
    closing = [b for b in document.body if isinstance(b, Paragraph) and b.closing]
    for block in document.body:
        if block is (closing[0] if closing else None):
            _keep_together(pdf, closing, document)
        if isinstance(block, Table):
            _table(pdf, block)
        elif isinstance(block, Heading):
            pdf.set_font(SERIF, "B", BODY_PT)
            pdf.multi_cell(0, LINE, block.text, align="L", new_x="LMARGIN", new_y="NEXT")
        else:
            _paragraph(pdf, block)
    if not closing:
        _keep_together(pdf, [], document)
    _signatures(pdf, document)
    return bytes(pdf.output())


def _header(pdf: FPDF, document: Document) -> None:
    width = pdf.epw
    left_w, right_w = width * 0.4, width * 0.6
    top = pdf.y
    lines = [(document.parent, "")] if document.parent else []
    lines += [(line, "B") for line in document.issuer]  # the issuing body itself is bold
    for line, style in lines:
        pdf.set_font(SERIF, style, SMALL_PT)
        pdf.multi_cell(left_w, 5.5, line, align="C", new_x="LMARGIN", new_y="NEXT")
    _rule(pdf, pdf.l_margin + left_w / 2, 14)
    pdf.set_font(SERIF, "", BODY_PT)
    pdf.cell(left_w, 6.5, document.number, align="C", new_x="LMARGIN", new_y="NEXT")
    left_bottom = pdf.y
    pdf.set_xy(pdf.l_margin + left_w, top)
    pdf.set_font(SERIF, "B", SMALL_PT)
    pdf.cell(right_w, 5.5, NATION, align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font(SERIF, "B", BODY_PT)
    pdf.cell(right_w, 6, MOTTO, align="C", new_x="LEFT", new_y="NEXT")
    _rule(pdf, pdf.l_margin + left_w + right_w / 2, pdf.get_string_width(MOTTO) / 2)
    pdf.ln(2)
    pdf.set_x(pdf.l_margin + left_w)
    pdf.set_font(SERIF, "I", BODY_PT)
    pdf.cell(right_w, 6.5, document.place_date, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(left_bottom, pdf.y) + 6)


def _rule(pdf: FPDF, centre: float, half: float) -> None:
    """The short line under the issuing body and under the motto."""
    y = pdf.y + 0.5
    pdf.set_line_width(0.3)
    pdf.line(centre - half, y, centre + half, y)
    pdf.set_y(y + 1)


def _title(pdf: FPDF, document: Document) -> None:
    pdf.set_font(SERIF, "B", 14)
    pdf.multi_cell(0, 7, document.title, align="C", new_x="LMARGIN", new_y="NEXT")
    if document.subtitle:
        pdf.set_font(SERIF, "B", BODY_PT)
        pdf.multi_cell(0, LINE, document.subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _paragraph(pdf: FPDF, block: Paragraph, *, dry_run: bool = False) -> float:
    style = ("B" if block.bold else "") + ("I" if block.italic else "")
    pdf.set_font(SERIF, style, BODY_PT)
    text = (INDENT if block.indent else "") + block.text
    if dry_run:
        align = _ALIGN[block.align]
        lines = pdf.multi_cell(0, LINE, text, align=align, dry_run=True, output="LINES")
        assert isinstance(lines, list)  # output="LINES": the wrapped lines
        return len(lines) * LINE + 1.5
    # A text region, for a true first-line indent (spaces would be stretched when justified).
    with pdf.text_columns(text_align=_ALIGN[block.align], line_height=LINE / pdf.font_size) as cols:
        with cols.paragraph(first_line_indent=10 if block.indent else 0, bottom_margin=1.5) as par:
            par.write(block.text)
    return 0.0


def _table(pdf: FPDF, block: Table) -> None:
    from fpdf.fonts import FontFace

    pdf.set_font(SERIF, "", SMALL_PT - 1)
    heading = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
    with pdf.table(
        col_widths=block.widths,
        headings_style=heading,
        line_height=5.5,
        text_align="CENTER",
        repeat_headings=1,  # the header row again on every page the table reaches
    ) as table:
        header = table.row()
        for title in block.header:
            header.cell(title)
        for index, values in enumerate(block.rows):
            row = table.row()
            for value in values:
                style = FontFace(emphasis="BOLD") if index in block.bold_rows else None
                align = "RIGHT" if is_number(value) else "LEFT"
                row.cell(cell_text(value), align=align, style=style)
    pdf.ln(3)


def _signature_height(pdf: FPDF, document: Document) -> float:
    columns = max(len(document.signatures) + (1 if document.recipients else 0), 1)
    width = pdf.epw / columns
    pdf.set_font(SERIF, "B", BODY_PT)
    tallest = 0.0
    for signature in document.signatures:
        lines = 2  # the hint and the name
        for text in (signature.title, signature.capacity):
            if text:
                wrapped = pdf.multi_cell(width, LINE, text, dry_run=True, output="LINES")
                assert isinstance(wrapped, list)
                lines += len(wrapped)
        tallest = max(tallest, lines * LINE + SIGN_SPACE)
    recipients = (len(document.recipients) + 1) * 5.5 if document.recipients else 0
    return max(tallest, recipients) + 4


def _keep_together(pdf: FPDF, closing: list[Paragraph], document: Document) -> None:
    """Start a new page when the closing text and the signatures would not fit on this one."""
    needed = sum(_paragraph(pdf, p, dry_run=True) for p in closing)
    needed += _signature_height(pdf, document)
    if pdf.y + needed > pdf.page_break_trigger:
        pdf.add_page()


def _signatures(pdf: FPDF, document: Document) -> None:
    """Side by side: the titles first, then, on one line for all, the hint, the space to sign
    and the names, so every name sits at the same height."""
    blocks: list[Signature | tuple[str, ...]] = list(document.signatures)
    if document.recipients and len(blocks) == 1:
        blocks.insert(0, document.recipients)
    if not blocks:
        return
    pdf.ln(3)
    width = pdf.epw / len(blocks)
    top = pdf.y
    titles_bottom = bottom = top
    for column, block in enumerate(blocks):
        pdf.set_xy(pdf.l_margin + column * width, top)
        if isinstance(block, tuple):
            pdf.set_font(SERIF, "BI", SMALL_PT)
            pdf.cell(width, 5.5, "Nơi nhận:", new_x="LEFT", new_y="NEXT")
            pdf.set_font(SERIF, "", 11)
            for line in block:
                pdf.multi_cell(width - 4, 5, line, align="L", new_x="LEFT", new_y="NEXT")
            bottom = max(bottom, pdf.y)
            continue
        pdf.set_font(SERIF, "B", BODY_PT)
        pdf.multi_cell(width, LINE, block.title, align="C", new_x="LEFT", new_y="NEXT")
        if block.capacity:
            pdf.multi_cell(width, LINE, block.capacity, align="C", new_x="LEFT", new_y="NEXT")
        titles_bottom = max(titles_bottom, pdf.y)
    for column, block in enumerate(blocks):
        if isinstance(block, tuple):
            continue
        x = pdf.l_margin + column * width
        pdf.set_xy(x, titles_bottom)
        pdf.set_font(SERIF, "I", SMALL_PT)
        pdf.cell(width, LINE, SIGN_HINT, align="C", new_x="LEFT", new_y="NEXT")
        pdf.set_xy(x, pdf.y + SIGN_SPACE)
        if block.name:
            pdf.set_font(SERIF, "B", BODY_PT)
            pdf.multi_cell(width, LINE, block.name, align="C", new_x="LEFT", new_y="NEXT")
        bottom = max(bottom, pdf.y)
    pdf.set_y(bottom)
