"""Records files (hồ sơ), retention and disposition through the API, the pages and the command line:
the file plan, opening, filing from the document, closing (retention fixed and started), appraisal,
batches (select, approve, confirm, destroy with a signed protocol), and each refusal with its code,
the same in page and API, nothing half-marked."""
import io
import os

import pytest

from archive import audit, clock

from ..conftest import HOST_CODE, client, open_root
from ..helpers import add_main_pdf, incoming

BODY = f'/api/v1/bodies/{HOST_CODE}'
OTHER = '000.00.02.H01'
YEAR = clock.today().year


def csrf(c):
    return {'X-CSRF-Token': c.csrf}


@pytest.fixture
def archivist(app):
    return client(app, 'luutru')


def new_document(clerk, register=True, **over):
    """An incoming document of the clerk's body, registered (only a registered one may be filed)
    unless ``register`` is false."""
    values = incoming(**over)
    name = clerk.post_json(f'{BODY}/documents', values, headers=csrf(clerk), status=201).json['id']
    if register:
        register_document(clerk, name)
    return name


def register_document(clerk, doc, body=HOST_CODE):
    clerk.post_json(f'/api/v1/bodies/{body}/documents/{doc}/transitions/register', {}, headers=csrf(clerk))


def plan_entry(archivist, code='TH.01', retention=10, unit='TH', title='Hồ sơ tổng hợp'):
    return archivist.post_json(f'{BODY}/file-plan', {'year': YEAR, 'code': code, 'title': title,
                                                     'unit_code': unit, 'retention': retention},
                               headers=csrf(archivist), status=201).json


def open_file(c, code='TH.01', status=201):
    return c.post_json(f'{BODY}/files', {'year': YEAR, 'plan_entry': code}, headers=csrf(c), status=status).json


def file_doc(c, doc, name, status=200, body=HOST_CODE):
    return c.post_json(f'/api/v1/bodies/{body}/documents/{doc}/records-file', {'file': name},
                       headers=csrf(c), status=status).json


def closed_file(clerk, archivist, code='TH.01', retention=10, doc_type='CV', pages=2, pdf_text=None, **doc):
    """A closed file of one registered document (with a main PDF of ``pdf_text``, if given)."""
    plan_entry(archivist, code, retention)
    f = open_file(clerk, code)
    name = new_document(clerk, register=False, doc_type=doc_type, pages=pages,
                        number_symbol=f'{pages}-{doc_type}/BTCTU', **doc)
    if pdf_text is not None:
        add_main_pdf(clerk, f'{BODY}/documents/{name}', pdf_text)
    register_document(clerk, name)
    file_doc(clerk, name, f['name'])
    clerk.post_json(f"{BODY}/files/{f['name']}/close", {}, headers=csrf(clerk))
    return f['name'], name


def back_date(app, name, years):
    """The file was closed ``years`` ago (retention is counted in years: no waiting in a test)."""
    conn, root = open_root(app)
    records = root['bodies'][HOST_CODE].records
    f = records.files[name]
    old_due = f.due_on
    f.closed_on = f.closed_on.replace(year=f.closed_on.year - years)
    records.index(f, old_due)
    conn.transaction_manager.commit()
    conn.close()


def test_plan_open_file_close(app, clerk, processor, archivist):
    entry = plan_entry(archivist, retention=10)
    assert entry == {'year': YEAR, 'code': 'TH.01', 'title': 'Hồ sơ tổng hợp', 'unit': 'TH', 'retention_years': 10}
    f = open_file(processor)                  # the processor of unit TH opens the file of its entry
    assert (f['code'], f['responsible'], f['state'], f['retention_years']) == ('TH.01', 'chuyenvien', 'open', 10)
    second = open_file(clerk)
    assert second['code'] == 'TH.01-2'
    a = new_document(clerk, doc_type='CV', pages=3, number_symbol='1-CV/BTCTU', holder_unit='TH')
    b = new_document(clerk, doc_type='NQ', pages=4, number_symbol='2-NQ/BTCTU')
    file_doc(processor, a, f['name'])         # the processor files what their unit holds
    file_doc(processor, b, f['name'], status=403)    # ...not what they may not see
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


def test_closing_says_what_the_retention_was_taken_from(app, clerk, archivist):
    """The file page and the journal's close entry name the basis: the plan entry when its period
    is the longest (a tie included), else the document type whose default is longer."""
    by_entry, _doc = closed_file(clerk, archivist, 'TH.01', retention=20, doc_type='CV')    # CV: 10 years
    by_type, nq = closed_file(clerk, archivist, 'TH.02', retention=10, doc_type='NQ')       # NQ: permanent
    assert clerk.get(f'{BODY}/files/{by_entry}').json['retention_basis'] == {
        'source': 'plan_entry', 'plan_entry': 'TH.01'}
    assert clerk.get(f'{BODY}/files/{by_type}').json['retention_basis'] == {
        'source': 'doc_type', 'doc_type': 'NQ', 'document': nq}
    conn, root = open_root(app)
    try:
        closes = [audit.entries(root, f'file:{HOST_CODE}:{name}', ('file_closed',))[0]['details']
                  for name in (by_entry, by_type)]
    finally:
        conn.close()
    assert [c['retention_basis']['source'] for c in closes] == ['plan_entry', 'doc_type']
    assert (closes[1]['retention_years'], closes[1]['retention_basis']['doc_type']) == (None, 'NQ')

    def shown(name, **query):
        page = clerk.get(f'/bodies/{HOST_CODE}/records/file/{name}', params=query).html
        return ' '.join(page.select_one('td[data-retention-basis]').get_text().split())
    assert shown(by_entry) == '20 năm · theo mục TH.01 của danh mục hồ sơ'
    assert shown(by_type) == 'Vĩnh viễn · theo thời hạn mặc định của loại văn bản Nghị quyết (NQ)'
    plan_entry(archivist, 'TH.03', retention=5)
    still_open = open_file(clerk, 'TH.03')['name']
    assert shown(still_open).startswith('5 năm · theo mục TH.03 của danh mục hồ sơ (khi đóng hồ sơ')
    assert shown(by_type, _LOCALE_='en') == 'Permanent · the default period of the document type Nghị quyết (NQ)'


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
    """What the document page's filing form posts (the form is shown only when the body has an
    open file to pick; the page's route answers a forced value the same either way)."""
    return c.post(f'/bodies/{body}/documents/{doc}/file-into', {'csrf_token': c.csrf, 'file': name}, status=status)


