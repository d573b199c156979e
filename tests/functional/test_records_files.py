"""Records files (hồ sơ), retention and disposition through the API, the pages and the command line:
the file plan, opening, filing from the document, closing (retention fixed and started), appraisal,
batches (select, approve, confirm, destroy with a signed protocol), and each refusal with its code,
the same in page and API, nothing half-marked."""
import datetime as dt
import io

import pytest

from archive import audit, clock

from ..conftest import HOST_CODE, client, open_root
from ..helpers import incoming

BODY = f'/api/v1/bodies/{HOST_CODE}'
OTHER = '000.00.02.H01'
YEAR = clock.today().year


def csrf(c):
    return {'X-CSRF-Token': c.csrf}


@pytest.fixture
def archivist(app):
    return client(app, 'luutru')


def new_document(clerk, **over):
    values = incoming(**over)
    return clerk.post_json(f'{BODY}/documents', values, headers=csrf(clerk), status=201).json['id']


def plan_entry(archivist, code='TH.01', retention=10, unit='TH', title='Hồ sơ tổng hợp'):
    return archivist.post_json(f'{BODY}/file-plan', {'year': YEAR, 'code': code, 'title': title,
                                                     'unit_code': unit, 'retention': retention},
                               headers=csrf(archivist), status=201).json


def open_file(c, code='TH.01', status=201):
    return c.post_json(f'{BODY}/files', {'year': YEAR, 'plan_entry': code}, headers=csrf(c), status=status).json


def file_doc(c, doc, name, status=200, body=HOST_CODE):
    return c.post_json(f'/api/v1/bodies/{body}/documents/{doc}/records-file', {'file': name},
                       headers=csrf(c), status=status).json


def closed_file(clerk, archivist, code='TH.01', retention=10, doc_type='CV', pages=2, **doc):
    plan_entry(archivist, code, retention)
    f = open_file(clerk, code)
    name = new_document(clerk, doc_type=doc_type, pages=pages, number_symbol=f'{pages}-{doc_type}/BTCTU', **doc)
    file_doc(clerk, name, f['name'])
    clerk.post_json(f"{BODY}/files/{f['name']}/close", {}, headers=csrf(clerk))
    return f['name'], name


def back_date(app, name, years):
    """The file was closed ``years`` ago (retention is counted in years: no waiting in a test)."""
    conn, root = open_root(app)
    f = root['bodies'][HOST_CODE].records.files[name]
    f.closed_on = f.closed_on.replace(year=f.closed_on.year - years)
    conn.transaction_manager.commit()
    conn.close()


def test_plan_open_file_close(app, clerk, processor, archivist):
    entry = plan_entry(archivist, retention=10)
    assert entry == {'year': YEAR, 'code': 'TH.01', 'title': 'Hồ sơ tổng hợp', 'unit': 'TH', 'retention_years': 10}
    f = open_file(processor)                  # the processor of unit TH opens the file of its entry
    assert (f['code'], f['responsible'], f['state'], f['retention_years']) == ('TH.01', 'chuyenvien', 'open', 10)
    second = open_file(clerk)
    assert second['code'] == 'TH.01-2'
    a = new_document(clerk, doc_type='CV', pages=3, number_symbol='1-CV/BTCTU')
    b = new_document(clerk, doc_type='NQ', pages=4, number_symbol='2-NQ/BTCTU')
    file_doc(clerk, a, f['name'])
    file_doc(clerk, b, f['name'])
    shown = clerk.get(f"{BODY}/documents/{a}/records-file").json['file']
    assert shown['name'] == f['name']
    closed = processor.post_json(f"{BODY}/files/{f['name']}/close", {}, headers=csrf(processor)).json
    # closing: the file is kept as long as its longest-kept document (a Nghị quyết: permanent)
    assert closed['state'] == 'closed' and closed['retention_years'] is None and closed['due_on'] is None
    assert (closed['document_count'], closed['page_count']) == (2, 7)
    assert closed['documents'] == [a, b]
    assert closed['closed_on'] == clock.today().isoformat()
    conn, root = open_root(app)
    try:
        actions = [e['action'] for e in audit.entries(root, f'file:{HOST_CODE}:{f["name"]}')]
        assert actions == ['file_opened', 'document_filed', 'document_filed', 'file_closed']
        assert [e['action'] for e in audit.entries(root, f'doc:{a}')][-1] == 'filed'
        assert [e['action'] for e in audit.entries(root, f'records:{HOST_CODE}')] == ['plan_entry_added']
        rf = root['bodies'][HOST_CODE].records.files[f['name']]
        assert rf.document_names == [a, b] and rf.secret is False and rf.plan_entry == 'TH.01'
    finally:
        conn.close()


