"""Mật documents at rest (Art. 5.1), through the real app on a real FileStorage: files sealed
with the body's encryption key from the key store, read only by the people named, each reading
journaled, and the marker written into them found nowhere in Data.fs or the blob folder."""
import hashlib
import os

import pytest

from archive.signing.pades import verify_pdf
from archive.services.certificates import sender_org_certs, trust_roots

from ..conftest import HOST_CODE, base_settings, client, close_app, file_uri, make_app, open_root
from ..helpers import incoming, multipart, pdf

API = f'/api/v1/bodies/{HOST_CODE}/documents'
MARKER = 'MARKER-MAT-7f3a9c'


def scan(folder, needles):
    """Every file under ``folder`` (Data.fs, its index, the blobs...) that holds one of ``needles``."""
    found = []
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, 'rb') as f:
                content = f.read()
            found.extend((path, n) for n in needles if n in content)
    return found


def needles_for(*plaintexts):
    out = [MARKER.encode()]
    for p in plaintexts:
        digest = hashlib.sha256(p)
        out += [digest.hexdigest().encode(), digest.digest()]
    return out


@pytest.fixture
def people(file_app):
    return {login: client(file_app, login) for login in ('vanthu', 'lanhdao', 'chuyenvien')}


def post_secret(c, values, main, attachments=()):
    params, files = multipart(values, main, attachments)
    return c.post(API, params, upload_files=files, headers={'X-CSRF-Token': c.csrf}, status=201).json


def actions(c, doc_id):
    return [(e['action'], e['actor'], e['details'].get('purpose'))
            for e in c.get(f'{API}/{doc_id}/history').json['items']]


def test_secret_incoming_is_sealed_and_read_only_by_the_people_named(file_app, tmp_path, people):
    clerk, leader, processor = people['vanthu'], people['lanhdao'], people['chuyenvien']
    main, annex = pdf(f'Noi dung {MARKER} chinh'), pdf(f'Phu luc {MARKER}')
    assert MARKER.encode() in main and MARKER.encode() in annex       # the marker is in the plaintext
    doc = post_secret(clerk, incoming(classification='mat', named_people=['lanhdao']),
                      ('mat.pdf', main), [('phu-luc.pdf', annex)])
    assert [(f['encrypted'], f['sha256']) for f in doc['files']] == [(True, None), (True, None)]
    assert all(len(f['stored_sha256']) == 64 for f in doc['files'])
    assert doc['origin_verdict'] == 'unsigned'                       # the signature check read it too

    assert scan(str(tmp_path), needles_for(main, annex)) == []

    got = leader.get(f"{API}/{doc['id']}/files/1")
    assert got.body == main and got.headers['Cache-Control'] == 'no-store'
    assert clerk.get(f"{API}/{doc['id']}/files/2").body == annex     # the clerk who entered it
    processor.get(f"{API}/{doc['id']}/files/1", status=403)
    processor.get(f"{API}/{doc['id']}", status=403)
    reads = [a for a in actions(leader, doc['id']) if a[0] == 'secret_file_read']
    assert reads == [('secret_file_read', 'vanthu', 'verify'), ('secret_file_read', 'lanhdao', 'download'),
                     ('secret_file_read', 'vanthu', 'download')]
    page = leader.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}")
    assert 'data-sealed="1"' in page.text and MARKER not in page.text


def test_secret_outgoing_signed_twice_stays_sealed(file_app, tmp_path, people):
    clerk, leader, processor = people['vanthu'], people['lanhdao'], people['chuyenvien']
    values = {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'TTr', 'holder_unit': 'TH',
              'abstract': 'Tờ trình (Mật)', 'classification': 'mat',
              'named_people': ['vanthu', 'lanhdao', 'chuyenvien']}
    draft = pdf(f'Du thao {MARKER}')
    doc = post_secret(processor, values, ('to-trinh.pdf', draft), [('phu-luc.pdf', pdf(f'PL {MARKER}'))])
    headers = {'X-CSRF-Token': None}
    for c, action in ((processor, 'submit'), (leader, 'approve'), (clerk, 'number'), (clerk, 'sign')):
        headers['X-CSRF-Token'] = c.csrf
        res = c.post_json(f"{API}/{doc['id']}/transitions/{action}", {}, headers=headers)
    signed = res.json
    assert signed['status'] == 'signed' and signed['legal_value'] == 'legally_valid'
    assert all(f['encrypted'] and f['sha256'] is None for f in signed['files'])
    final = leader.get(f"{API}/{doc['id']}/files/{signed['files'][-2]['name']}").body
    assert final.startswith(draft)

    conn, root = open_root(file_app)
    try:
        verdict = verify_pdf(final, trust_roots=trust_roots(root, file_app.registry.archive_settings),
                             organisation_certs=sender_org_certs(root, HOST_CODE))
    finally:
        conn.close()
    assert verdict.status == 'valid' and len(verdict.signatures) == 2
    assert scan(str(tmp_path), needles_for(draft, final)) == []