def test_filing_into_a_closed_file(app, clerk, archivist):
    name, _doc = closed_file(clerk, archivist)
    doc = new_document(clerk, number_symbol='9-CV/BTCTU')
    res = file_doc(clerk, doc, name, status=409)
    assert res['error'] == 'file_closed'
    page = _filing_page(clerk, doc, name, 409)
    assert 'data-code="file_closed"' in page.text
    assert clerk.get(f'{BODY}/documents/{doc}/records-file').json['file'] is None


def test_only_a_document_that_may_be_filed_goes_into_a_file(app, clerk, archivist):
    """An incoming document only arrived (not registered), a refused one, an outgoing draft: each
    refused with one code on the page and in the API, the page's box saying why with no form; once
    registered the same document is filed."""
    plan_entry(archivist)
    f = open_file(clerk)
    arrived = new_document(clerk, register=False, number_symbol='11-CV/BTCTU')
    refused = new_document(clerk, number_symbol='12-CV/BTCTU')
    clerk.post_json(f'{BODY}/documents/{refused}/transitions/refuse', {'reason': 'Gửi nhầm nơi nhận'},
                    headers=csrf(clerk))
    draft = clerk.post_json(f'{BODY}/documents', {
        'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'CV', 'abstract': 'Dự thảo công văn',
        'signer_name': 'Trần Văn Lãnh Đạo'}, headers=csrf(clerk), status=201).json['id']
    for doc, state in ((arrived, 'Đã đến'), (refused, 'Từ chối nhận / trả lại'), (draft, 'Dự thảo')):
        refusal = file_doc(clerk, doc, f['name'], status=409)
        assert refusal['error'] == 'document_not_fileable'
        assert f'trạng thái "{state}"' in refusal['message']        # why this one: its state, named
        page = _filing_page(clerk, doc, f['name'], 409)
        assert page.html.select_one('ul.errors li')['data-code'] == 'document_not_fileable'
        assert f'trạng thái "{state}"' in page.html.select_one('ul.errors li').get_text()
        assert clerk.get(f'{BODY}/documents/{doc}/records-file').json['file'] is None
        box = clerk.get(f'/bodies/{HOST_CODE}/documents/{doc}').html.select_one('section.records-file')
        assert box.select_one('form#records-file') is None
        assert 'đã vào sổ' in box.select_one('[data-hint=not-fileable]').get_text()
    english = clerk.get(f'/bodies/{HOST_CODE}/documents/{arrived}?_LOCALE_=en').html
    assert 'registered' in english.select_one('[data-hint=not-fileable]').get_text()
    assert '"Arrived"' in english.select_one('[data-hint=not-fileable]').get_text()   # the state's title translated
    conn, root = open_root(app)
    try:
        assert [e['action'] for e in audit.entries(root, f'file:{HOST_CODE}:{f["name"]}')] == ['file_opened']
    finally:
        conn.close()
    register_document(clerk, arrived)
    assert file_doc(clerk, arrived, f['name'])['file']['documents'] == [arrived]


def test_filing_into_a_file_of_another_body(app, clerk, other_clerk, archivist):
    plan_entry(archivist)
    f = open_file(clerk)
    other_doc = other_clerk.post_json(f'/api/v1/bodies/{OTHER}/documents', incoming(number_symbol='5-CV/BTCTU'),
                                      headers=csrf(other_clerk), status=201).json['id']
    register_document(other_clerk, other_doc, OTHER)
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


# -- batches ----------------------------------------------------------------------------------

def batch_action(c, batch, action, data=None, status=200):
    return c.post_json(f'{BODY}/batches/{batch}/{action}', data or {}, headers=csrf(c), status=status).json


def export_batch(app, c, batch):
    """The export asked for through the API (a job, written in the request), then one round of the
    worker that does it; the batch as the API then shows it."""
    from archive.archival import export_jobs
    asked = batch_action(c, batch, 'export')
    assert asked['export_job']['state'] == 'queued' and asked['state'] in ('approved', 'exported')
    assert export_jobs.run_pending(app.registry) >= 1
    return c.get(f'{BODY}/batches/{batch}').json


def approved_batch(clerk, archivist, leader, kind='transfer', **closed):
    name, doc = closed_file(clerk, archivist, **closed)
    batch = archivist.post_json(f'{BODY}/batches', {'kind': kind, 'files': [name]}, headers=csrf(archivist),
                                status=201).json
    assert batch['state'] == 'draft' and batch['files'] == [name]
    batch_action(archivist, batch['name'], 'submit')
    batch_action(archivist, batch['name'], 'approve', status=403)       # the leader approves
    assert batch_action(leader, batch['name'], 'approve')['state'] == 'approved'
    return batch['name'], name, doc


