"""The quarterly report (Art. 14.2) as PDF, XLSX and CSV, from a :class:`Report` of plain strings
and numbers that ``reports.quarterly`` fills in.

Reproducible: nothing in the files depends on when they are made. The PDF is written in
reportlab's invariant mode (no creation time, a fixed document id); the XLSX carries the last day
of the quarter as its creation and modification time; the CSV has no time at all. The same
quarter over the same counters gives the same bytes.

The PDF embeds the shipped DejaVu fonts (``fonts/``) and draws the same charts as the dashboard
(``reports.charts``).
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import io
from collections.abc import Sequence

from . import charts
from .exports import FONT, FONT_BOLD, _markup, _pdf_lock, neutralise, register_fonts, sheet_name


@dataclasses.dataclass(frozen=True)
class Report:
    title: str                              # 'Báo cáo quý 4 năm 2026'
    subtitle: str                           # the body and its subtree, the dates
    period_end: _dt.date
    columns: Sequence[str]                  # figure titles
    rows: Sequence[tuple]                   # (body name, [numbers or '' ...])
    total: Sequence                         # [numbers ...]
    channel: Sequence[tuple]                # (route title, number)
    late_columns: Sequence[str]
    late: Sequence[Sequence[str]]           # late and overdue items
    availability: Sequence[tuple] | None    # (what, value) or None: not available yet
    months: Sequence[tuple] = ()            # (month label, received, sent)

    SECTION_FIGURES = 'I. Số liệu gửi, nhận văn bản điện tử'
    SECTION_CHANNEL = 'II. Văn bản đến theo kênh nhận'
    SECTION_LATE = 'III. Văn bản chậm, quá hạn'
    SECTION_AVAILABILITY = 'IV. Tình trạng hoạt động của hệ thống trao đổi văn bản (Điều 13.1)'
    NOT_AVAILABLE = 'Chưa có số liệu'
    TOTAL = 'Tổng cộng'
    BODY = 'Cơ quan, đơn vị'


def _cell(value):
    if value is None:
        return ''
    if isinstance(value, float):
        return f'{value:.1f}'
    return str(value)


def figure_rows(report):
    """The figures table as strings: a header, a row per body, the total."""
    head = [Report.BODY, *report.columns]
    body = [[name, *(_cell(v) for v in values)] for name, values in report.rows]
    return head, body + [[Report.TOTAL, *(_cell(v) for v in report.total)]]


# -- CSV -------------------------------------------------------------------------------------

def to_csv(report):
    """Sections one after another, each with its title line; UTF-8 with a BOM, CRLF."""
    out = io.StringIO(newline='')
    w = csv.writer(out, lineterminator='\r\n')

    def row(cells):
        w.writerow([neutralise(_cell(c)) for c in cells])
    row([report.title])
    row([report.subtitle])
    row([Report.SECTION_FIGURES])
    head, rows = figure_rows(report)
    for r in [head, *rows]:
        row(r)
    row([Report.SECTION_CHANNEL])
    for name, n in report.channel:
        row([name, n])
    row([Report.SECTION_LATE])
    row(report.late_columns)
    for r in report.late:
        row(r)
    row([Report.SECTION_AVAILABILITY])
    for name, value in report.availability or [(Report.NOT_AVAILABLE, '')]:
        row([name, value])
    return out.getvalue().encode('utf-8-sig')


# -- XLSX ------------------------------------------------------------------------------------

def to_xlsx(report):
    """One sheet per section; numbers stored as numbers, text as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()

    def sheet(ws, title, header, rows):
        ws.title = sheet_name(title)
        ws.cell(row=1, column=1, value=report.title).font = Font(bold=True, size=13)
        ws.cell(row=2, column=1, value=report.subtitle)
        ws.cell(row=3, column=1, value=title).font = Font(bold=True)
        for c, h in enumerate(header, 1):
            cell = ws.cell(row=4, column=c, value=h)
            cell.font = Font(bold=True)
            cell.data_type = 's'
        for r, values in enumerate(rows, 5):
            for c, v in enumerate(values, 1):
                cell = ws.cell(row=r, column=c, value=v)
                if isinstance(v, str):
                    cell.data_type = 's'
                    if v[:1] in ('=', '+', '-', '@', '\t', '\r'):
                        cell.quotePrefix = True
        ws.column_dimensions['A'].width = 36

    head = [Report.BODY, *report.columns]
    rows = [[name, *values] for name, values in report.rows] + [[Report.TOTAL, *report.total]]
    sheet(wb.active, 'Số liệu', head, rows)
    sheet(wb.create_sheet(), 'Kênh nhận', ['Kênh', 'Số văn bản'], [list(x) for x in report.channel])
    sheet(wb.create_sheet(), 'Chậm, quá hạn', list(report.late_columns), [list(x) for x in report.late])
    sheet(wb.create_sheet(), 'Hoạt động hệ thống', ['Nội dung', 'Giá trị'],
          [list(x) for x in (report.availability or [(Report.NOT_AVAILABLE, '')])])
    moment = _dt.datetime.combine(report.period_end, _dt.time(23, 59, 59))
    wb.properties.title = report.title
    wb.properties.subject = report.subtitle
    wb.properties.creator = 'party-archive'
    wb.properties.created = moment
    wb.properties.modified = moment
    out = io.BytesIO()
    wb.save(out)
    return _fixed_zip_times(out.getvalue(), moment)


