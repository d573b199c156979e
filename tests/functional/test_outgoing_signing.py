"""Outgoing documents signed for real in their lifecycle: the leader's signature on approval,
the organisation's after numbering (main file and each PDF attachment), verified and shown.
Real keys from the software key store the demo seed fills, real PDFs."""
import pytest

from archive.services.certificates import sender_org_certs, trust_roots
from archive.signing.pades import verify_pdf

from ..conftest import HOST_CODE, base_settings, client, close_app, file_uri, make_app, open_root
from ..helpers import multipart, pdf

API = f'/api/v1/bodies/{HOST_CODE}/documents'


def act(c, doc_id, action, status=200, **data):
    return c.post_json(f'{API}/{doc_id}/transitions/{action}', data, headers={'X-CSRF-Token': c.csrf},
                       status=status)


def draft_with_pdfs(c):
    values = {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'TTr', 'holder_unit': 'TH',
              'abstract': 'Tờ trình ký số', 'signer_name': 'Trần Văn Lãnh Đạo'}
    params, files = multipart(values, ('to-trinh.pdf', pdf('To trinh')),
                              attachments=[('phu-luc.pdf', pdf('Phu luc'))])
    return c.post(API, params, upload_files=files, headers={'X-CSRF-Token': c.csrf}, status=201).json


def history(c, doc_id):
    return {e['action']: e['details'] for e in c.get(f'{API}/{doc_id}/history').json['items']}


def contents(app, doc_id):
    """name -> (role, bytes) of the document's stored files."""
    conn, root = open_root(app)
    try:
        doc = root['bodies'][HOST_CODE].documents[doc_id]
        out = {}
        for f in doc.file_list():
            with f.open() as stream:
                out[f.__name__] = (f.role, stream.read())
        return out, doc.main_file, trust_roots(root, app.registry.archive_settings), \
            sender_org_certs(root, HOST_CODE)
    finally:
        conn.close()


@pytest.fixture
def file_clients(file_app):
    return {login: client(file_app, login) for login in ('vanthu', 'lanhdao', 'chuyenvien')}


def test_leader_then_organisation_sign_and_the_result_verifies(file_app, file_clients):
    clerk, leader, processor = file_clients['vanthu'], file_clients['lanhdao'], file_clients['chuyenvien']
    doc = draft_with_pdfs(processor)
    draft_main = doc['files'][0]
    act(processor, doc['id'], 'submit')
    approved = act(leader, doc['id'], 'approve').json
    roles = {f['name']: f['role'] for f in approved['files']}
    assert roles == {'1': 'superseded', '2': 'attachment', '3': 'main'}     # a new main file; the draft kept
    assert approved['legal_value'] == 'reference_only'                  # no organisation signature yet
    leader_file = approved['files'][2]
    details = history(leader, doc['id'])['approve']
    assert details['approval_signed'] is True and details['sha256'] == leader_file['sha256']
    assert details['signed_at'].endswith('+07:00')

    act(clerk, doc['id'], 'send', status=409)
    act(clerk, doc['id'], 'number')
    signed = act(clerk, doc['id'], 'sign').json
    assert signed['status'] == 'signed'
    assert signed['origin_verdict'] == 'valid' and signed['legal_value'] == 'legally_valid'
    assert len(signed['signature']['signatures']) == 2
    roles = {f['name']: f['role'] for f in signed['files']}
    assert roles == {'1': 'superseded', '2': 'superseded_attachment', '3': 'superseded', '4': 'main', '5': 'attachment'}

    files, main_name, roots, org_certs = contents(file_app, doc['id'])
    assert main_name == '4'
    draft_bytes, leader_bytes, final = files['1'][1], files['3'][1], files['4'][1]
    import hashlib
    assert hashlib.sha256(draft_bytes).hexdigest() == draft_main['sha256']   # the draft never rewritten
    assert leader_bytes.startswith(draft_bytes) and leader_bytes != draft_bytes
    assert final.startswith(leader_bytes) and final != leader_bytes     # the leader's bytes intact
    verdict = verify_pdf(final, trust_roots=roots, organisation_certs=org_certs)
    assert verdict.status == 'valid', verdict.reason
    assert [s.field_name for s in verdict.signatures] == ['ChuKyLanhDao', 'ChuKyToChuc']
    assert verdict.signatures[0].signer_name == 'Trần Văn Lãnh Đạo'
    attachment = verify_pdf(files['5'][1], trust_roots=roots, organisation_certs=org_certs)
    assert attachment.status == 'valid' and len(attachment.signatures) == 1
    assert files['5'][1].startswith(files['2'][1])
    assert verify_pdf(files['2'][1], trust_roots=roots).status == 'unsigned'

    sent = act(clerk, doc['id'], 'send').json
    assert sent['status'] == 'sent'
    page = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}")
    assert 'data-signature="valid"' in page.text and 'data-approval="signed"' in page.text