def mark_exported(app, batch):
    """What the export action does once the transfer package is written and valid (the package
    writer is the transfer part's; its test is wired at the merge)."""
    from archive.archival import batches as B
    conn, root = open_root(app)
    records = root['bodies'][HOST_CODE].records
    B.record_export(root, records.batches[batch], '/srv/nop-luu/pkg', {'files': 1, 'documents': 1},
                    root['users']['luutru'])
    conn.transaction_manager.commit()
    conn.close()


def test_transfer_batch_is_marked_transferred_only_on_confirmation(app, clerk, archivist, leader):
    batch, name, _doc = approved_batch(clerk, archivist, leader)
    res = batch_action(archivist, batch, 'confirm', {'reference': 'BB-12', 'date': clock.today().isoformat()},
                       status=409)
    assert res['error'] == 'batch_not_exported'
    mark_exported(app, batch)
    desk = archivist.get('/api/v1/desk').json['archival']
    assert [b['name'] for b in desk['awaiting_confirmation']] == [batch]
    page = archivist.get('/desk')
    assert f'data-batch="{batch}"' in page.text
    done = batch_action(archivist, batch, 'confirm', {'reference': 'BB-12/LTLS', 'date': clock.today().isoformat()})
    assert done['state'] == 'transferred' and done['confirmed']['reference'] == 'BB-12/LTLS'
    f = archivist.get(f'{BODY}/files/{name}').json
    assert f['state'] == 'transferred' and f['batch'] is None
    assert archivist.get('/api/v1/desk').json['archival']['awaiting_confirmation'] == []


def test_second_export_of_a_transferred_batch(app, clerk, archivist, leader):
    batch, _name, _doc = approved_batch(clerk, archivist, leader)
    mark_exported(app, batch)
    batch_action(archivist, batch, 'confirm', {'reference': 'BB-1', 'date': clock.today().isoformat()})
    assert batch_action(archivist, batch, 'export', status=409)['error'] == 'batch_transferred'
    page = archivist.post(f'/bodies/{HOST_CODE}/records/batch/{batch}/export', {'csrf_token': archivist.csrf},
                          status=409)
    assert 'data-code="batch_transferred"' in page.text
    again = batch_action(archivist, batch, 'confirm', {'reference': 'BB-2', 'date': clock.today().isoformat()},
                         status=409)
    assert again['error'] == 'batch_already_transferred'
    assert archivist.get(f'{BODY}/batches/{batch}').json['confirmed']['reference'] == 'BB-1'


def test_confirmation_for_an_unknown_batch(app, archivist, tmp_path):
    res = batch_action(archivist, '999', 'confirm', {'reference': 'X', 'date': '2026-01-02'}, status=404)
    assert res['error'] == 'batch_unknown'
    page = archivist.post(f'/bodies/{HOST_CODE}/records/batch/999/confirm',
                          {'csrf_token': archivist.csrf, 'reference': 'X', 'date': '2026-01-02'}, status=404)
    assert 'data-code="batch_unknown"' in page.text


def test_confirmation_with_an_uploaded_receipt(app, clerk, archivist, leader):
    from ..helpers import pdf
    batch, _name, _doc = approved_batch(clerk, archivist, leader)
    mark_exported(app, batch)
    page = archivist.get(f'/bodies/{HOST_CODE}/records/batch/{batch}')
    form = page.forms['batch-confirm']
    form['date'] = clock.today().isoformat()
    form['receipt'] = ('bien-nhan.pdf', pdf('Bien nhan'))
    form.submit(status=303)
    shown = archivist.get(f'{BODY}/batches/{batch}').json
    assert shown['state'] == 'transferred' and shown['confirmed']['receipt'] == 'bien-nhan.pdf'
    assert archivist.get(f'/bodies/{HOST_CODE}/records/batch/{batch}/receipt').body == pdf('Bien nhan')


def _secret_file(app, clerk, archivist):
    conn, root = open_root(app)
    secret = next(iter(root['bodies'][HOST_CODE].documents.secret))
    conn.close()
    plan_entry(archivist, 'M.1')
    f = open_file(clerk, 'M.1')
    register_document(clerk, secret)
    file_doc(clerk, secret, f['name'])
    clerk.post_json(f"{BODY}/files/{f['name']}/close", {}, headers=csrf(clerk))
    return f['name']


def test_a_secret_file_is_refused_from_a_transfer_batch(app, clerk, archivist):
    name = _secret_file(app, clerk, archivist)
    assert archivist.get(f'{BODY}/files/{name}').json['secret'] is True
    res = archivist.post_json(f'{BODY}/batches', {'kind': 'transfer', 'files': [name]}, headers=csrf(archivist),
                              status=400).json
    assert [e['code'] for e in res['errors']] == ['batch_secret_file']
    page = archivist.post(f'/bodies/{HOST_CODE}/records/new-batch',
                          {'csrf_token': archivist.csrf, 'kind': 'transfer', 'files': name}, status=400)
    assert 'data-code="batch_secret_file"' in page.text
    assert archivist.get(f'{BODY}/batches').json['items'] == []
    assert archivist.get(f'{BODY}/files/{name}').json['batch'] is None
    # the setting allows it (the package then carries it encrypted for the archive's certificate)
    app.registry.archive_settings.transfer_secret = True
    batch = archivist.post_json(f'{BODY}/batches', {'kind': 'transfer', 'files': [name]}, headers=csrf(archivist),
                                status=201).json['name']
    batch_action(archivist, batch, 'submit')
    batch_action(client(app, 'lanhdao'), batch, 'approve')
    # the setting turned off again: the export is refused before any package is written
    app.registry.archive_settings.transfer_secret = False
    assert batch_action(archivist, batch, 'export', status=409)['error'] == 'batch_secret_file'
    assert archivist.get(f'{BODY}/batches/{batch}').json['state'] == 'approved'
    assert batch_action(archivist, batch, 'nonsense', status=404)['error'] == 'batch_action_unknown'