def _fixed_zip_times(data, moment):
    """The XLSX (a zip) with every member dated ``moment`` and its properties modified then
    (openpyxl writes the time of saving): the same report, the same bytes."""
    import re
    import zipfile
    stamp = moment.strftime('%Y-%m-%dT%H:%M:%SZ').encode()
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=moment.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = src.read(info.filename)
            if info.filename == 'docProps/core.xml':
                content = re.sub(rb'(<dcterms:modified[^>]*>)[^<]*', rb'\g<1>' + stamp, content)
            dst.writestr(fixed, content)
    return out.getvalue()


# -- PDF -------------------------------------------------------------------------------------

def drawings(report):
    """The report's charts (the dashboard draws the same)."""
    out = []
    if report.months:
        out.append(charts.bars('Văn bản đến và đi theo tháng', [m[0] for m in report.months],
                               [[m[1] for m in report.months], [m[2] for m in report.months]],
                               ['Đến', 'Đi']))
    if report.rows:
        received_at = list(report.columns).index('Văn bản đến') if 'Văn bản đến' in report.columns else 0
        out.append(charts.bars('Văn bản đến theo cơ quan', [r[0] for r in report.rows][:15],
                               [[r[1][received_at] or 0 for r in report.rows][:15]], ['Đến'], horizontal=True))
    out.append(charts.pie('Văn bản đến theo kênh', [c[0] for c in report.channel], [c[1] for c in report.channel]))
    return out


def _longest_word(texts, font, size):
    from reportlab.pdfbase.pdfmetrics import stringWidth
    return max((stringWidth(w, font, size) for t in texts for w in str(t).split()), default=0.0)


def figure_tables(head, rows, available, first, size, padding):
    """The figures table as ``[(columns, widths)]``: cut into tables that each fit the page's
    width, each repeating the body column. Every figure column is at least as wide as its
    longest word (in the header's bold face), so that a header wraps at its spaces and never
    inside a syllable (20 equal columns split "chậm" as "chậ m"); the width left over is
    shared evenly."""
    extra = 2 * padding + 1
    need = [max(_longest_word([h], FONT_BOLD, size), _longest_word([r[c] for r in rows], FONT, size)) + extra
            for c, h in enumerate(head)]
    first = max(first, need[0])
    groups, group = [], []
    for c in range(1, len(head)):
        if group and first + sum(need[g] for g in group) + need[c] > available:
            groups.append(group)
            group = []
        group.append(c)
    if group:
        groups.append(group)
    out = []
    for group in groups:
        spare = max(0.0, available - first - sum(need[g] for g in group)) / len(group)
        out.append(([0, *group], [first, *(need[g] + spare for g in group)]))
    return out


