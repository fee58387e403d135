"""A `Document` as Word (.docx) through python-docx: Times New Roman (the font offices use),
A4 with Decree 30's margins, the header as a borderless two-column table, tables whose header
row repeats on every page, and the signature blocks in a row that never splits, which the
closing paragraphs keep on their page. Offices finish and sign documents in Word."""

from __future__ import annotations

import io
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
    from docx.document import Document as Word
    from docx.table import _Cell

FONT = "Times New Roman"
BODY_PT = 13
SMALL_PT = 12


def docx_bytes(document: Document) -> bytes:
    import docx  # loaded when a document is made, not at start-up

    word = docx.Document()
    _page(word, document)
    _styles(word)
    _header(word, document)
    _title(word, document)
    closing = [b for b in document.body if isinstance(b, Paragraph) and b.closing]
    for block in document.body:
        if isinstance(block, Table):
            _table(word, block)
        elif isinstance(block, Heading):
            _paragraph(word, block.text, bold=True, align=Align.LEFT, indent=False)
        else:
            keep = block in closing  # stays with the signature blocks that follow
            _paragraph(word, block.text, block.bold, block.italic, block.align, block.indent, keep)
    _signatures(word, document)
    word.core_properties.title = document.title
    word.core_properties.author = document.issuer[-1] if document.issuer else ""
    if document.created is not None:
        word.core_properties.created = document.created.replace(tzinfo=None)
        word.core_properties.modified = document.created.replace(tzinfo=None)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _page(word: Word, document: Document) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm

    section = word.sections[0]
    width, height = (Mm(297), Mm(210)) if document.landscape else (Mm(210), Mm(297))
    section.orientation = WD_ORIENT.LANDSCAPE if document.landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = width, height
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)


def _styles(word: Word) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    normal = word.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), FONT)  # Word picks this one for some Vietnamese letters
    fonts.set(qn("w:cs"), FONT)
    normal.paragraph_format.space_after = Pt(0)


def _header(word: Word, document: Document) -> None:
    """Issuing body and number on the left, the national motto and place-date on the right."""
    table = word.add_table(rows=1, cols=2)
    _no_borders(table)
    left, right = table.rows[0].cells
    _widths(table, (0.4, 0.6), _text_width(word))
    lines = [(document.parent, False)] if document.parent else []
    lines += [(line, True) for line in document.issuer]  # the issuing body itself is bold
    for index, (line, bold) in enumerate(lines):
        _cell_line(left, line, bold=bold, size=SMALL_PT, first=index == 0)
    _cell_line(left, "―――――", size=SMALL_PT)
    _cell_line(left, document.number, size=BODY_PT)
    _cell_line(right, NATION, bold=True, size=SMALL_PT, first=True)
    _cell_line(right, MOTTO, bold=True, size=BODY_PT, underline=True)
    _cell_line(right, "")
    _cell_line(right, document.place_date, italic=True, size=BODY_PT)


def _title(word: Word, document: Document) -> None:
    from docx.shared import Pt

    _paragraph(word, "", align=Align.CENTER, indent=False)
    title = _paragraph(word, document.title, bold=True, align=Align.CENTER, indent=False)
    title.runs[0].font.size = Pt(14)
    if document.subtitle:
        _paragraph(word, document.subtitle, bold=True, align=Align.CENTER, indent=False)
    _paragraph(word, "", align=Align.CENTER, indent=False)


def _paragraph(
    word: Word,
    text: str,
    bold: bool = False,
    italic: bool = False,
    align: Align = Align.JUSTIFY,
    indent: bool = True,
    keep_with_next: bool = False,
):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    paragraph = word.add_paragraph()
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic
    fmt = paragraph.paragraph_format
    fmt.alignment = {
        Align.LEFT: WD_ALIGN_PARAGRAPH.LEFT,
        Align.CENTER: WD_ALIGN_PARAGRAPH.CENTER,
        Align.RIGHT: WD_ALIGN_PARAGRAPH.RIGHT,
        Align.JUSTIFY: WD_ALIGN_PARAGRAPH.JUSTIFY,
    }[align]
    if indent:
        fmt.first_line_indent = Mm(10)
    fmt.space_after = Pt(4)
    fmt.keep_with_next = keep_with_next
    return paragraph