def test_a_secret_file_exported_encrypted_for_the_archive_certificate(app, clerk, archivist, tmp_path):
    """archive.transfer_secret = true and archive.transfer_certificate name the archive's
    certificate: the batch's Mật document goes into the package as stored (ciphertext), its content
    key wrapped for that certificate; the archive's key opens it back to the original bytes."""
    import base64
    import json
    import zipfile

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from archive.archival import sip
    from archive.services.secrecy import read
    from archive.signing import ca, secrecy
    authority = ca.make_ca('Lưu trữ lịch sử (TEST ONLY)', algorithm='ec-p256')
    archive_key = ca.new_private_key('rsa2048')
    settings = app.registry.archive_settings
    settings.transfer_secret, settings.transfer_dir = True, str(tmp_path / 'nop-luu')
    settings.transfer_certificate = ca.issue(authority, archive_key.public_key(), 'C=VN,O=Luu tru,CN=Luu tru',
                                             ca.ENCRYPTION)
    name = _secret_file(app, clerk, archivist)
    batch = archivist.post_json(f'{BODY}/batches', {'kind': 'transfer', 'files': [name]}, headers=csrf(archivist),
                                status=201).json['name']
    batch_action(archivist, batch, 'submit')
    batch_action(client(app, 'lanhdao'), batch, 'approve')
    done = export_batch(app, archivist, batch)
    assert done['state'] == 'exported'
    path = done['exported']['path']
    assert sip.validate(path) == []
    conn, root = open_root(app)
    doc = root['bodies'][HOST_CODE].documents[next(iter(root['bodies'][HOST_CODE].documents.secret))]
    f = doc.file_list()[0]
    original = read(root, doc, f, settings, 'test', 'test')
    conn.transaction_manager.abort()            # the read was journaled: not kept
    conn.close()
    with zipfile.ZipFile(path) as zf:
        base = next(n for n in zf.namelist() if n.endswith('/content-key.json')).rsplit('/', 1)[0] + '/'
        sealed = zf.read(next(n for n in zf.namelist() if n.startswith(base) and n.endswith('.aesgcm')))
        key = json.loads(zf.read(base + 'content-key.json'))
    assert original not in sealed
    h = hashes.SHA256()
    content_key = archive_key.decrypt(base64.b64decode(key['key']['data']),
                                      padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None))
    out = io.BytesIO()
    secrecy.PROVIDER.open(content_key, io.BytesIO(sealed), out, key['aad'].encode())
    assert out.getvalue() == original


# -- appraisal and destruction -----------------------------------------------------------------

def test_destruction_leaves_a_signed_protocol_and_the_metadata(app, clerk, archivist, leader):
    from pyhanko.pdf_utils.reader import PdfFileReader
    name, doc = closed_file(clerk, archivist, retention=10, doc_type='CV', pdf_text='Cong van')
    early = archivist.post_json(f'{BODY}/batches', {'kind': 'destroy', 'files': [name]}, headers=csrf(archivist),
                                status=400).json
    assert early['errors'][0]['code'] == 'file_not_due'
    back_date(app, name, 11)
    assert [f['name'] for f in archivist.get(f'{BODY}/appraisal').json['items']] == [name]
    assert [f['name'] for f in archivist.get('/api/v1/desk').json['archival']['due']] == [name]
    assert f'data-file="{name}"' in archivist.get(f'/bodies/{HOST_CODE}/records/appraisal').text
    batch = archivist.post_json(f'{BODY}/batches', {'kind': 'destroy', 'due': True}, headers=csrf(archivist),
                                status=201).json['name']
    batch_action(archivist, batch, 'submit')
    batch_action(leader, batch, 'approve')
    settings = app.registry.archive_settings
    store, settings.keystore = settings.keystore, None       # no key to sign the protocol with...
    try:
        refused = batch_action(archivist, batch, 'destroy', status=409)
    finally:
        settings.keystore = store
    assert refused['error'] == 'destruction_not_signed'      # ...nothing destroyed
    assert archivist.get(f'{BODY}/batches/{batch}').json['state'] == 'approved'
    assert len(clerk.get(f'{BODY}/documents/{doc}').json['files']) == 1
    done = batch_action(archivist, batch, 'destroy')
    assert done['state'] == 'destroyed'
    protocol = archivist.get(f'/bodies/{HOST_CODE}/records/batch/{batch}/protocol').body
    signatures = PdfFileReader(io.BytesIO(protocol)).embedded_signatures
    assert [s.field_name for s in signatures] == ['ChuKyToChuc']
    assert HOST_CODE in signatures[0].signer_cert.subject.human_friendly
    shown = clerk.get(f'{BODY}/documents/{doc}').json
    assert shown['abstract'] and shown['files'] == []           # metadata kept, content gone
    f = archivist.get(f'{BODY}/files/{name}').json
    assert f['state'] == 'destroyed' and f['document_count'] == 1
    assert archivist.get(f'{BODY}/appraisal').json['items'] == []       # out of the index of due files
    conn, root = open_root(app)
    try:
        assert (HOST_CODE, doc) in root.exchange.destroyed        # archive-storage verify-destroyed sees it
        assert audit.entries(root, f'doc:{doc}')[-1]['action'] == 'destroyed_retention'
    finally:
        conn.close()


