"""The bad-input table: each case through the form and through the API, same error code,
HTTP 400 in both, and nothing written."""
import json
import unicodedata

import pytest

from archive import audit

from ..conftest import HOST_CODE, open_root
from ..helpers import incoming, multipart, pdf

NEW_FORM = f'/bodies/{HOST_CODE}/documents/new?direction=incoming'
API = f'/api/v1/bodies/{HOST_CODE}/documents'
BIG_PDF = pdf('big') + b'%' + b'x' * (300 * 1024) + b'\n'   # over the tests' 256 KB limit

# (case, field overrides (None removes), main file, attachments, field, code)
CASES = [
    ('missing abstract', {'abstract': None}, None, [], 'abstract', 'required'),
    ('missing document type', {'doc_type': None}, None, [], 'doc_type', 'required'),
    ('malformed identifier code', {'organ_id': '00.00.02.H1'}, None, [], 'organ_id', 'organ_id_malformed'),
    ('malformed number and symbol', {'number_symbol': '917 TTr BTCTU'}, None, [], 'number_symbol',
     'number_symbol_malformed'),
    ('unknown document type', {'doc_type': 'XYZ'}, None, [], 'doc_type', 'doc_type_unknown'),
    ('date-time without zone', {'received_at': '2026-11-24T09:30:00'}, None, [], 'received_at',
     'datetime_without_zone'),
    ('Tối mật', {'classification': 'toi_mat'}, None, [], 'classification', 'classification_refused'),
    ('Tuyệt mật', {'classification': 'tuyet_mat'}, None, [], 'classification', 'classification_refused'),
    ('upload over the limit', {}, ('big.pdf', BIG_PDF), [], 'main_file', 'file_too_large'),
    ('a .pdf that is not a PDF', {}, ('fake.pdf', b'<html>not a pdf</html>' * 10), [], 'main_file',
     'main_not_pdf'),
    ('attachment type not allowed', {}, ('ok.pdf', pdf()), [('tool.exe', b'MZ\x90\x00' + b'\x00' * 200)],
     'attachments', 'attachment_type_not_allowed'),
    # characters no text field may hold (they broke the package at Gửi with a 500)
    ('NUL in the abstract', {'abstract': 'Về việc\x00 tổ chức hội nghị'}, None, [], 'abstract', 'control_character'),
    ('BEL in the sender', {'sender': 'Ban Tổ chức\x07'}, None, [], 'sender', 'control_character'),
    ('ESC in the place', {'place': 'Hà Nội\x1b[2J'}, None, [], 'place', 'control_character'),
    ('line break in a one-line field', {'signer_name': 'Nguyễn Văn A\r\nBcc: x@example.org'}, None, [],
     'signer_name', 'control_character'),
    ('NUL in a line of receivers', {'receivers': 'Như trên\nLưu\x00VT'}, None, [], 'receivers',
     'control_character'),
    ('bidirectional override in the abstract', {'abstract': 'Về việc \u202egnát gnol'}, None, [], 'abstract',
     'bidi_control'),
    ('bidirectional isolate in the notes', {'notes': 'ghi chú \u2067x\u2069'}, None, [], 'notes', 'bidi_control'),
]


def _form_submit(client, values, main, attachments):
    page = client.get(NEW_FORM)
    form = page.forms['document']
    for name in ('abstract', 'doc_type', 'organ_id'):
        if name not in values:
            form[name].force_value('') if name == 'doc_type' else form.set(name, '')
    for name, value in values.items():
        form[name].force_value(value)
    if main:
        form.fields['main_file'][0].value = main
    form.fields['attachments'][0].value = list(attachments)   # <input type=file multiple>
    return form.submit('submit', status=400)


def _api_submit(client, values, main, attachments):
    params, files = multipart(values, main, attachments)
    return client.post(API, params, upload_files=files, content_type='multipart/form-data',
                       headers={'X-CSRF-Token': client.csrf}, status=400)


