"""Registers (sổ đăng ký) as CSV, XLSX and PDF.

A register is a :class:`Table`: a title, a subtitle (body and period), column titles and rows of
plain strings, already formatted by the caller (numbers, dates, names). Each exporter returns
bytes::

    table = Table('Sổ đăng ký văn bản đến', 'Văn phòng Thành ủy — năm 2026',
                  INCOMING_COLUMNS, rows)
    to_csv(table); to_xlsx(table); to_pdf(table)

All text is NFC-normalised on the way in (canonically the same text; precomposed Vietnamese
letters are what fonts, spreadsheets and search expect).

Formula injection. A spreadsheet treats a cell whose text begins with ``=``, ``+``, ``-`` or
``@`` as a formula (tab and CR are on OWASP's list too: some importers skip them before looking).
Register cells hold text that came from outside — abstracts, sender names, notes typed by
clerks, metadata of documents received from other bodies — so a cell such as
``=HYPERLINK("http://…","Xem")`` or a DDE call could run or leak data on the machine of whoever
opens the export (OWASP "CSV Injection"). Hence:

* CSV has no data types, so such cells get a leading apostrophe (``'=…``): Excel and LibreOffice
  then read text. The apostrophe stays visible; that is the accepted price. It also touches
  harmless values such as ``-`` or ``+84…`` phone numbers.
* XLSX cells are written with data type ``s`` (string) always — openpyxl would otherwise store a
  string beginning with ``=`` as a formula — and such cells also get Excel's own ``quotePrefix``
  style, so the text stays text even when someone edits the cell, while the stored value is the
  exact text (no visible apostrophe).
* PDF needs no guard.

The PDF embeds DejaVu Sans (regular and bold), shipped in ``fonts/`` with its licence, because
the 14 standard PDF fonts cannot show Vietnamese.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import io
import re
import threading
import unicodedata
from collections.abc import Sequence
from importlib import resources

from archive import clock

__all__ = [
    'Table', 'INCOMING_COLUMNS', 'OUTGOING_COLUMNS', 'FOLLOW_UP_COLUMNS',
    'INCOMING_TITLE', 'OUTGOING_TITLE', 'FOLLOW_UP_TITLE',
    'to_csv', 'to_xlsx', 'to_pdf', 'FORMATS', 'neutralise', 'sheet_name',
]

# --- The three registers ------------------------------------------------------------------
# Column titles as a records office writes them (Decree 30/2020 appendices, applied to party
# bodies by analogy; ../shared/EDXML.md "Registers and numbering"). The one place to correct them.

INCOMING_TITLE = 'Sổ đăng ký văn bản đến'
INCOMING_COLUMNS = (
    'Ngày đến',
    'Số đến',
    'Tác giả (cơ quan ban hành)',
    'Số, ký hiệu',
    'Ngày tháng văn bản',
    'Tên loại và trích yếu nội dung',
    'Đơn vị hoặc người nhận',
    'Ngày chuyển',
    'Ký nhận',
    'Ghi chú',
)

OUTGOING_TITLE = 'Sổ đăng ký văn bản đi'
OUTGOING_COLUMNS = (
    'Số, ký hiệu văn bản',
    'Ngày tháng văn bản',
    'Tên loại và trích yếu nội dung',
    'Người ký',
    'Nơi nhận văn bản',
    'Đơn vị, người nhận bản lưu',
    'Số lượng bản',
    'Ngày chuyển',
    'Ký nhận',
    'Ghi chú',
)

FOLLOW_UP_TITLE = 'Sổ theo dõi giải quyết văn bản đến'
FOLLOW_UP_COLUMNS = (
    'Số đến',
    'Tên loại, số, ký hiệu, ngày tháng, cơ quan ban hành',
    'Đơn vị hoặc người chủ trì',
    'Thời hạn giải quyết',
    'Tiến độ giải quyết',
    'Số, ký hiệu văn bản trả lời',
    'Ghi chú',
)


# --- The table ----------------------------------------------------------------------------

def _text(value, what):
    if value is None:
        return ''
    if not isinstance(value, str):
        raise TypeError(f'{what}: expected a string, got {type(value).__name__}')
    return unicodedata.normalize('NFC', value)


def _now_iso():
    return clock.iso(clock.now())


@dataclasses.dataclass(frozen=True)
class Table:
    """A register ready to export. ``None`` cells become empty strings; every row must have
    one cell per column. ``generated_at`` is ISO 8601 (Vietnam time by default)."""
    title: str
    subtitle: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    generated_at: str = dataclasses.field(default_factory=_now_iso)

    def __post_init__(self):
        columns = tuple(_text(c, 'column title') for c in self.columns)
        if not columns:
            raise ValueError('a register needs at least one column')
        rows = tuple(tuple(_text(v, f'row {i}') for v in row) for i, row in enumerate(self.rows, 1))
        for i, row in enumerate(rows, 1):
            if len(row) != len(columns):
                raise ValueError(
                    f'row {i} has {len(row)} cells; the register has {len(columns)} columns')
        set_ = object.__setattr__
        set_(self, 'title', _text(self.title, 'title'))
        set_(self, 'subtitle', _text(self.subtitle, 'subtitle'))
        set_(self, 'columns', columns)
        set_(self, 'rows', rows)
        set_(self, 'generated_at', _text(self.generated_at, 'generated_at'))


# --- Helpers ------------------------------------------------------------------------------

_FORMULA_TRIGGERS = ('=', '+', '-', '@', '\t', '\r')

# C0 controls other than tab, LF and CR: not allowed in XML (XLSX), meaningless in a PDF.
_CONTROL = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f]')


def _is_formula_like(text):
    return text.startswith(_FORMULA_TRIGGERS)


def neutralise(text):
    """The text with a leading apostrophe if a spreadsheet would take it for a formula."""
    return "'" + text if _is_formula_like(text) else text


def _lines(text):
    """Text for XLSX and PDF: controls removed, line ends as LF."""
    return _CONTROL.sub('', text.replace('\r\n', '\n').replace('\r', '\n'))


_SHEET_FORBIDDEN = re.compile(r'[\[\]:*?/\\]')


def sheet_name(title):
    """An Excel sheet name from a register title: at most 31 characters, none of ``[]:*?/\\``,
    not starting or ending with an apostrophe, not empty, not the reserved ``History``."""
    name = _SHEET_FORBIDDEN.sub(' ', _lines(unicodedata.normalize('NFC', title)))
    name = ' '.join(name.split()).strip("'")
    name = name[:31].rstrip().rstrip("'")
    if not name or name.casefold() == 'history':
        name = 'Sổ đăng ký'
    return name


# --- CSV ----------------------------------------------------------------------------------

def to_csv(table, *, delimiter=','):
    """The column titles and the rows (no title or subtitle lines, so the file loads as a
    table), RFC 4180: fields quoted when they hold the delimiter, a quote or a line break, quotes
    doubled, records ended by CRLF. UTF-8 with a BOM, which Excel needs to read Vietnamese.

    ``delimiter=';'`` suits Excel on Windows set to a locale whose list separator is ``;``
    (those with a decimal comma) when the file is opened by double-click.
    """
    out = io.StringIO(newline='')
    writer = csv.writer(out, delimiter=delimiter, quotechar='"', doublequote=True,
                        quoting=csv.QUOTE_MINIMAL, lineterminator='\r\n')
    writer.writerow([neutralise(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([neutralise(v) for v in row])
    return out.getvalue().encode('utf-8-sig')


# --- XLSX ---------------------------------------------------------------------------------

_HEADER_ROW = 3          # title, subtitle, then the column titles


def _xlsx_width(header, cells):
    """A column width in characters: the longest line of the cells (capped, the rest wraps),
    at least the longest word of the header."""
    longest = max((len(line) for v in cells for line in v.split('\n')), default=0)
    header_word = max((len(w) for w in header.split()), default=0)
    return float(max(10, min(60, max(longest, header_word) + 2)))


def _created(iso_text):
    try:
        value = _dt.datetime.fromisoformat(iso_text)
    except ValueError:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return value


def to_xlsx(table):
    """One sheet named after the register: title (row 1), subtitle (row 2), bold column titles
    (row 3, repeated on printed pages), panes frozen below them, wrapped cells, A4 landscape."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name(table.title)
    ncols = len(table.columns)
    last = get_column_letter(ncols)

    def put(row, col, text):
        cell = ws.cell(row=row, column=col)
        cell.value = _lines(text)
        cell.data_type = 's'                 # never a formula, whatever the text begins with
        if _is_formula_like(text):
            cell.quotePrefix = True          # and stays text when edited in Excel
        return cell

    put(1, 1, table.title).font = Font(bold=True, size=14)
    put(2, 1, table.subtitle).font = Font(italic=True, size=11)
    for r in (1, 2):
        ws.cell(row=r, column=1).alignment = Alignment(horizontal='center', vertical='center')
        if ncols > 1:
            ws.merge_cells(f'A{r}:{last}{r}')
    ws.row_dimensions[1].height = 22

    thin = Side(style='thin', color='808080')
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill('solid', fgColor='E7E6E6')
    head_align = Alignment(horizontal='center', vertical='center', wrap_text=True)
    body_align = Alignment(vertical='top', wrap_text=True)

    for c, title in enumerate(table.columns, 1):
        cell = put(_HEADER_ROW, c, title)
        cell.font = Font(bold=True)
        cell.alignment = head_align
        cell.fill = head_fill
        cell.border = border
    for r, row in enumerate(table.rows, _HEADER_ROW + 1):
        for c, value in enumerate(row, 1):
            cell = put(r, c, value)
            cell.alignment = body_align
            cell.border = border

    sample = table.rows[:500]
    for c, title in enumerate(table.columns, 1):
        ws.column_dimensions[get_column_letter(c)].width = _xlsx_width(
            title, [_lines(row[c - 1]) for row in sample])

    ws.freeze_panes = f'A{_HEADER_ROW + 1}'
    ws.print_title_rows = f'{_HEADER_ROW}:{_HEADER_ROW}'
    ws.page_setup.orientation = 'landscape'
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.right.text = 'Trang &P'
    ws.oddFooter.left.text = _lines(table.generated_at)

    wb.properties.title = table.title
    wb.properties.subject = table.subtitle
    wb.properties.creator = 'party-archive'
    created = _created(table.generated_at)
    if created is not None:
        wb.properties.created = created

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- PDF ----------------------------------------------------------------------------------