def test_a_kept_file_is_not_destroyed(app, clerk, archivist):
    name, _doc = closed_file(clerk, archivist, retention=5, doc_type='CV', pages=1)
    conn, root = open_root(app)      # a Công văn's default is 10 years: the file is kept 10
    assert root['bodies'][HOST_CODE].records.files[name].retention_years == 10
    conn.close()
    back_date(app, name, 12)
    archivist.post_json(f'{BODY}/files/{name}/keep', {'reason': 'Có giá trị nghiên cứu'}, headers=csrf(archivist))
    res = archivist.post_json(f'{BODY}/batches', {'kind': 'destroy', 'files': [name]}, headers=csrf(archivist),
                              status=400).json
    assert res['errors'][0]['code'] == 'file_kept'
    assert [f['name'] for f in archivist.get(f'{BODY}/appraisal').json['items']] == [name]   # shown, kept
    assert archivist.get('/api/v1/desk').json['archival']['due'] == []                      # no work left


# -- the command line (in this process: its FileStorage is the test's own, once the app is closed) --

def _ini_of(app, tmp_path):
    lines = ['[app:main]', 'use = egg:party-archive']
    for key, value in app.registry.settings.items():
        if key.startswith(('archive.', 'zodbconn.', 'pyramid.default')) and isinstance(value, str):
            lines.append(f'{key} = ' + value.replace('%', '%%').replace('\n', '\n    '))
    path = tmp_path / 'transfer.ini'
    path.write_text('\n'.join(lines) + '\n', encoding='utf-8')
    return str(path)


def test_archive_transfer_confirm(app, clerk, archivist, leader, tmp_path, monkeypatch, capsys):
    from archive.background import NO_THREADS_ENV
    from archive.scripts import transfer

    from ..conftest import close_app
    batch, name, _doc = approved_batch(clerk, archivist, leader)
    mark_exported(app, batch)
    ini = _ini_of(app, tmp_path)
    close_app(app)
    monkeypatch.setenv(NO_THREADS_ENV, '1')
    today = clock.today().isoformat()

    def run(*args):
        with pytest.raises(SystemExit) as exc:
            transfer.main([ini, 'confirm', *args])
        return exc.value.code, capsys.readouterr().err

    code, err = run(f'{HOST_CODE}/999', '--reference', 'BB-1', '--date', today, '--by', 'luutru')
    assert code == 2 and '[batch_unknown]' in err
    code, err = run(f'{HOST_CODE}/{batch}', '--reference', 'BB-1', '--date', today, '--by', 'vanthu')
    assert code == 2 and '[archivist_unknown]' in err
    transfer.main([ini, 'confirm', f'{HOST_CODE}/{batch}', '--reference', 'BB-1', '--date', today, '--by', 'luutru'])
    assert 'transferred' in capsys.readouterr().out
    code, err = run(f'{HOST_CODE}-nop-luu-{batch}', '--reference', 'BB-2', '--date', today, '--by', 'luutru')
    assert code == 2 and '[batch_already_transferred]' in err


# -- the API as api/openapi.yaml describes it ----------------------------------------------------

from .test_openapi import conforms, spec  # noqa: E402,F401 - the spec fixture and its checker


def test_records_api_conforms_to_the_spec(app, spec, clerk, archivist, leader):  # noqa: F811
    conforms(spec, archivist.post_json(f'{BODY}/file-plan', {'year': YEAR, 'code': 'TH.01', 'title': 'Hồ sơ',
                                                             'unit_code': 'TH', 'retention': 10},
                                       headers=csrf(archivist), status=201))
    conforms(spec, archivist.get(f'{BODY}/file-plan?year={YEAR}'))
    f = conforms(spec, clerk.post_json(f'{BODY}/files', {'year': YEAR, 'plan_entry': 'TH.01'},
                                       headers=csrf(clerk), status=201)).json
    doc = new_document(clerk, pages=2)
    conforms(spec, clerk.post_json(f'{BODY}/documents/{doc}/records-file', {'file': f['name']},
                                   headers=csrf(clerk)))
    conforms(spec, clerk.get(f'{BODY}/documents/{doc}/records-file'))
    conforms(spec, clerk.post_json(f"{BODY}/files/{f['name']}/close", {}, headers=csrf(clerk)))
    conforms(spec, clerk.post_json(f'{BODY}/documents/{doc}/records-file', {'file': f['name']},
                                   headers=csrf(clerk), status=409))
    conforms(spec, clerk.get(f'{BODY}/files/nope', status=404))
    conforms(spec, archivist.get(f'{BODY}/files?year={YEAR}'))
    conforms(spec, archivist.get(f"{BODY}/files/{f['name']}"))
    conforms(spec, archivist.get(f'{BODY}/appraisal'))
    batch = conforms(spec, archivist.post_json(f'{BODY}/batches', {'kind': 'transfer', 'year': YEAR},
                                               headers=csrf(archivist), status=201)).json
    conforms(spec, archivist.post_json(f"{BODY}/batches/{batch['name']}/submit", {}, headers=csrf(archivist)))
    conforms(spec, leader.get(f"{BODY}/batches/{batch['name']}"))
    conforms(spec, leader.get('/api/v1/desk'))
    conforms(spec, archivist.get('/api/v1/desk'))
    conforms(spec, leader.post_json(f"{BODY}/batches/{batch['name']}/approve", {}, headers=csrf(leader)))
    conforms(spec, archivist.get(f'{BODY}/batches'))
    conforms(spec, archivist.post_json(f"{BODY}/batches/{batch['name']}/confirm",
                                       {'reference': 'X', 'date': '2026-01-02'}, headers=csrf(archivist), status=409))
    conforms(spec, archivist.post_json(f'{BODY}/batches/77/confirm', {'reference': 'X', 'date': '2026-01-02'},
                                       headers=csrf(archivist), status=404))


# -- the pages ------------------------------------------------------------------------------------

RECORDS = f'/bodies/{HOST_CODE}/records'