def _counts(app):
    conn, root = open_root(app)
    try:
        body = root['bodies'][HOST_CODE]
        return len(body.documents), len(audit.journal_of(root).chains), audit.entries(root, f'body:{HOST_CODE}')
    finally:
        conn.close()


@pytest.mark.parametrize('case,over,main,attachments,field,code', CASES, ids=[c[0] for c in CASES])
def test_bad_document_input(app, clerk, case, over, main, attachments, field, code):
    values = {k: v for k, v in incoming(**{k: v for k, v in over.items()}).items()}
    for k, v in over.items():
        if v is None:
            values.pop(k, None)
    docs_before, chains_before, body_journal_before = _counts(app)

    page = _form_submit(clerk, values, main, attachments)
    page_codes = {(li.attrs['data-field'], li.attrs['data-code']) for li in page.html.select('ul.errors li')}
    assert (field, code) in page_codes, page_codes

    res = _api_submit(clerk, values, main, attachments)
    assert res.json['error'] == 'invalid_input'
    api_codes = {(e['field'], e['code']) for e in res.json['errors']}
    assert (field, code) in api_codes, api_codes
    assert page_codes == api_codes      # the same errors, whichever way the document came in

    docs_after, chains_after, body_journal_after = _counts(app)
    assert docs_after == docs_before
    assert chains_after == chains_before or code == 'classification_refused'
    if code == 'classification_refused':
        refusals = body_journal_after[len(body_journal_before):]
        assert [e['action'] for e in refusals] == ['refused_at_entry', 'refused_at_entry']
        assert {e['details']['channel'] for e in refusals} == {'web', 'api'}
        for entry in refusals:
            text = json.dumps(entry, ensure_ascii=False)
            assert values['abstract'] not in text and values['number_symbol'] not in text
            assert entry['details']['classification'] == over['classification']
            assert len(entry['details']['payload_sha256']) == 64
    else:
        assert body_journal_after == body_journal_before


def test_decomposed_unicode_is_stored_nfc(app, clerk):
    decomposed = unicodedata.normalize('NFD', 'Quyết định về việc điều động cán bộ')
    assert decomposed != unicodedata.normalize('NFC', decomposed)
    page = clerk.get(NEW_FORM)
    form = page.forms['document']
    for k, v in incoming(abstract=decomposed, number_symbol='12-QĐ/BTCTU', doc_type='QĐ').items():
        form[k].force_value(v)
    via_form = form.submit('submit').follow()
    res = clerk.post_json(API, incoming(abstract=decomposed, number_symbol=unicodedata.normalize(
        'NFD', '13-QĐ/BTCTU'), doc_type='QĐ'), headers={'X-CSRF-Token': clerk.csrf}, status=201)
    assert res.json['abstract'] == unicodedata.normalize('NFC', decomposed)
    assert res.json['type_abbr'] == 'QĐ' and unicodedata.is_normalized('NFC', res.json['type_abbr'])
    assert unicodedata.normalize('NFC', decomposed) in via_form.text
    conn, root = open_root(app)
    try:
        stored = [d.abstract for d in root['bodies'][HOST_CODE].documents.values()
                  if 'điều động' in d.abstract]
        assert len(stored) == 2
        assert all(unicodedata.is_normalized('NFC', s) for s in stored)
    finally:
        conn.close()


@pytest.mark.storage
def test_duplicate_identifier_code(app, admin):
    values = {'code': '000.00.02.H01', 'name': 'Ban trùng mã', 'symbol': 'BTM'}
    page = admin.get('/bodies/new')
    form = page.forms['admin']
    for k, v in values.items():
        form[k] = v
    res = form.submit('submit', status=400)
    page_codes = {(li.attrs['data-field'], li.attrs['data-code']) for li in res.html.select('ul.errors li')}
    api = admin.post_json('/api/v1/bodies', values, headers={'X-CSRF-Token': admin.csrf}, status=400)
    api_codes = {(e['field'], e['code']) for e in api.json['errors']}
    assert page_codes == api_codes == {('code', 'code_duplicate')}
    conn, root = open_root(app)
    try:
        assert root['bodies']['000.00.02.H01'].name == 'Ban Tổ chức Thành ủy'
    finally:
        conn.close()