def test_archivist_sees_every_file_processor_only_theirs(app, clerk, processor, archivist):
    plan_entry(archivist, 'TH.01', unit='TH')
    plan_entry(archivist, 'HC.01', unit='HCLT')
    open_file(clerk, 'TH.01')
    hc = open_file(clerk, 'HC.01')
    assert len(archivist.get(f'{BODY}/files').json['items']) == 2
    assert [f['code'] for f in processor.get(f'{BODY}/files').json['items']] == ['TH.01']
    processor.get(f"{BODY}/files/{hc['name']}", status=404)
    open_file(processor, 'HC.01', status=409)           # not the processor's unit


def test_retention_must_come_from_the_list(archivist):
    res = archivist.post_json(f'{BODY}/file-plan', {'year': YEAR, 'code': 'X.1', 'title': 'X', 'retention': 7},
                              headers=csrf(archivist), status=400).json
    assert res['errors'][0]['code'] == 'retention_invalid'
    permanent = archivist.post_json(f'{BODY}/file-plan', {'year': YEAR, 'code': 'X.1', 'title': 'X',
                                                          'retention': 'permanent'}, headers=csrf(archivist),
                                    status=201).json
    assert permanent['retention_years'] is None


# -- filing: bad input, the same code on the page and in the API, nothing written ----------------

def _filing_page(c, doc, name, status, body=HOST_CODE):
    page = c.get(f'/bodies/{body}/documents/{doc}')
    form = page.forms['records-file']
    form['file'].force_value(name)
    return form.submit(status=status)


def test_filing_into_a_closed_file(app, clerk, archivist):
    name, _doc = closed_file(clerk, archivist)
    doc = new_document(clerk, number_symbol='9-CV/BTCTU')
    res = file_doc(clerk, doc, name, status=409)
    assert res['error'] == 'file_closed'
    page = _filing_page(clerk, doc, name, 409)
    assert 'data-code="file_closed"' in page.text
    assert clerk.get(f'{BODY}/documents/{doc}/records-file').json['file'] is None


def test_filing_into_a_file_of_another_body(app, clerk, other_clerk, archivist):
    plan_entry(archivist)
    f = open_file(clerk)
    other_doc = other_clerk.post_json(f'/api/v1/bodies/{OTHER}/documents', incoming(number_symbol='5-CV/BTCTU'),
                                      headers=csrf(other_clerk), status=201).json['id']
    res = file_doc(other_clerk, other_doc, f'{HOST_CODE}/{f["name"]}', status=409, body=OTHER)
    assert res['error'] == 'file_other_body'
    page = _filing_page(other_clerk, other_doc, f'{HOST_CODE}/{f["name"]}', 409, body=OTHER)
    assert 'data-code="file_other_body"' in page.text
    assert clerk.get(f"{BODY}/files/{f['name']}").json['documents'] == []


def test_a_document_belongs_to_one_file(app, clerk, archivist):
    plan_entry(archivist, 'A.1')
    plan_entry(archivist, 'B.1')
    a, b = open_file(clerk, 'A.1'), open_file(clerk, 'B.1')
    doc = new_document(clerk)
    file_doc(clerk, doc, a['name'])
    assert file_doc(clerk, doc, b['name'], status=409)['error'] == 'document_already_filed'