def test_pages_plan_open_file_close_and_batch(app, clerk, archivist, leader):
    """The whole way through the pages: the plan's form, opening, filing from the document page,
    closing, the selection, the batch page with its actions."""
    page = archivist.get(RECORDS)
    assert 'Danh mục hồ sơ' in page.text and f'href="http://localhost{RECORDS}/"' in archivist.get('/desk').text
    form = page.forms['plan-entry']
    form['code'], form['title'], form['unit_code'], form['retention'] = 'TH.02', 'Hồ sơ hội nghị', 'TH', '20'
    page = form.submit(status=303).follow()
    assert 'data-entry="TH.02"' in page.text and '20 năm' in page.text
    file_page = page.forms['open-TH.02'].submit(status=303).follow()
    assert 'TH.02' in file_page.text and 'Đang mở' in file_page.text
    doc = new_document(clerk, pages=5, doc_type='BC', number_symbol='8-BC/BTCTU')
    doc_page = clerk.get(f'/bodies/{HOST_CODE}/documents/{doc}')
    doc_page.forms['records-file'].submit(status=303)
    doc_page = clerk.get(f'/bodies/{HOST_CODE}/documents/{doc}')
    assert 'records-file' not in doc_page.forms and 'TH.02' in doc_page.text
    file_url = file_page.request.path
    file_page = archivist.get(file_url)
    assert f'data-document="{doc}"' in file_page.text
    refused = file_page.forms['close-file'].submit(status=400)     # closing is for good: asked first
    assert refused.html.select_one('ul.errors li')['data-code'] == 'file_close_unconfirmed'
    assert 'data-state="open"' in archivist.get(file_url).text
    form = file_page.forms['close-file']
    assert form.fields['confirm'][0].attrs.get('required') is not None
    form['confirm'] = True
    file_page = form.submit(status=303).follow()
    assert 'data-state="closed"' in file_page.text and '20 năm' in file_page.text
    [notice] = file_page.html.select('p.flash')                 # said, not only seen in the state
    assert notice.get_text().strip() == f'Đã đóng hồ sơ TH.02 · Hồ sơ hội nghị ({YEAR})'
    select = archivist.get(f'{RECORDS}/select', {'kind': 'transfer', 'year': str(YEAR)})
    batch_page = select.forms['new-batch'].submit(status=303).follow()
    assert 'data-state="draft"' in batch_page.text
    batch_page = batch_page.forms['batch-submit'].submit(status=303).follow()
    assert 'data-state="submitted"' in batch_page.text and 'batch-approve' not in batch_page.forms
    leader_page = leader.get(batch_page.request.path)
    assert 'batch-approve' in leader_page.forms
    assert 'data-state="approved"' in leader_page.forms['batch-approve'].submit(status=303).follow().text
    assert 'batch-export' in archivist.get(batch_page.request.path).forms
    english = archivist.get(RECORDS, {'_LOCALE_': 'en'})
    assert 'File plan' in english.text and 'Danh mục hồ sơ' not in english.text


def test_appraisal_page_and_keep(app, clerk, archivist):
    name, _doc = closed_file(clerk, archivist, retention=10, doc_type='CV')
    assert f'data-file="{name}"' not in archivist.get(f'{RECORDS}/appraisal').text
    back_date(app, name, 10)
    page = archivist.get(f'{RECORDS}/appraisal')
    assert f'data-file="{name}"' in page.text
    file_page = archivist.get(f'{RECORDS}/file/{name}')
    form = file_page.forms['keep-file']
    form['reason'] = 'Có giá trị lịch sử'
    assert 'Có giá trị lịch sử' in form.submit(status=303).follow().text
    page = archivist.get(f'{RECORDS}/select', {'kind': 'destroy'})
    assert f'data-file="{name}"' not in page.text         # kept: not offered for destruction


def test_records_pages_are_the_bodys_own(app, clerk, other_clerk, archivist):
    plan_entry(archivist)
    f = open_file(clerk)
    other_clerk.get(f'{RECORDS}/file/{f["name"]}', status=403)
    other_clerk.get(RECORDS, status=403)
    clerk.get(f'{RECORDS}/batch/1', status=403)         # batches: archivists and leaders
    res = archivist.get(f'{RECORDS}/file/99', status=404)
    assert 'data-code="file_unknown"' in res.text


def test_evolve_gives_an_existing_body_its_records(app):
    from archive.evolve import evolve
    conn, root = open_root(app)
    body = root['bodies'][OTHER]
    del body.records
    root.evolved.remove('0009-records-files')
    conn.transaction_manager.commit()
    assert evolve(root) == ['0009-records-files']
    conn.transaction_manager.commit()
    assert body.records.__parent__ is body and len(body.records.files) == 0 and body['records'] is body.records
    conn.close()


BAD_BATCHES = [       # (input, status, code): one app for the table, nothing made by any of them
    ({'kind': ['transfer'], 'files': []}, 400, 'batch_kind_invalid'),
    ({'kind': 'transfer', 'files': 'TH.01'}, 400, 'required'),
    ({'kind': 'transfer', 'files': []}, 400, 'batch_empty'),
    ({'kind': 'transfer', 'files': ['404']}, 404, 'file_unknown'),
    ({'kind': 'transfer', 'year': 'MMXXVI'}, 400, 'year_invalid'),
    ({'kind': 'transfer', 'files': [], 'criteria': ['x']}, 400, 'batch_empty'),
]


def test_bad_batch_input(app, archivist):
    for data, status, code in BAD_BATCHES:
        res = archivist.post_json(f'{BODY}/batches', data, headers=csrf(archivist), status=status).json
        assert code in [res.get('error')] + [e['code'] for e in res.get('errors', [])], data
    assert archivist.get(f'{BODY}/batches').json['items'] == []