FONT = 'DejaVuSans'
FONT_BOLD = 'DejaVuSans-Bold'
_FONT_FILES = {FONT: 'DejaVuSans.ttf', FONT_BOLD: 'DejaVuSans-Bold.ttf'}

_fonts_lock = threading.Lock()
_fonts_ready = False
# reportlab keeps module-level state (font subsets per document, paragraph caches) and does not
# promise thread safety; PDFs are made one at a time per process.
_pdf_lock = threading.Lock()


def register_fonts():
    """Register the shipped DejaVu fonts with reportlab, once per process."""
    global _fonts_ready
    if _fonts_ready:
        return
    with _fonts_lock:
        if _fonts_ready:
            return
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont
        folder = resources.files(__package__).joinpath('fonts')
        for name, filename in _FONT_FILES.items():
            data = folder.joinpath(filename).read_bytes()     # works from a zip as well
            pdfmetrics.registerFont(TTFont(name, io.BytesIO(data)))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD,
                                      italic=FONT, boldItalic=FONT_BOLD)
        _fonts_ready = True


def _markup(text):
    """Plain text as reportlab paragraph markup."""
    from xml.sax.saxutils import escape
    return escape(_lines(text).replace('\t', ' ')).replace('\n', '<br/>')


def _pdf_widths(table, available, body_font, head_font, size, padding):
    """Column widths that fill ``available`` points: each column gets at least its longest
    word (capped), and the rest goes where the text is longest."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    word_cap, line_cap = 110.0, 400.0
    sample = table.rows[:300]
    minimum, natural = [], []
    for c, title in enumerate(table.columns):
        cells = [_lines(row[c]) for row in sample]
        words = [stringWidth(w, head_font, size) for w in title.split()]
        words += [stringWidth(w, body_font, size) for v in cells for w in v.split()]
        lines = [stringWidth(line, head_font, size) for line in title.split('\n')]
        lines += [stringWidth(line, body_font, size) for v in cells for line in v.split('\n')]
        lo = min(max(words, default=0.0), word_cap) + 2 * padding + 1
        minimum.append(lo)
        natural.append(max(lo, min(max(lines, default=0.0), line_cap) + 2 * padding + 1))
    if sum(natural) <= available:
        scale = available / sum(natural)
        return [w * scale for w in natural]
    if sum(minimum) >= available:
        scale = available / sum(minimum)
        return [w * scale for w in minimum]
    spare = available - sum(minimum)
    stretch = [n - m for n, m in zip(natural, minimum)]
    return [m + spare * s / sum(stretch) for m, s in zip(minimum, stretch)]


def to_pdf(table):
    """A4 landscape: title and subtitle on top, the table with its column titles repeated on
    every page, wrapped cells, "Trang N" and the time of making at the foot of each page."""
    register_fonts()
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as RLTable, TableStyle

    pagesize = landscape(A4)
    margin = 12 * mm
    size, padding = 8, 3
    styles = {
        'title': ParagraphStyle('title', fontName=FONT_BOLD, fontSize=14, leading=18,
                                alignment=TA_CENTER, spaceAfter=2),
        'subtitle': ParagraphStyle('subtitle', fontName=FONT, fontSize=10.5, leading=14,
                                   alignment=TA_CENTER),
        'head': ParagraphStyle('head', fontName=FONT_BOLD, fontSize=size, leading=size + 2,
                               alignment=TA_CENTER),
        'cell': ParagraphStyle('cell', fontName=FONT, fontSize=size, leading=size + 2),
    }
    available = pagesize[0] - 2 * margin
    widths = _pdf_widths(table, available, FONT, FONT_BOLD, size, padding)

    data = [[Paragraph(_markup(t), styles['head']) for t in table.columns]]
    data += [[Paragraph(_markup(v), styles['cell']) for v in row] for row in table.rows]
    grid = RLTable(data, colWidths=widths, repeatRows=1, splitInRow=1, hAlign='CENTER')
    grid.setStyle(TableStyle([
        ('FONTNAME', (0, 0), (-1, -1), FONT),     # else the table sets Helvetica around each cell
        ('FONTSIZE', (0, 0), (-1, -1), size),
        ('GRID', (0, 0), (-1, -1), 0.4, colors.HexColor('#808080')),
        ('BACKGROUND', (0, 0), (-1, 0), colors.HexColor('#E7E6E6')),
        ('VALIGN', (0, 0), (-1, 0), 'MIDDLE'),
        ('VALIGN', (0, 1), (-1, -1), 'TOP'),
        ('LEFTPADDING', (0, 0), (-1, -1), padding),
        ('RIGHTPADDING', (0, 0), (-1, -1), padding),
        ('TOPPADDING', (0, 0), (-1, -1), 2),
        ('BOTTOMPADDING', (0, 0), (-1, -1), 3),
    ]))

    story = [Paragraph(_markup(table.title), styles['title'])]
    if table.subtitle:
        story.append(Paragraph(_markup(table.subtitle), styles['subtitle']))
    story += [Spacer(1, 4 * mm), grid]

    footer = _lines(table.generated_at).replace('\n', ' ')

    def decorate(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawRightString(pagesize[0] - margin, 7 * mm, f'Trang {doc.page}')
        if footer:
            canvas.drawString(margin, 7 * mm, f'Lập lúc {footer}')
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=pagesize, leftMargin=margin, rightMargin=margin,
        topMargin=margin, bottomMargin=14 * mm,
        title=table.title, subject=table.subtitle, author='', creator='party-archive',
        lang='vi', initialFontName=FONT, initialFontSize=size)   # no stray Helvetica
    with _pdf_lock:
        doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()


# --- By name ------------------------------------------------------------------------------

FORMATS = {
    # name: (function, media type, file extension)
    'csv': (to_csv, 'text/csv; charset=utf-8', 'csv'),
    'xlsx': (to_xlsx, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'xlsx'),
    'pdf': (to_pdf, 'application/pdf', 'pdf'),
}
