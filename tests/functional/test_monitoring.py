"""Security monitoring (Art. 15.3, issue 15 item 5): the administrators' page, its CSV/XLSX export
and GET /api/v1/security-events, over the real app: failed and locked logins, refused packages,
Mật files read, certificate and account changes; filters; bad input; no document content."""
import csv
import datetime as dt
import io
import re

import pytest

from archive import clock

from ..conftest import HOST_CODE, client
from ..helpers import incoming, multipart, pdf

API = '/api/v1/security-events'
DOCS = f'/api/v1/bodies/{HOST_CODE}/documents'
ABSTRACT = 'Trích yếu MẬT-ĐỪNG-LỘ zqxwvk'     # letters no hex id or hash holds
FILENAME = 'ten-tep-MAT-LO-zqxwvk.pdf'


def events(admin, **params):
    return admin.get(API, params=params).json


def test_failed_and_locked_logins_by_account_and_address(app, admin):
    intruder = client(app)
    for _ in range(5):                  # archive.login_max_failures: the fifth locks the account
        intruder.login('vanthu', 'sai-mat-khau', status=401)
    intruder.login('vanthu', 'sai-mat-khau', status=429)      # tried while locked
    intruder.login('khong-co-ai', 'sai', status=401)          # no such account: counted by address
    got = events(admin, kind='login_failed')
    by_account = [(r['account'], r['source']) for r in got['items'] if r['account']]
    assert by_account == [('vanthu', '127.0.0.1')] * 5
    by_address = [(r['source'], r['count']) for r in got['items'] if r['account'] is None]
    assert by_address == [('127.0.0.1', 6)]
    locked = events(admin, kind='login_locked')['items']
    assert [(r['account'], r['reason']) for r in locked] == [('vanthu', 'account_locked'), (None, 'login_locked')]
    assert locked[1]['count'] == 1 and locked[1]['source'] == '127.0.0.1'
    assert events(admin, account='vanthu')['summary']['login_failed'] == 5
    assert events(admin, account='quantri')['summary']['login_failed'] == 0


def test_a_secret_document_read_names_who_but_nothing_of_its_content(app, admin, clerk, leader):
    params, files = multipart(incoming(classification='mat', named_people=['lanhdao'], abstract=ABSTRACT),
                              (FILENAME, pdf('Noi dung mat')))
    doc = clerk.post(DOCS, params, upload_files=files, headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    leader.get(f"{DOCS}/{doc['id']}/files/1")
    reads = [r for r in events(admin, kind='secret_read')['items'] if r['document'] == doc['id']]
    assert [(r['account'], r['detail'].get('purpose'), r['body']) for r in reads] == [
        ('vanthu', 'verify', HOST_CODE), ('lanhdao', 'download', HOST_CODE)]
    assert {r['account'] for r in events(admin, kind='secret_read', account='lanhdao')['items']} == {'lanhdao'}
    outputs = [admin.get(API).text, admin.get('/admin/security').text,
               admin.get('/admin/security', params={'format': 'csv'}).body.decode('utf-8')]
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(admin.get(API, params={'format': 'xlsx'}).body)).active
    outputs.append('\n'.join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None))
    assert 'lanhdao' in outputs[3] and doc['id'] in outputs[2]
    for text in outputs:
        assert ABSTRACT not in text and 'MẬT-ĐỪNG-LỘ' not in text and FILENAME not in text and 'zqxwvk' not in text