def to_pdf(report):
    """A4 landscape: title, the figures table, the charts, the channel mix, the late and overdue
    items, the availability section."""
    register_fonts()
    from reportlab import rl_config
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as RLTable, TableStyle

    pagesize = landscape(A4)
    margin = 12 * mm
    st = {
        'title': ParagraphStyle('t', fontName=FONT_BOLD, fontSize=14, leading=18, alignment=TA_CENTER),
        'sub': ParagraphStyle('s', fontName=FONT, fontSize=10, leading=13, alignment=TA_CENTER),
        'h': ParagraphStyle('h', fontName=FONT_BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4),
        'cell': ParagraphStyle('c', fontName=FONT, fontSize=7, leading=9),
        'head': ParagraphStyle('hd', fontName=FONT_BOLD, fontSize=7, leading=9, alignment=TA_CENTER),
    }

    padding = 3

    def table(header, rows, widths=None):
        data = [[Paragraph(_markup(str(h)), st['head']) for h in header]]
        data += [[Paragraph(_markup(_cell(v)), st['cell']) for v in r] for r in rows]
        t = RLTable(data, colWidths=widths, repeatRows=1, hAlign='LEFT')
        t.setStyle(TableStyle([('GRID', (0, 0), (-1, -1), 0.4, colors.HexColor('#808080')),
                               ('BACKGROUND', (0, 0), (-1, 0), colors.HexColor('#E7E6E6')),
                               ('LEFTPADDING', (0, 0), (-1, -1), padding),
                               ('RIGHTPADDING', (0, 0), (-1, -1), padding),
                               ('FONTNAME', (0, 0), (-1, -1), FONT), ('VALIGN', (0, 0), (-1, -1), 'TOP')]))
        return t

    available = pagesize[0] - 2 * margin
    head, rows = figure_rows(report)
    story = [Paragraph(_markup(report.title), st['title']), Paragraph(_markup(report.subtitle), st['sub']),
             Spacer(1, 4 * mm), Paragraph(_markup(Report.SECTION_FIGURES), st['h'])]
    for n, (columns, widths) in enumerate(figure_tables(head, rows, available, 40 * mm, 7, padding)):
        story += [Spacer(1, 3 * mm)] if n else []
        story.append(table([head[c] for c in columns], [[r[c] for c in columns] for r in rows], widths))
    story += [Spacer(1, 3 * mm), *drawings(report)]
    story += [Paragraph(_markup(Report.SECTION_CHANNEL), st['h']),
              table(['Kênh', 'Số văn bản'], report.channel, [90 * mm, 30 * mm])]
    story += [Paragraph(_markup(Report.SECTION_LATE), st['h'])]
    story += [table(report.late_columns, report.late)] if report.late else \
        [Paragraph(_markup('Không có văn bản chậm, quá hạn.'), st['cell'])]
    story += [Paragraph(_markup(Report.SECTION_AVAILABILITY), st['h']),
              table(['Nội dung', 'Giá trị'], report.availability or [(Report.NOT_AVAILABLE, '')],
                    [120 * mm, 60 * mm])]

    def decorate(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawRightString(pagesize[0] - margin, 7 * mm, f'Trang {doc.page}')
        canvas.restoreState()

    out = io.BytesIO()
    with _pdf_lock:
        saved = rl_config.invariant
        rl_config.invariant = 1          # no creation time, a fixed id: the same report, the same bytes
        try:
            doc = SimpleDocTemplate(out, pagesize=pagesize, leftMargin=margin, rightMargin=margin,
                                    topMargin=margin, bottomMargin=14 * mm, title=report.title,
                                    subject=report.subtitle, author='', creator='party-archive', lang='vi',
                                    initialFontName=FONT, initialFontSize=8)
            doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
        finally:
            rl_config.invariant = saved
    return out.getvalue()


FORMATS = {
    'pdf': (to_pdf, 'application/pdf', 'pdf'),
    'xlsx': (to_xlsx, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'xlsx'),
    'csv': (to_csv, 'text/csv; charset=utf-8', 'csv'),
}
