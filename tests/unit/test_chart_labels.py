"""A phone's narrow charts keep their words whole and apart: a body's name beside the bars on two
lines rather than cut ("Ban Dân vận…"), labels slanted where side by side they would touch."""
import re

from archive.reports import charts


def texts(drawing):
    return [re.sub(r'<[^>]+>', '', t) for t in re.findall(r'<text[^>]*>.*?</text>', charts.svg(drawing), re.S)]


def test_a_long_body_name_takes_two_lines_in_the_narrow_copy_and_is_not_cut():
    names = ['Ủy ban Kiểm tra Thành ủy', 'Ban Dân vận Thành ủy', 'Thành ủy']
    narrow = texts(charts.bars('Văn bản đến theo cơ quan', names, [[1, 2, 3]], ['Đến'], horizontal=True,
                               narrow=True))
    assert not any(t.endswith('…') for t in narrow)
    assert {'Ủy ban Kiểm', 'tra Thành ủy', 'Ban Dân vận', 'Thành ủy'} <= {t.strip() for t in narrow}
    wide = texts(charts.bars('Văn bản đến theo cơ quan', names, [[1, 2, 3]], ['Đến'], horizontal=True))
    assert 'Ủy ban Kiểm tra Thành ủy' in wide                  # the wide copy keeps one line


SLANTED = re.compile(r'matrix\(0\.866025,0\.5,-0\.5,0\.866025')      # a label turned 30°


def test_labels_that_would_touch_are_slanted():
    months = ['Tháng 10/2026', 'Tháng 11/2026', 'Tháng 12/2026']
    assert len(SLANTED.findall(charts.svg(charts.bars('Theo tháng', months, [[1, 2, 3]], ['Đến'], narrow=True)))) == 3
    short = charts.svg(charts.bars('Theo tháng', ['10/2026', '11/2026', '12/2026'], [[1, 2, 3]], ['Đến'], narrow=True))
    assert SLANTED.search(short) is None