def test_account_and_certificate_changes_filtered_by_body(app, admin):
    admin.post_json('/api/v1/users', {'login': 'moi', 'full_name': 'Người Mới', 'body_code': HOST_CODE,
                                      'roles': ['clerk'], 'password': 'mot-mat-khau-dai-2026'},
                    headers={'X-CSRF-Token': admin.csrf}, status=201)
    admin.patch_json('/api/v1/users/moi', {'active': False}, headers={'X-CSRF-Token': admin.csrf})
    changes = events(admin, kind='account', account='moi')['items']
    assert [(r['reason'], r['body'], r['actor']) for r in changes] == [
        ('user_created', HOST_CODE, 'quantri'), ('user_disabled', HOST_CODE, 'quantri')]
    assert changes[0]['detail'] == {'roles': ['clerk']}
    other = events(admin, kind='account', body='000.00.02.H01')['items']
    assert 'moi' not in {r['account'] for r in other} and {r['body'] for r in other} <= {'000.00.02.H01'}
    certificates = events(admin, kind='certificate')['items']      # registered when the bodies were set up
    assert certificates and all(r['body'] and len(r['detail']['fingerprint']) >= 40 for r in certificates)
    one = certificates[0]['body']
    page = admin.get('/admin/security', params={'kind': 'certificate'}).html     # in words, not codes
    kinds = [s.parent.get_text() for s in page.select('tr[data-kind=certificate] [data-detail=kind]')]
    assert kinds and all('org-sign' not in k and 'org-enc' not in k for k in kinds)
    print_ = certificates[0]['detail']['fingerprint'].upper()
    assert f'{print_[:4]} {print_[4:8]} {print_[8:12]} {print_[12:16]} … {print_[-4:]}' in page.get_text()
    assert {r['body'] for r in events(admin, kind='certificate', body=one)['items']} == {one}
    page = admin.get('/admin/security', params={'kind': 'account', 'account': 'moi'})
    assert page.text.count('data-kind="account"') == 2
    times = page.html.select('main time')        # as people write them, ISO kept for machines (#14)
    assert len(times) >= 4 and all(re.fullmatch(r'\d{2}/\d{2}/\d{4}( \d{2}:\d{2})?', t.get_text()) for t in times)
    assert not re.search(r'\d{4}-\d{2}-\d{2}T', page.html.select_one('main').get_text())
    rows = list(csv.reader(io.StringIO(admin.get('/admin/security', params={'kind': 'account', 'format': 'csv'})
                                       .body.decode('utf-8'))))
    assert any('user_disabled' in row and 'moi' in row for row in rows)


def test_a_refused_package_is_listed_by_reason_and_source(app, admin):
    anon = client(app)
    anon.post('/exchange/v1/packages', b'<not-xml', headers={'Content-Type': 'application/xml'}, status='*')
    refused = events(admin, kind='package_refused')['items']
    assert [(r['source'], r['count']) for r in refused] == [('127.0.0.1', 1)] and refused[0]['reason']
    page = admin.get('/admin/exchange')
    assert f'data-refusal-count="{refused[0]["reason"]}"' in page.text


def test_only_administrators_see_it(app, clerk):
    clerk.get(API, status=403)
    clerk.get('/admin/security', status=403)


TOMORROW = (clock.today() + dt.timedelta(days=1)).isoformat()
BAD = [
    ({'from': '2026-11-10', 'to': '2026-11-01'}, [('from', 'period_reversed')]),
    ({'to': TOMORROW}, [('to', 'period_in_future')]),
    ({'from': TOMORROW, 'to': TOMORROW}, [('to', 'period_in_future'), ('from', 'period_in_future')]),
    ({'from': '2026-13-01'}, [('from', 'date_invalid')]),
    ({'kind': 'everything'}, [('kind', 'security_kind_unknown')]),
    ({'body': 'no.such.body'}, [('body', 'body_unknown')]),
    ({'from': '2024-01-01', 'to': '2025-06-01'}, [('from', 'period_too_long')]),
    ({'format': 'pdf'}, [('format', 'format_unknown')]),
]


@pytest.mark.parametrize('params,expected', BAD)
def test_bad_filters_are_the_same_errors_in_page_and_api(app, admin, params, expected):
    got = admin.get(API, params=params, status=400).json
    assert got['error'] == 'invalid_input'
    assert [(e['field'], e['code']) for e in got['errors']] == expected
    page = admin.get('/admin/security', params=params, status=400)
    for field, code in expected:
        assert f'data-field="{field}" data-code="{code}"' in page.text