def transfer_batch_of(clerk, archivist, leader, letters):
    """An approved transfer batch of a new file (plan entry TH.01) holding ``letters``, each
    ``(number and symbol, channel, with a PDF)``; returns the batch and the documents' ids."""
    f = open_file(clerk, 'TH.01')
    docs = []
    for number_symbol, channel, with_pdf in letters:
        doc = new_document(clerk, register=False, number_symbol=number_symbol, channel=channel)
        if with_pdf:
            add_main_pdf(clerk, f'{BODY}/documents/{doc}', f'Cong van {number_symbol}')
        register_document(clerk, doc)
        file_doc(clerk, doc, f['name'])
        docs.append(doc)
    clerk.post_json(f"{BODY}/files/{f['name']}/close", {}, headers=csrf(clerk))
    batch = archivist.post_json(f'{BODY}/batches', {'kind': 'transfer', 'files': [f['name']]},
                                headers=csrf(archivist), status=201).json['name']
    batch_action(archivist, batch, 'submit')
    batch_action(leader, batch, 'approve')
    return batch, docs


def approved_batch_with_a_pdf(app):
    """An approved transfer batch of one closed file holding one document with its PDF."""
    clerk, archivist, leader = (client(app, login) for login in ('vanthu', 'luutru', 'lanhdao'))
    plan_entry(archivist, 'TH.01', 10)
    batch, (doc,) = transfer_batch_of(clerk, archivist, leader, [('5-CV/BTCTU', 'electronic', True)])
    return batch, doc


def test_archive_transfer_export_validate_confirm(tmp_path, monkeypatch, capsys):
    """archive-transfer export|validate|confirm: the batch's package written (wrapped as a bag
    too with --bag), validated and the batch marked by the one path the page's export job takes;
    validate needs no database and names a damaged package; a second export is refused."""
    from archive.background import NO_THREADS_ENV
    from archive.scripts import transfer

    from ..conftest import base_settings, close_app, file_uri, make_app
    app = make_app(base_settings(tmp_path, file_uri(tmp_path), **{'archive.transfer_dir': str(tmp_path / 'nop-luu')}))
    try:
        batch, _doc = approved_batch_with_a_pdf(app)
        ini = _ini_of(app, tmp_path)
    finally:
        close_app(app)
    monkeypatch.setenv(NO_THREADS_ENV, '1')
    transfer.main([ini, 'export', f'{HOST_CODE}/{batch}', '--by', 'luutru', '--bag'])
    captured = capsys.readouterr()
    path = captured.out.split('exported: ')[1].split()[0]
    bag = captured.out.split('bag: ')[1].strip()
    assert path.endswith('.zip') and bag.endswith('.bag') and '1/1' in captured.err
    assert os.path.isfile(os.path.join(bag, 'data', os.path.basename(path)))
    with pytest.raises(SystemExit) as exc:
        transfer.main([ini, 'validate', path, bag])
    assert exc.value.code == 0 and capsys.readouterr().out.count('hợp lệ (valid)') == 2
    damaged = str(tmp_path / 'damaged.zip')
    with open(path, 'rb') as f, open(damaged, 'wb') as out:
        out.write(f.read()[:-10])
    with pytest.raises(SystemExit) as exc:
        transfer.main([ini, 'validate', damaged])
    assert exc.value.code == transfer.EXIT_INVALID and 'not_a_zip' in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        transfer.main([ini, 'export', f'{HOST_CODE}/{batch}', '--by', 'luutru'])
    assert exc.value.code == 2 and '[transfer_package_exists]' in capsys.readouterr().err
    transfer.main([ini, 'confirm', f'{HOST_CODE}/{batch}', '--reference', 'BB-9',
                   '--date', clock.today().isoformat(), '--by', 'luutru'])
    assert 'transferred' in capsys.readouterr().out


def test_a_batch_exports_a_valid_package_and_is_transferred_on_confirmation(tmp_path):
    """The whole disposition with the real package writer (archival.sip): export writes the E-ARK
    SIP into archive.transfer_dir, validates it (eark-validator, our listing) and only then marks
    the batch exported; the signed original is inside bit-exact; confirmation marks it transferred."""
    import os
    import zipfile

    from archive.archival import sip

    from ..conftest import base_settings, close_app, file_uri, make_app
    app = make_app(base_settings(tmp_path, file_uri(tmp_path), **{'archive.transfer_dir': str(tmp_path / 'nop-luu')}))
    try:
        batch, doc = approved_batch_with_a_pdf(app)
        archivist = client(app, 'luutru')
        done = export_batch(app, archivist, batch)
        assert done['state'] == 'exported' and done['export_job']['state'] == 'done'
        path = done['exported']['path']
        assert path.startswith(str(tmp_path / 'nop-luu')) and os.path.isfile(path)
        assert sip.validate(path) == []
        conn, root = open_root(app)
        stored = root['bodies'][HOST_CODE].documents[doc].file_list()[0]
        with stored.blob.open('r') as f:
            original = f.read()
        conn.close()
        with zipfile.ZipFile(path) as z:
            inside = [z.read(n) for n in z.namelist() if '/representations/' in n and n.endswith('.pdf')]
        assert original in inside                                   # bit-exact
        assert batch_action(archivist, batch, 'export', status=409)['error']     # never twice
        confirmed = batch_action(archivist, batch, 'confirm', {'reference': 'BB-7', 'date': clock.today().isoformat()})
        assert confirmed['state'] == 'transferred'
    finally:
        close_app(app)