def _table(word: Word, block: Table) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    table = word.add_table(rows=1 + len(block.rows), cols=len(block.header))
    table.style = "Table Grid"
    _widths(table, block.widths, _text_width(word))
    header = table.rows[0]
    _repeat_header(header)
    for cell, title in zip(header.cells, block.header, strict=True):
        _cell_line(cell, title, bold=True, size=SMALL_PT, first=True, align=Align.CENTER)
    for index, values in enumerate(block.rows):
        row = table.rows[index + 1]
        _cant_split(row)
        for cell, value in zip(row.cells, values, strict=True):
            align = Align.RIGHT if is_number(value) else Align.LEFT
            bold = index in block.bold_rows
            _cell_line(cell, cell_text(value), bold=bold, size=SMALL_PT, first=True, align=align)
    after = word.add_paragraph()
    after.paragraph_format.space_after = Pt(4)
    after.alignment = WD_ALIGN_PARAGRAPH.LEFT


def _signatures(word: Word, document: Document) -> None:
    """Recipients bottom left and one signature bottom right, or the signatures side by side:
    titles in one row, hint, space and names in the next, so the names line up; neither row
    splits, and the titles keep with the names."""
    blocks: list[Signature | tuple[str, ...]] = list(document.signatures)
    if document.recipients and len(blocks) == 1:
        blocks.insert(0, document.recipients)
    if not blocks:
        return
    table = word.add_table(rows=2, cols=len(blocks))
    _no_borders(table)
    _widths(table, tuple(1.0 for _ in blocks), _text_width(word))
    for row in table.rows:
        _cant_split(row)
    titles, names = table.rows
    for column, block in enumerate(blocks):
        top, below = titles.cells[column], names.cells[column]
        if isinstance(block, tuple):
            _cell_line(top, "Nơi nhận:", bold=True, italic=True, size=SMALL_PT, first=True)
            for line in block:
                _cell_line(top, line, size=11, align=Align.LEFT)
            _cell_line(below, "", first=True)
            continue
        _cell_line(top, block.title, bold=True, size=BODY_PT, first=True, align=Align.CENTER)
        if block.capacity:
            _cell_line(top, block.capacity, bold=True, size=BODY_PT, align=Align.CENTER)
        _cell_line(below, SIGN_HINT, italic=True, size=SMALL_PT, first=True, align=Align.CENTER)
        for _ in range(4):  # room to sign
            _cell_line(below, "", align=Align.CENTER)
        _cell_line(below, block.name or "", bold=True, size=BODY_PT, align=Align.CENTER)


def _cell_line(
    cell: _Cell,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    size: int = BODY_PT,
    first: bool = False,
    align: Align = Align.CENTER,
) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
    run = paragraph.add_run(text)
    run.bold, run.italic, run.underline = bold, italic, underline
    run.font.size = Pt(size)
    paragraph.alignment = {
        Align.LEFT: WD_ALIGN_PARAGRAPH.LEFT,
        Align.CENTER: WD_ALIGN_PARAGRAPH.CENTER,
        Align.RIGHT: WD_ALIGN_PARAGRAPH.RIGHT,
        Align.JUSTIFY: WD_ALIGN_PARAGRAPH.JUSTIFY,
    }[align]
    paragraph.paragraph_format.keep_with_next = True


def _text_width(word: Word) -> int:
    """The width between the margins, in EMU."""
    section = word.sections[0]
    page, left, right = section.page_width, section.left_margin, section.right_margin
    assert page is not None and left is not None and right is not None  # set by _page
    return int(page - left - right)


def _widths(table, relative: tuple[float, ...], text_width: int) -> None:
    from docx.shared import Emu

    total = sum(relative)
    table.autofit = False
    for row in table.rows:
        for cell, share in zip(row.cells, relative, strict=True):
            cell.width = Emu(int(text_width * share / total))


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def _cant_split(row) -> None:
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _no_borders(table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)