def test_sending_without_the_registered_organisation_signature_is_refused(file_app, file_clients):
    import transaction
    clerk, leader = file_clients['vanthu'], file_clients['lanhdao']
    doc = draft_with_pdfs(clerk)
    for who, action in ((clerk, 'submit'), (leader, 'approve'), (clerk, 'number')):
        act(who, doc['id'], action)
    # the body's organisation certificate is no longer registered: its signature is not the body's
    conn, root = open_root(file_app)
    try:
        body = root['bodies'][HOST_CODE]
        for fp in [fp for fp, rec in body.certificates.items() if rec.kind == 'org-sign']:
            del body.certificates[fp]
        conn.transaction_manager.commit()
    finally:
        conn.close()
    transaction.abort()
    signed = act(clerk, doc['id'], 'sign').json
    assert signed['status'] == 'signed' and signed['legal_value'] == 'reference_only'
    assert signed['signature']['code'] == 'not_registered_for_sender'
    res = act(clerk, doc['id'], 'send', status=409)
    assert res.json['error'] == 'transition_refused'
    assert clerk.get(f"{API}/{doc['id']}").json['status'] == 'signed'


@pytest.fixture
def keyless_app(tmp_path):
    application = make_app(base_settings(tmp_path, file_uri(tmp_path), **{'archive.keystore': None}))
    assert application.registry.archive_keystore is None
    yield application
    close_app(application)


def test_without_keys_approval_works_but_the_document_is_reference_only(keyless_app):
    clerk, leader = client(keyless_app, 'vanthu'), client(keyless_app, 'lanhdao')
    doc = draft_with_pdfs(clerk)
    act(clerk, doc['id'], 'submit')
    approved = act(leader, doc['id'], 'approve').json
    assert approved['status'] == 'approved' and approved['legal_value'] == 'reference_only'
    assert [f['role'] for f in approved['files']] == ['main', 'attachment']   # nothing signed, nothing new
    details = history(leader, doc['id'])['approve']
    assert details['approval_signed'] is False and details['approval_not_signed_because'] == 'no_personal_key'
    act(clerk, doc['id'], 'number')
    res = act(clerk, doc['id'], 'sign', status=409)                     # no organisation key: no signing
    assert 'org-sign:' in res.json['message']
    act(clerk, doc['id'], 'send', status=409)
    page = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}")
    assert 'data-approval="not-signed"' in page.text


def test_the_demo_seed_fills_the_key_store(file_app, tmp_path):
    import os
    import stat
    store = file_app.registry.archive_keystore
    assert stat.S_IMODE(os.stat(tmp_path / 'keystore.pass').st_mode) == 0o600
    keys = {k.key_id: k for k in store.list()}
    btc = 'org-sign:000.00.02.H01'          # Ban Tổ chức's clerk is a demo user: its statuses are signed
    assert set(keys) == {f'org-sign:{HOST_CODE}', f'org-enc:{HOST_CODE}', 'person:lanhdao', btc, 'instance:local'}
    assert all(k.status == 'valid' for k in keys.values())
    assert {k.key_id: k.algorithm for k in keys.values()} == {
        f'org-sign:{HOST_CODE}': 'ec-p256', f'org-enc:{HOST_CODE}': 'rsa2048', 'person:lanhdao': 'ec-p256',
        btc: 'ec-p256', 'instance:local': 'ec-p256'}
    conn, root = open_root(file_app)
    try:
        registered = root['bodies'][HOST_CODE].certificates
        assert registered[keys[f'org-sign:{HOST_CODE}'].fingerprint].kind == 'org-sign'
        assert registered[keys[f'org-enc:{HOST_CODE}'].fingerprint].kind == 'org-enc'
        assert root['bodies']['000.00.02.H01'].certificates[keys[btc].fingerprint].kind == 'org-sign'
    finally:
        conn.close()


def test_the_demo_shows_two_verified_signatures_and_a_reference_only_document(file_app, file_clients):
    clerk = file_clients['vanthu']
    items = clerk.get(API).json['items']
    signed = [d for d in items if d['abstract'].startswith('Thông báo lịch tiếp')][0]
    assert signed['status'] == 'signed' and signed['legal_value'] == 'legally_valid'
    assert [s['field_name'] for s in signed['signature']['signatures']] == ['ChuKyLanhDao', 'ChuKyToChuc']
    page = clerk.get(f"/bodies/{HOST_CODE}/documents/{signed['id']}")
    assert 'data-signature="valid"' in page.text and 'data-approval="signed"' in page.text
    paper = [d for d in items if d['number_symbol'] == '7816/VPCP-TTĐT'][0]
    assert paper['legal_value'] == 'reference_only'
    page = clerk.get(f"/bodies/{HOST_CODE}/documents/{paper['id']}")
    assert 'chỉ có giá trị tham khảo' in page.text