def test_the_export_runs_as_a_job_the_page_shows_and_refreshes(tmp_path):
    """The page asks for the export: a job written in the request (nothing exported yet, the page
    refreshes itself and shows it waiting); one round of the worker does it; the page then shows
    it done, the batch exported; asking while one waits is refused."""
    from archive.archival import export_jobs

    from ..conftest import base_settings, close_app, file_uri, make_app
    app = make_app(base_settings(tmp_path, file_uri(tmp_path), **{'archive.transfer_dir': str(tmp_path / 'nop-luu')}))
    try:
        batch, _doc = approved_batch_with_a_pdf(app)
        archivist = client(app, 'luutru')
        url = f'/bodies/{HOST_CODE}/records/batch/{batch}'
        archivist.post(f'{url}/export', {'csrf_token': archivist.csrf}, status=303)
        page = archivist.get(url)
        assert 'data-export-job="queued"' in page.text and page.headers['Refresh'] == '5'
        assert 'id="batch-export"' not in page.text                        # not asked for twice
        assert batch_action(archivist, batch, 'export', status=409)['error'] == 'batch_export_running'
        assert archivist.get(f'{BODY}/batches/{batch}').json['state'] == 'approved'
        assert export_jobs.run_pending(app.registry) == 1
        page = archivist.get(url)
        assert 'data-export-job="done"' in page.text and 'data-done="1" data-total="1"' in page.text
        assert 'Refresh' not in page.headers and 'data-state="exported"' in page.text
        assert 'id="batch-export"' not in page.text and 'id="batch-confirm"' in page.text  # made: not offered again
        assert export_jobs.run_pending(app.registry) == 0                  # nothing left to do
    finally:
        close_app(app)


def test_a_failed_export_is_shown_with_its_progress_and_resumes_when_asked_again(tmp_path, monkeypatch):
    """A damaged blob stops the job at its document: the page shows the failure (code, message)
    and how far it got (recorded as it went); the blob repaired, asking again resumes the package
    from what was written and the batch is exported."""
    from archive.archival import export_jobs

    from ..conftest import base_settings, close_app, file_uri, make_app
    monkeypatch.setattr(export_jobs, 'PROGRESS_SECONDS', 0)             # every document recorded
    app = make_app(base_settings(tmp_path, file_uri(tmp_path), **{'archive.transfer_dir': str(tmp_path / 'nop-luu')}))
    try:
        clerk, archivist, leader = (client(app, login) for login in ('vanthu', 'luutru', 'lanhdao'))
        plan_entry(archivist, 'TH.01', 10)
        batch, docs = transfer_batch_of(clerk, archivist, leader,
                                        [(f'{n}-CV/BTCTU', 'electronic', True) for n in (1, 2, 3)])
        conn, root = open_root(app)
        record = root['bodies'][HOST_CODE].records.files[root['bodies'][HOST_CODE].records.batches[batch].file_names[0]]
        second = record.document_names[1]
        path = root['bodies'][HOST_CODE].documents[second].file_list()[0].committed()
        conn.close()
        os.chmod(path, 0o644)
        with open(path, 'rb') as f:
            original = f.read()
        with open(path, 'r+b') as f:
            f.seek(20)
            f.write(b'X')
        url = f'/bodies/{HOST_CODE}/records/batch/{batch}'
        archivist.post(f'{url}/export', {'csrf_token': archivist.csrf}, status=303)
        export_jobs.run_pending(app.registry)
        page = archivist.get(url)
        assert 'data-export-job="failed"' in page.text and 'data-code="transfer_blob_damaged"' in page.text
        assert 'data-done="1" data-total="3"' in page.text and second in page.text
        assert 'id="batch-export"' in page.text and 'data-state="approved"' in page.text
        shown = archivist.get(f'{BODY}/batches/{batch}').json['export_job']
        assert shown['state'] == 'failed' and shown['error']['code'] == 'transfer_blob_damaged'
        with open(path, 'wb') as f:                                          # the blob repaired
            f.write(original)
        done = export_batch(app, archivist, batch)
        assert done['state'] == 'exported' and done['export_job']['state'] == 'done'
        report = done['exported']['report']
        assert int(report['resumed_units']) >= 2 and int(report['documents']) == 3   # schemas, first document kept
    finally:
        close_app(app)


def test_a_batch_of_paper_only_documents_exports_a_valid_package(tmp_path):
    """A paper letter registered with its metadata only (no file) used to leave the package's
    Representations empty, and the export ended with package_invalid. Two batches: one file of a
    paper-only letter, and one of a paper-only letter beside a PDF: both export and validate, the
    paper letter represented by its metadata record."""
    import zipfile

    from archive.archival import sip

    from ..conftest import base_settings, close_app, file_uri, make_app
    app = make_app(base_settings(tmp_path, file_uri(tmp_path), **{'archive.transfer_dir': str(tmp_path / 'nop-luu')}))
    try:
        clerk, archivist, leader = (client(app, login) for login in ('vanthu', 'luutru', 'lanhdao'))
        plan_entry(archivist, 'TH.01', 10)
        for n, with_pdf in enumerate((False, True), 1):
            letters = [(f'{n}0-CV/BTCTU', 'paper', False)] + [(f'{n}1-CV/BTCTU', 'electronic', True)] * with_pdf
            batch, (paper, *_rest) = transfer_batch_of(clerk, archivist, leader, letters)
            done = export_batch(app, archivist, batch)
            assert done['state'] == 'exported'
            assert sip.validate(done['exported']['path']) == []
            with zipfile.ZipFile(done['exported']['path']) as z:
                reps = [n for n in z.namelist() if '/representations/' in n]
            assert [r for r in reps if f'/{paper}/' in r][0].endswith('/ban-mo-ta.xml')
            assert any(r.endswith('.pdf') for r in reps) == with_pdf
    finally:
        close_app(app)
