"""Charts of the statistics, drawn on the server with reportlab's graphics (already a dependency):
one ``Drawing`` renders to SVG for the dashboard and goes as it is into the quarterly PDF, so the
page and the report show the same picture. No script runs in the browser.

Each function takes plain values (labels, numbers) and returns a ``Drawing``; ``svg`` turns one
into an inline SVG string.
"""
import math
import re

from .exports import FONT, register_fonts

COLOURS = ('#1f5fa8', '#d9822b', '#3c9a5f', '#b03a2e', '#7d5ba6', '#8c8c8c')
WIDTH, HEIGHT = 480, 220
LEGEND_WIDTH = 100      # right of the bars (a bar chart leaves 110 points there)
# The narrow copy a phone's page shows (``narrow=True``): as wide as a phone's screen, so that its
# words, at 14 points, read at 14 px there; the legend above the plot, fewer bars (the caller's).
NARROW_WIDTH, NARROW_TEXT = 360, 14
NARROW_BARS = 6         # the months or bodies a narrow copy shows at most (the latest, the first)


def _colour(i):
    from reportlab.lib import colors
    return colors.HexColor(COLOURS[i % len(COLOURS)])


def _legend(drawing, names, x, y, size=8, column=6):
    """The colour swatches with their names to the right of ``x`` (kept inside the drawing: a
    name past its edge is cut off in the page's SVG)."""
    from reportlab.graphics.charts.legends import Legend
    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName, legend.fontSize = FONT, size
    legend.alignment = 'right'
    legend.columnMaximum = column
    if size > 8:
        legend.dx = legend.dy = size * .8
        legend.deltay = size * 1.3
    legend.colorNamePairs = [(_colour(i), n) for i, n in enumerate(names)]
    drawing.add(legend)


def _fit(label, room, size):
    """``label`` as it fits in ``room`` points at ``size``: whole, else cut after a whole word with
    "…" (a body's name was cut mid-word at 28 characters: "… cơ quan Thà")."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    if stringWidth(label, FONT, size) <= room:
        return label
    words = label.split()
    while len(words) > 1 and stringWidth(' '.join(words) + '…', FONT, size) > room:
        words.pop()
    return ' '.join(words) + '…'


def _two_lines(label, room, size):
    """``label`` on two lines where it does not fit on one (a body's name beside a phone's narrow
    bars: "Ủy ban Kiểm tra" / "Thành ủy"), split where the longer line is shortest; a line still
    too long is cut as ``_fit`` cuts."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    words = label.split()
    if stringWidth(label, FONT, size) <= room or len(words) < 2:
        return _fit(label, room, size)
    split = min(range(1, len(words)), key=lambda k: max(stringWidth(' '.join(words[:k]), FONT, size),
                                                        stringWidth(' '.join(words[k:]), FONT, size)))
    return '\n'.join(_fit(' '.join(part), room, size) for part in (words[:split], words[split:]))


def _title(drawing, text, size=10):
    from reportlab.graphics.shapes import String
    room = drawing.width - 8
    drawing.add(String(drawing.width / 2, drawing.height - size - 2, _fit(text, room, size), fontName=FONT,
                       fontSize=size, textAnchor='middle'))