def test_raising_a_document_to_secret_seals_its_files(file_app, tmp_path, people):
    clerk = people['vanthu']
    main = pdf(f'Truoc khi nang do mat {MARKER}')
    doc = post_secret(clerk, incoming(), ('a.pdf', main))
    assert doc['files'][0]['encrypted'] is False
    changed = clerk.patch_json(f"{API}/{doc['id']}", {'classification': 'mat', 'named_people': ['lanhdao']},
                               headers={'X-CSRF-Token': clerk.csrf}).json
    assert changed['files'][0]['encrypted'] is True and changed['files'][0]['sha256'] is None
    conn, root = open_root(file_app)
    try:
        f = root['bodies'][HOST_CODE].documents[doc['id']].files['1']
        with open(f.blob.committed(), 'rb') as stream:
            assert MARKER.encode() not in stream.read()
    finally:
        conn.close()
    assert people['lanhdao'].get(f"{API}/{doc['id']}/files/1").body == main
    assert ('sealed', 'vanthu', None) in actions(clerk, doc['id'])
    # the plaintext blob it had stays in the storage's history until the next pack (the scan
    # finds it: it is not blind)
    assert scan(str(tmp_path), [MARKER.encode()])
    lowered = clerk.patch_json(f"{API}/{doc['id']}", {'classification': 'thuong'},
                               headers={'X-CSRF-Token': clerk.csrf}, status=409).json
    assert lowered['error'] == 'classification_downgrade'


def test_damaged_ciphertext_is_refused_plainly(file_app, people):
    clerk = people['vanthu']
    doc = post_secret(clerk, incoming(classification='mat'), ('mat.pdf', pdf(f'Noi dung {MARKER}')))
    conn, root = open_root(file_app)
    try:
        path = root['bodies'][HOST_CODE].documents[doc['id']].files['1'].blob.committed()
    finally:
        conn.close()
    os.chmod(path, 0o600)
    with open(path, 'r+b') as f:
        f.seek(40)
        byte = f.read(1)
        f.seek(40)
        f.write(bytes([byte[0] ^ 1]))
    res = clerk.get(f"{API}/{doc['id']}/files/1", status=500).json
    assert res['error'] == 'ciphertext_damaged' and 'hỏng' in res['message']
    page = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/1", status=500)
    assert MARKER not in page.text


@pytest.fixture
def keyless_app(tmp_path):
    application = make_app(base_settings(tmp_path, file_uri(tmp_path), **{'archive.keystore': None}))
    yield application
    close_app(application)


def test_without_an_encryption_key_a_secret_file_is_refused_not_stored_in_clear(keyless_app, tmp_path):
    clerk = client(keyless_app, 'vanthu')
    before = len(clerk.get(API).json['items'])
    params, files = multipart(incoming(classification='mat'), ('mat.pdf', pdf(f'Noi dung {MARKER}')))
    res = clerk.post(API, params, upload_files=files, headers={'X-CSRF-Token': clerk.csrf}, status=409).json
    assert res['error'] == 'no_encryption_key' and 'org-enc' in res['message']
    assert len(clerk.get(API).json['items']) == before
    assert scan(str(tmp_path), [MARKER.encode()]) == []
    # a Mật document on paper (no file) is still registered: there is no content to seal
    clerk.post_json(API, incoming(classification='mat', number_symbol='5-CV/BTCTU', doc_type='CV'),
                    headers={'X-CSRF-Token': clerk.csrf}, status=201)
