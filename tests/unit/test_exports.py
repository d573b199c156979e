"""Registers exported as CSV, XLSX and PDF, read back with csv, openpyxl and pypdf."""
import csv
import io
import re
import unicodedata
import zipfile
from importlib import resources

import openpyxl
import pytest
from pypdf import PdfReader

from archive.reports import exports
from archive.reports.exports import (
    FOLLOW_UP_COLUMNS, INCOMING_COLUMNS, INCOMING_TITLE, OUTGOING_COLUMNS, Table, sheet_name,
    to_csv, to_pdf, to_xlsx)

ABSTRACT = 'Hướng dẫn công tác kiểm điểm, đánh giá, xếp loại chất lượng tổ chức đảng năm 2026'
AUTHOR = 'Ủy ban Kiểm tra Thành ủy'
HARD = 'ỹ ự ở ẫ Đ đ'
FORMULA = '=HYPERLINK("http://example.invalid/x","Xem")'
MARKUP = 'Báo cáo <khẩn> & trả lời "ngay", trước 17 giờ'
SUBTITLE = 'Văn phòng Thành ủy — năm 2026'
GENERATED = '2026-11-24T09:30:00+07:00'
N_ROWS = 80
FORMULA_ROW = 3           # 1-based data row holding FORMULA in the notes column


def _rows():
    rows = []
    for i in range(1, N_ROWS + 1):
        rows.append([
            f'2026-01-{i % 28 + 1:02d}',                       # Ngày đến
            str(i),                                            # Số đến
            AUTHOR if i % 2 else 'Ban Tuyên giáo và Dân vận Thành ủy',
            f'{i}-HD/UBKTTU',                                  # Số, ký hiệu
            '2026-01-05',
            ABSTRACT if i % 3 else f'Kế hoạch số {i} về việc tổng kết công tác năm; {ABSTRACT}',
            'Ban Tổ chức Thành ủy',
            '2026-01-06',
            HARD,                                              # Ký nhận
            FORMULA if i == FORMULA_ROW else (MARKUP if i == 5 else ''),
        ])
    return rows


@pytest.fixture(scope='module')
def table():
    return Table(INCOMING_TITLE, SUBTITLE, INCOMING_COLUMNS, _rows(), generated_at=GENERATED)


def _flat(text):
    """Extracted text compared as NFC with runs of whitespace (line wraps) made one space."""
    return ' '.join(unicodedata.normalize('NFC', text).split())


# --- the register definitions ---------------------------------------------------------------

def test_column_lists():
    assert len(INCOMING_COLUMNS) == 10 and len(OUTGOING_COLUMNS) == 10 and len(FOLLOW_UP_COLUMNS) == 7
    assert INCOMING_COLUMNS[:2] == ('Ngày đến', 'Số đến')
    assert OUTGOING_COLUMNS[0] == 'Số, ký hiệu văn bản'
    assert FOLLOW_UP_COLUMNS[-2:] == ('Số, ký hiệu văn bản trả lời', 'Ghi chú')
    for title in INCOMING_COLUMNS + OUTGOING_COLUMNS + FOLLOW_UP_COLUMNS:
        assert unicodedata.is_normalized('NFC', title)


def test_table_checks_and_normalises():
    with pytest.raises(ValueError):
        Table('T', '', ('a', 'b'), [('1',)])
    with pytest.raises(TypeError):
        Table('T', '', ('a',), [(1,)])
    nfd = unicodedata.normalize('NFD', HARD)
    t = Table(unicodedata.normalize('NFD', INCOMING_TITLE), '', ('a', 'b'), [[nfd, None]])
    assert t.title == INCOMING_TITLE and t.rows == ((HARD, ''),)
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00', t.generated_at)


def test_fonts_are_shipped():
    folder = resources.files('archive.reports').joinpath('fonts')
    for name in ('DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'):
        assert folder.joinpath(name).read_bytes()[:4] == b'\x00\x01\x00\x00'     # TrueType
    assert 'Bitstream' in folder.joinpath('LICENSE-DejaVu.txt').read_text(encoding='utf-8')


# --- CSV --------------------------------------------------------------------------------------

def test_csv_round_trip(table):
    data = to_csv(table)
    assert data.startswith(b'\xef\xbb\xbf')
    text = data.decode('utf-8-sig')
    assert text.endswith('\r\n')
    assert text.count('\r\n') == N_ROWS + 1               # no line breaks inside the cells here
    assert '\n' not in text.replace('\r\n', '')
    records = list(csv.reader(io.StringIO(text, newline='')))
    assert records[0] == list(INCOMING_COLUMNS)
    assert len(records) == N_ROWS + 1
    expected = _rows()
    expected[FORMULA_ROW - 1][-1] = "'" + FORMULA
    assert records[1:] == expected
    flat = [cell for record in records for cell in record]
    for needle in (ABSTRACT, AUTHOR, HARD, MARKUP):
        assert needle in flat
    # RFC 4180: fields with commas or quotes are quoted, quotes doubled
    assert '"\'=HYPERLINK(""http://example.invalid/x"",""Xem"")"' in text