def test_other_body_document_is_forbidden_and_says_nothing(app, clerk, other_clerk):
    doc = clerk.post_json(API, incoming(abstract='Nội dung riêng của Văn phòng'),
                          headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    url = f"{API}/{doc['id']}"
    api = other_clerk.get(url, status=403)
    page_url = f"/bodies/{HOST_CODE}/documents/{doc['id']}/"
    page = other_clerk.get(page_url, status=403)
    file_url = f"{url}/history"
    other_clerk.get(file_url, status=403)
    other_clerk.patch_json(url, {'abstract': 'sửa trộm'}, headers={'X-CSRF-Token': other_clerk.csrf}, status=403)
    for text in (api.text, page.text):
        assert 'Nội dung riêng' not in text
        assert '917-TTr' not in text
        assert doc['id'] not in text.replace(url, '').replace(page_url, '')   # only the URL asked for
    assert api.json['error'] == 'forbidden'
    listing = other_clerk.get(API, status=403)
    assert 'Nội dung riêng' not in listing.text


@pytest.mark.storage
def test_a_second_main_file_is_refused_and_the_stored_one_kept(app, clerk):
    params, files = multipart(incoming(), ('a.pdf', pdf('first')))
    doc = clerk.post(API, params, upload_files=files, headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    res = clerk.post(f"{API}/{doc['id']}/files", upload_files=[('main_file', 'b.pdf', pdf('second'))],
                     headers={'X-CSRF-Token': clerk.csrf}, status=400)
    assert [(e['field'], e['code']) for e in res.json['errors']] == [('main_file', 'main_file_exists')]
    after = clerk.get(f"{API}/{doc['id']}").json
    assert [f['filename'] for f in after['files']] == ['a.pdf'] and after['revision'] == 1


def test_the_upload_limit_is_said_in_peoples_units(app, clerk):
    """The refusal said "vượt quá giới hạn 262144 byte": now the limit (the tests' 256 × 1024
    bytes) in decimal units with the reader's decimal sign, the same on the page and in the API,
    and the form says it beside the file fields before anyone tries."""
    values = incoming()
    page = _form_submit(clerk, values, ('big.pdf', BIG_PDF), [])
    [said] = [li.get_text(strip=True) for li in page.html.select('ul.errors li[data-code=file_too_large]')]
    assert said.endswith('vượt quá giới hạn 262,1 kB') and 'byte' not in said, said
    api = _api_submit(clerk, values, ('big.pdf', BIG_PDF), [])
    assert api.json['errors'][0]['message'] == 'Tệp "big.pdf" vượt quá giới hạn 262,1 kB'
    params, files = multipart(values, ('big.pdf', BIG_PDF), [])
    english = clerk.post(f'{API}?_LOCALE_=en', params, upload_files=files, content_type='multipart/form-data',
                         headers={'X-CSRF-Token': clerk.csrf}, status=400)
    assert english.json['errors'][0]['message'] == 'File "big.pdf" exceeds the limit of 262.1 kB'
    form = clerk.get(NEW_FORM + '&_LOCALE_=vi').html
    hints = [' '.join(form.select_one(f'.item-{name} p.form-text').get_text(' ').split())
             for name in ('main_file', 'attachments')]
    assert all('Mỗi tệp tối đa 262,1 kB' in hint for hint in hints), hints
    form_en = clerk.get(NEW_FORM + '&_LOCALE_=en').html
    assert 'At most 262.1 kB a file' in form_en.select_one('.item-main_file p.form-text').get_text(' ')