def test_the_api_answers_as_the_spec_says(app, admin):
    from openapi_core import Config, OpenAPI
    from .test_openapi import SPEC_PATH, conforms
    spec = OpenAPI.from_file_path(str(SPEC_PATH), config=Config(additional_properties_default_policy='forbid'))
    client(app).login('vanthu', 'sai', status=401)
    assert conforms(spec, admin.get(API)).json['summary']['login_failed'] >= 1
    conforms(spec, admin.get(API, params={'kind': 'nothing'}, status=400), check_request=False)   # a kind not offered


def test_a_journal_stored_before_its_indexes_gets_them_from_evolve_step_0011(app, admin):
    from archive import audit, evolve
    from ..conftest import open_root
    client(app).login('vanthu', 'sai', status=401)
    conn, root = open_root(app)
    try:
        journal = audit.journal_of(root)
        listed = list(journal.security.items())
        assert ('login_failed' in dict(listed).values()) and listed
        del journal.security, journal.availability          # as stored before step 0011
        root.evolved.remove('0011-journal-indexes-forwards')
        conn.transaction_manager.commit()
        assert events(admin, kind='login_failed', account='vanthu')['items'] == []
        assert evolve.evolve(root) == ['0011-journal-indexes-forwards']
        conn.transaction_manager.commit()
        assert list(journal.security.items()) == listed
    finally:
        conn.close()
    assert [r['account'] for r in events(admin, kind='login_failed', account='vanthu')['items']] == ['vanthu']


def test_a_body_is_named_beside_its_code(app, admin):
    """The body column showed a code (000.00.01.H01) only; the code stays, for the body filter."""
    page = admin.get('/admin/security', params={'kind': 'account'}).html
    cells = page.select(f'td[data-body="{HOST_CODE}"]')
    assert cells and {' '.join(c.get_text().split()) for c in cells} == {f'Văn phòng Thành ủy ({HOST_CODE})'}


def test_the_page_says_its_codes_in_words(app, admin, clerk, leader):
    """The page showed the journal's codes as they are: "purpose: download", "(login)", a refusal's
    code, a document's internal name. Now in a records office's words, the codes kept in the page's
    data (and in the export and the API, for machines)."""
    params, files = multipart(incoming(classification='mat', named_people=['lanhdao'], number_symbol='77-TB/BTCTU'),
                              ('mat.pdf', pdf('Noi dung mat')))
    doc = clerk.post(DOCS, params, upload_files=files, headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    leader.get(f"{DOCS}/{doc['id']}/files/1")
    client(app).login('khong-co-ai', 'sai', status=401)
    client(app).post('/exchange/v1/packages', b'<not-xml', headers={'Content-Type': 'application/xml'}, status='*')
    page = admin.get('/admin/security').html
    main = ' '.join(page.select_one('main').get_text(' ').split())
    for code in ('purpose', 'download', 'verify', 'malformed_xml', '(login)', 'secret_file_read', 'account_locked',
                 'mã nội bộ'):
        assert code not in main, code
    [read] = [tr for tr in page.select('tr[data-kind=secret_read]') if tr.select_one(f'[data-document="{doc["id"]}"]')
              and 'lanhdao' in tr.get_text()]
    assert read.select_one(f'[data-document="{doc["id"]}"]').get_text(strip=True) == '77-TB/BTCTU'
    assert ' '.join(read.select_one('[data-detail=purpose]').parent.get_text(' ').split()).endswith('Mục đích : Tải về')
    refused = page.select_one('tr[data-kind=package_refused] [data-reason]')
    assert refused.get_text(strip=True) == 'Gói tin không phải XML hợp lệ'
    login = page.select_one('tr[data-kind=login_failed] [data-route=login]')
    assert login.get_text(strip=True) == 'Trang đăng nhập'
    english = admin.get('/admin/security?_LOCALE_=en').html
    assert english.select_one('tr[data-kind=package_refused] [data-reason]').get_text(strip=True) == (
        'The package is not well-formed XML')