@pytest.mark.parametrize('cell', ['=1+1', '+84912345678', '-5', '@SUM(A1)', '\tx', '\rx'])
def test_csv_formula_guard(cell):
    text = to_csv(Table('T', '', ('a', 'b'), [[cell, 'x' + cell]])).decode('utf-8-sig')
    assert list(csv.reader(io.StringIO(text, newline='')))[1] == ["'" + cell, 'x' + cell]


def test_csv_keeps_line_breaks_inside_quotes():
    text = to_csv(Table('T', '', ('a', 'b'), [['dòng 1\r\ndòng 2', 'x']])).decode('utf-8-sig')
    assert list(csv.reader(io.StringIO(text, newline='')))[1] == ['dòng 1\r\ndòng 2', 'x']


# --- XLSX -------------------------------------------------------------------------------------

def test_xlsx_round_trip(table):
    data = to_xlsx(table)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == [INCOMING_TITLE]
    ws = wb[INCOMING_TITLE]
    assert ws['A1'].value == INCOMING_TITLE and ws['A1'].font.b
    assert ws['A2'].value == SUBTITLE
    header = [c.value for c in ws[3]]
    assert header == list(INCOMING_COLUMNS)
    assert all(c.font.b for c in ws[3])
    assert ws.freeze_panes == 'A4'
    assert ws.max_row == 3 + N_ROWS
    values = [[c.value if c.value is not None else '' for c in row]
              for row in ws.iter_rows(min_row=4)]
    assert values == _rows()                       # exact, cell by cell, the '=' cell included
    for row in ws.iter_rows(min_row=3):
        for c in row:
            assert c.alignment.wrap_text
            assert c.data_type != 'f'
    for needle in (ABSTRACT, AUTHOR, HARD, MARKUP):
        assert any(c.value == needle for row in ws.iter_rows(min_row=4) for c in row)
    for col in 'ABCDEFGHIJ':
        assert 10 <= ws.column_dimensions[col].width <= 60
    assert ws.column_dimensions['F'].width > ws.column_dimensions['B'].width


def test_xlsx_formula_cell_is_text(table):
    data = to_xlsx(table)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cell = ws.cell(row=3 + FORMULA_ROW, column=len(INCOMING_COLUMNS))
    assert cell.value == FORMULA
    assert cell.data_type == 's'
    assert cell.quotePrefix                        # Excel keeps it text when the cell is edited
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read('xl/worksheets/sheet1.xml').decode('utf-8')
    assert '<f>' not in sheet and '<f ' not in sheet              # no formula anywhere
    assert 't="inlineStr"><is><t>=HYPERLINK(' in sheet            # openpyxl writes inline strings


@pytest.mark.parametrize('title,expected', [
    (INCOMING_TITLE, 'Sổ đăng ký văn bản đến'),
    ('Sổ theo dõi giải quyết văn bản đến', 'Sổ theo dõi giải quyết văn bản'),
    ('Sổ [mật]: 2026/01*?\\', 'Sổ mật 2026 01'),
    ("'Sổ'", 'Sổ'),
    ('', 'Sổ đăng ký'),
    ('History', 'Sổ đăng ký'),
])
def test_sheet_name(title, expected):
    name = sheet_name(title)
    assert name == expected and len(name) <= 31


# --- PDF --------------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def pdf(table):
    return PdfReader(io.BytesIO(to_pdf(table)))


def test_pdf_text(pdf):
    assert len(pdf.pages) >= 3
    pages = [_flat(p.extract_text()) for p in pdf.pages]
    everything = ' '.join(pages)
    assert INCOMING_TITLE in pages[0] and SUBTITLE in pages[0]
    for needle in (ABSTRACT, AUTHOR, HARD, MARKUP, GENERATED):
        assert needle in everything, needle
    # a token longer than its column is broken across lines: compare it without whitespace
    assert FORMULA in ''.join(everything.split())
    for n, text in enumerate(pages, 1):
        assert f'Trang {n}' in text


def test_pdf_header_repeats(pdf):
    header = ' '.join(INCOMING_COLUMNS)
    for page in pdf.pages[:3]:
        assert header in _flat(page.extract_text())
    assert INCOMING_TITLE not in _flat(pdf.pages[1].extract_text())      # the title only once


def test_pdf_font_is_embedded(pdf):
    names = set()
    for page in pdf.pages:
        for font in page['/Resources']['/Font'].values():
            font = font.get_object()
            names.add(str(font['/BaseFont']).split('+')[-1])
            assert font['/Subtype'] == '/TrueType'
            assert '/FontFile2' in font['/FontDescriptor']        # the font program is in the file
            assert '/ToUnicode' in font                          # and text can be extracted
    assert names == {'DejaVuSans', 'DejaVuSans-Bold'}
    assert pdf.metadata.title == INCOMING_TITLE


def test_empty_register():
    t = Table(INCOMING_TITLE, SUBTITLE, INCOMING_COLUMNS, [])
    assert PdfReader(io.BytesIO(to_pdf(t))).pages[0].extract_text()
    assert openpyxl.load_workbook(io.BytesIO(to_xlsx(t))).active.max_row == 3
    assert to_csv(t).decode('utf-8-sig').count('\r\n') == 1


def test_formats_by_name(table):
    for name, (make, media_type, ext) in exports.FORMATS.items():
        assert name == ext and media_type
        assert make(Table('T', '', ('a',), [['x']]))
