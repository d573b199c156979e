"""The three registers: pages and exports (CSV, XLSX, PDF) read back with Vietnamese intact."""
import csv
import io
import re
import unicodedata

import openpyxl
import pypdf

from archive import clock

from ..conftest import HOST_CODE
from ..helpers import NEXT_OUTGOING, add_main_pdf, incoming

API = f'/api/v1/bodies/{HOST_CODE}/documents'
ABSTRACT = 'Hướng dẫn công tác kiểm điểm, đánh giá, xếp loại chất lượng tổ chức đảng năm 2026'
SENDER = 'Ủy ban Kiểm tra Thành ủy'


def act(c, doc_id, action, **data):
    return c.post_json(f'{API}/{doc_id}/transitions/{action}', data, headers={'X-CSRF-Token': c.csrf}).json


def _flat(text):
    return re.sub(r'\s+', ' ', unicodedata.normalize('NFC', text))


def _registered(clerk, leader):
    doc = clerk.post_json(API, incoming(abstract=ABSTRACT, sender=SENDER, doc_type='HD',
                                        number_symbol='36-HD/UBKTTU'),
                          headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    act(clerk, doc['id'], 'register')
    act(leader, doc['id'], 'assign', main_processor='chuyenvien', instruction='Giao phòng Tổng hợp',
        days=5)
    return doc


def test_incoming_and_follow_up_registers_in_three_formats(app, clerk, leader):
    _registered(clerk, leader)
    year = clock.today().year
    base = f'/api/v1/bodies/{HOST_CODE}/registers'
    incoming_rows = clerk.get(f'{base}/incoming').json['rows']
    assert incoming_rows[0][1] == '1' and incoming_rows[0][2] == SENDER
    assert incoming_rows[0][5] == f'Hướng dẫn: {ABSTRACT}' and incoming_rows[0][6] == 'Lê Thị Chuyên Viên'
    follow = clerk.get(f'{base}/follow-up').json['rows']
    assert follow[0][2] == 'Lê Thị Chuyên Viên' and follow[0][4] == 'Đã chuyển xử lý'
    # "Tên loại, số, ký hiệu…": the type's name, as the incoming register says it (it said "HD")
    assert follow[0][1] == f'Hướng dẫn 36-HD/UBKTTU 20/11/2026 {SENDER}'
    assert follow[0][3]                                                 # 5 working days from today

    pdf = clerk.get(f'{base}/incoming?format=pdf')
    assert pdf.content_type == 'application/pdf'
    text = _flat(''.join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.body)).pages))
    for expected in ('Sổ đăng ký văn bản đến', ABSTRACT, SENDER, 'Văn phòng Thành ủy', f'năm {year}',
                     'Tác giả (cơ quan ban hành)'):
        assert expected in text, expected

    xlsx = clerk.get(f'{base}/follow-up?format=xlsx')
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.body)).active
    cells = [c.value for row in sheet.iter_rows() for c in row if c.value]
    assert 'Sổ theo dõi giải quyết văn bản đến' in cells and 'Lê Thị Chuyên Viên' in cells
    assert any(SENDER in str(c) for c in cells)

    page_csv = clerk.get(f'/bodies/{HOST_CODE}/registers?kind=incoming&format=csv')
    rows = list(csv.reader(io.StringIO(page_csv.body.decode('utf-8-sig'))))
    assert rows[0][0] == 'Ngày đến' and rows[1][1] == '1' and rows[1][5] == f'Hướng dẫn: {ABSTRACT}'

    page = clerk.get(f'/bodies/{HOST_CODE}/registers?kind=incoming')
    assert ABSTRACT in page.text and 'Sổ đăng ký văn bản đến' in page.text


def test_outgoing_register_and_secret_rows(app, clerk, leader, processor):
    draft = clerk.post_json(API, {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'BC',
                                  'abstract': 'Báo cáo quý IV về công tác văn thư, lưu trữ',
                                  'signer_name': 'Trần Văn Lãnh Đạo', 'copies': 3,
                                  'receivers': ['Thường trực Thành ủy', 'Lưu VT']},
                            headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    add_main_pdf(clerk, f"{API}/{draft['id']}")
    for who, action in ((clerk, 'submit'), (leader, 'approve'), (clerk, 'number'), (clerk, 'sign'),
                        (clerk, 'send')):
        act(who, draft['id'], action)
    secret = clerk.post_json(API, incoming(classification='mat', abstract='Nội dung mật'),
                             headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    act(clerk, secret['id'], 'register')
    base = f'/api/v1/bodies/{HOST_CODE}/registers'
    out = clerk.get(f'{base}/outgoing').json
    assert out['rows'][NEXT_OUTGOING - 1:] == [[f'{NEXT_OUTGOING}-BC/VPTU', clock.display(clock.today()),
                            'Báo cáo: Báo cáo quý IV về công tác văn thư, lưu trữ', 'Trần Văn Lãnh Đạo',
                            'Thường trực Thành ủy; Lưu VT', 'Lưu VT', '3', clock.display(clock.now()), '', '']]
    assert not any('Nội dung mật' in ' '.join(r) for r in clerk.get(f'{base}/incoming').json['rows'])
    mine = clerk.get(f'{base}/incoming?secret=1').json['rows']
    assert any('Nội dung mật' in ' '.join(r) for r in mine)          # the clerk who entered it
    theirs = leader.get(f'{base}/incoming?secret=1').json['rows']
    assert not any('Nội dung mật' in ' '.join(r) for r in theirs)    # the leader is not named
    assert theirs[-1][1] == '1' and theirs[-1][-1] == '(văn bản mật)'   # the number stays: no gap
    clerk.get(f'{base}/incoming?format=doc', status=400)
    clerk.get(f'{base}/incoming?year=abc', status=400)
    clerk.get(f'{base}/nonsense', status=404)