def bars(title, labels, series, names, horizontal=False, percent=False, note=None, narrow=False):
    """Grouped bars: ``series[i][j]`` is the value of ``names[i]`` at ``labels[j]`` (None: no
    bar, nothing to measure there). Counts are ticked in whole numbers (never "0.2" documents);
    ``percent`` ticks 0 to 100. ``note``: a sentence across the plot (why it has no bars).
    ``narrow``: the phone's copy (``NARROW_WIDTH``, words at ``NARROW_TEXT``, the legend above)."""
    register_fonts()
    from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
    from reportlab.graphics.shapes import Drawing
    size = NARROW_TEXT if narrow else 7
    if narrow:          # the legend above the plot: room at the top, none at the right
        height = max(HEIGHT, 92 + 30 * len(labels) * max(len(series), 1)) if horizontal else 300
        width, right, top = NARROW_WIDTH, 12, 62
        corner = (150, 30) if horizontal else (45, 70)
    else:
        width, height, right, top = WIDTH, HEIGHT, 110, 30
        corner = (150, 20) if horizontal else (40, 45)
    drawing = Drawing(width, height)
    chart = HorizontalBarChart() if horizontal else VerticalBarChart()
    chart.x, chart.y = corner
    chart.width, chart.height = width - chart.x - right, height - chart.y - top
    chart.data = [list(s) or [0] for s in series] or [[0]]
    room = chart.x - 8 if horizontal else max(chart.width / max(len(labels), 1), 120)
    cut = _two_lines if narrow and horizontal else _fit
    chart.categoryAxis.categoryNames = [cut(str(x), room, size) for x in labels] or ['']
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = size
    if horizontal:
        chart.categoryAxis.labels.textAnchor = 'end'         # the lines of a two-line name against the axis
    else:          # slanted when they would touch side by side (or are many)
        from reportlab.pdfbase.pdfmetrics import stringWidth
        widest = max((stringWidth(str(x), FONT, size) for x in labels), default=0)
        slanted = len(labels) > (3 if narrow else 6) or widest > chart.width / max(len(labels), 1) * .8
        chart.categoryAxis.labels.angle = 30 if slanted else 0
        chart.categoryAxis.labels.boxAnchor = 'ne' if slanted else 'n'
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = size
    chart.valueAxis.valueMin = 0
    top = max((v for s in chart.data for v in s if v is not None), default=0)
    if percent:
        chart.valueAxis.valueMax, chart.valueAxis.valueStep = 100, 20
    else:
        chart.valueAxis.valueMax = max(top, 1) * 1.1
        chart.valueAxis.valueStep = max(1, math.ceil(top / 5))
    for i in range(len(chart.data)):
        chart.bars[i].fillColor = _colour(i)
        chart.bars[i].strokeColor = None
    drawing.add(chart)
    if note:
        from reportlab.graphics.shapes import String
        note_size = size if narrow else 9
        drawing.add(String(chart.x + chart.width / 2, chart.y + chart.height / 2,
                           _fit(note, chart.width, note_size) if narrow else note, fontName=FONT,
                           fontSize=note_size, textAnchor='middle', fillColor=_colour(5)))
    if narrow:
        _legend(drawing, names, 8, drawing.height - 2 * NARROW_TEXT - 8, size=NARROW_TEXT, column=1)
        _title(drawing, title, NARROW_TEXT)
    else:
        _legend(drawing, names, WIDTH - LEGEND_WIDTH, HEIGHT - 30)
        _title(drawing, title)
    return drawing


def pie(title, labels, values, narrow=False):
    """Shares of a whole (the channel mix). An empty whole draws one grey slice. ``narrow``: the
    phone's copy, the legend under the pie."""
    register_fonts()
    from reportlab.graphics.charts.piecharts import Pie
    from reportlab.graphics.shapes import Drawing
    size = NARROW_TEXT if narrow else 8
    drawing = Drawing(NARROW_WIDTH, 230 + 24 * max(len(values), 1)) if narrow else Drawing(WIDTH, HEIGHT)
    chart = Pie()
    chart.x, chart.y = (100, drawing.height - 210) if narrow else (60, 20)
    chart.width = chart.height = 160
    total = sum(values)
    chart.data = list(values) if total else [1]
    chart.labels = [f'{v}' for v in values] if total else ['0']
    chart.simpleLabels = 1
    chart.slices.fontName = FONT
    chart.slices.fontSize = size
    chart.slices.strokeColor = None
    for i in range(len(chart.data)):
        chart.slices[i].fillColor = _colour(i) if total else _colour(5)
    drawing.add(chart)
    named = [f'{n}: {v}' for n, v in zip(labels, values)]
    if narrow:
        _legend(drawing, [_fit(n, NARROW_WIDTH - 40, size) for n in named], 8, chart.y - 20, size=size, column=12)
        _title(drawing, title, size)
    else:
        _legend(drawing, named, 250, HEIGHT - 40)
        _title(drawing, title)
    return drawing


_XML_DECL = re.compile(r'^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?')


_STYLE = re.compile(r'style="([^"]*)"')


def _presentation(match):
    """A ``style`` attribute as SVG presentation attributes (``fill="…"``): the pages' security
    policy (``style-src 'self'``) blocks inline styles, which drew every chart in black."""
    pairs = (part.split(':', 1) for part in match.group(1).split(';') if ':' in part)
    return ' '.join(f'{name.strip()}="{value.strip()}"' for name, value in pairs)


def svg(drawing):
    """The drawing as an SVG element to put inline in a page."""
    from reportlab.graphics import renderSVG
    text = renderSVG.drawToString(drawing)
    return _STYLE.sub(_presentation, _XML_DECL.sub('', text))
