"""Mật documents at rest (Art. 5.1), through the real app on a real FileStorage: files sealed
with the body's encryption key from the key store, read only by the people named, each reading
journaled, and the marker written into them found nowhere in Data.fs, the blob folder or the search index."""
import hashlib
import json
import os

import pytest

from archive import search
from archive.signing.pades import verify_pdf
from archive.services.certificates import sender_org_certs, trust_roots

from ..conftest import HERE, HOST_CODE, base_settings, client, close_app, file_uri, make_app, open_root
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
    # the names the files came with say what the document is about: they are sealed too
    doc = post_secret(clerk, incoming(classification='mat', named_people=['lanhdao']),
                      (f'{MARKER}.pdf', main), [(f'phu-luc-{MARKER}.pdf', annex)])
    assert [(f['encrypted'], f['sha256']) for f in doc['files']] == [(True, None), (True, None)]
    assert [f['filename'] for f in doc['files']] == ['van-ban-mat.pdf', 'tep-dinh-kem-mat.pdf']
    assert all(len(f['stored_sha256']) == 64 for f in doc['files'])
    assert doc['origin_verdict'] == 'unsigned'                       # the signature check read it too

    search.apply_pending(file_app.registry)          # the search index, in tmp_path too: no marker
    assert os.listdir(os.path.join(str(tmp_path), 'search-index'))
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
    # the names they came with are kept sealed: listed under neutral names, downloaded by the reader under their own
    assert f'filename="{MARKER}.pdf"' in got.headers['Content-Disposition']
    assert f'phu-luc-{MARKER}.pdf' in clerk.get(f"{API}/{doc['id']}/files/2").headers['Content-Disposition']


def test_a_secret_document_takes_no_notes(file_app, tmp_path, people):
    """Notes are not sealed (they are listed, exported, kept in every revision): a Mật document's
    content belongs in its sealed files. Refused in the API and the form alike, nothing stored."""
    clerk = people['vanthu']
    params, files = multipart(incoming(classification='mat', notes=f'Ghi chu {MARKER}'),
                              ('mat.pdf', pdf('Noi dung')))
    res = clerk.post(API, params, upload_files=files, headers={'X-CSRF-Token': clerk.csrf}, status=400).json
    assert [(e['field'], e['code']) for e in res['errors']] == [('notes', 'notes_not_for_secret')]
    form = clerk.get(f'/bodies/{HOST_CODE}/documents/new').forms['document']
    for name, value in incoming(classification='mat', notes=f'Ghi chu {MARKER}').items():
        if name in form.fields and name != 'received_at':
            form[name] = value
    page = form.submit('submit', status=400)
    assert 'Văn bản Mật không ghi chú' in page.text
    assert scan(str(tmp_path), [MARKER.encode()]) == []


def test_raising_to_secret_clears_notes_first_and_renames_the_files(file_app, people):
    clerk = people['vanthu']
    doc = post_secret(clerk, incoming(notes='Ghi chú thường'), ('ten-noi-dung.pdf', pdf('Noi dung')))
    url = f"{API}/{doc['id']}"
    res = clerk.patch_json(url, {'classification': 'mat'}, headers={'X-CSRF-Token': clerk.csrf}, status=400).json
    assert [(e['field'], e['code']) for e in res['errors']] == [('notes', 'notes_not_for_secret')]
    raised = clerk.patch_json(url, {'classification': 'mat', 'notes': None}, headers={'X-CSRF-Token': clerk.csrf}).json
    assert raised['notes'] is None and raised['files'][0]['filename'] == 'van-ban-mat.pdf'
    got = clerk.get(f"{url}/files/1")
    assert got.body == pdf('Noi dung') and 'filename="ten-noi-dung.pdf"' in got.headers['Content-Disposition']


def test_secret_outgoing_signed_twice_stays_sealed(file_app, tmp_path, people):
    clerk, leader, processor = people['vanthu'], people['lanhdao'], people['chuyenvien']
    values = {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'TTr', 'holder_unit': 'TH',
              'abstract': 'Tờ trình (Mật)', 'classification': 'mat', 'signer_name': 'Trần Văn Lãnh Đạo',
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


# -- the server's temporary folder ------------------------------------------------------------
# A Mật upload larger than every threshold on its way in: waitress's default inbuf_overflow
# (512 KiB), WebOb's request_body_tempfile_limit (10 KiB) and cgi.FieldStorage's 1000 bytes; and
# larger than waitress's default outbuf_overflow (1 MiB) on its way out to the reader.
BIG = 3 * 1024 * 1024


def server_options(ini):
    """waitress's options as ``ini``'s [server:main] gives them (those that decide buffering)."""
    import configparser
    parser = configparser.RawConfigParser()
    parser.read(os.path.join(HERE, ini))
    return {k: v for k, v in parser['server:main'].items()
            if k in ('max_request_body_size', 'inbuf_overflow', 'outbuf_overflow')}


def temp_contents(folder):
    """What is in ``folder`` now: its files, and the files this process holds open in it even
    unnamed or deleted (``tempfile.TemporaryFile`` is an O_TMPFILE, never in the listing)."""
    found = []
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            try:
                with open(os.path.join(dirpath, name), 'rb') as f:
                    found.append((os.path.join(dirpath, name), f.read()))
            except OSError:
                pass
    for fd in os.listdir('/proc/self/fd'):
        try:
            target = os.readlink(f'/proc/self/fd/{fd}')
            if target.startswith(folder):
                with open(f'/proc/self/fd/{fd}', 'rb') as f:
                    found.append((target, f.read()))
        except OSError:
            pass
    return found


def leaks(folder, needles):
    return sorted({(path, n) for path, content in temp_contents(folder) for n in needles if n in content})


class Watching:
    """WSGI middleware: looks into the temporary folder while the request is still alive (its
    body and parsed form still open), after the application answered."""

    def __init__(self, app, folder, needles):
        self.app, self.folder, self.needles, self.seen = app, folder, needles, []

    def __call__(self, environ, start_response):
        body = b''.join(self.app(environ, start_response))
        self.seen.append((environ['PATH_INFO'], leaks(self.folder, self.needles)))
        return [body]


def send_slowly(port, method, path, headers, body, folder, needles):
    """An HTTP request over a socket, slowly both ways: the body in two halves, and the answer
    read a little at a time through a small receive window; between the halves the temporary
    folder is scanned, while the server still receives the body and while it still holds most of
    its answer. Returns (status, answer body, [what was seen midway in, midway out])."""
    import http.client
    import socket
    import time
    head = f'{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n' + \
        ''.join(f'{k}: {v}\r\n' for k, v in headers.items()) + 'Connection: close\r\n\r\n'
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(('127.0.0.1', port))
        sock.sendall(head.encode('latin-1') + body[:len(body) // 2])
        time.sleep(1.0)                                  # the server has read (and buffered) it
        midway = [leaks(folder, needles)]
        sock.sendall(body[len(body) // 2:])
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        first = answer.read(64 * 1024)
        time.sleep(0.5)
        midway.append(leaks(folder, needles))
        return answer.status, first + answer.read(), midway


def multipart_body(fields, files):
    import uuid
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                     + value.encode('utf-8') + b'\r\n')
    for name, filename, content in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f'Content-Type: application/pdf\r\n\r\n'.encode() + content + b'\r\n')
    return b''.join(parts) + f'--{boundary}--\r\n'.encode(), f'multipart/form-data; boundary={boundary}'


@pytest.fixture
def served(tmp_path, monkeypatch):
    """The app behind a real waitress on loopback, configured as production.ini configures it,
    with its temporary folder (TMPDIR) inside the test's folder; a bearer token for the clerk."""
    import tempfile
    import threading

    import transaction
    import waitress

    from archive.security import hash_token, new_token
    folder = tmp_path / 'server-tmp'
    folder.mkdir()
    monkeypatch.setenv('TMPDIR', str(folder))
    monkeypatch.setattr(tempfile, 'tempdir', str(folder))
    application = make_app(base_settings(tmp_path, file_uri(tmp_path),
                                         **{'archive.max_upload_bytes': str(2 * BIG)}))
    tokens = {login: new_token() for login in ('vanthu', 'lanhdao')}
    conn, root = open_root(application)
    for login, token in tokens.items():
        root.tokens[hash_token(token)] = login
    conn.transaction_manager.commit()
    conn.close()
    transaction.abort()
    needles = needles_for()[:1]
    watching = Watching(application, str(folder), needles)
    server = waitress.create_server(watching, host='127.0.0.1', port=0, threads=2,
                                    **server_options('production.ini'))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield dict(port=int(server.effective_port), folder=str(folder), tokens=tokens, watching=watching,
               needles=needles, app=application)
    server.close()
    thread.join(10)
    close_app(application)


def test_a_large_secret_upload_through_waitress_leaves_nothing_in_the_temp_folder(served, tmp_path):
    main = pdf(f'Noi dung {MARKER} ' + 'x' * BIG)
    assert len(main) > BIG and MARKER.encode() in main
    metadata = json.dumps(incoming(classification='mat', named_people=['lanhdao']), ensure_ascii=False)
    body, content_type = multipart_body({'metadata': metadata}, [('main_file', f'{MARKER}.pdf', main)])
    status, answer, midway = send_slowly(
        served['port'], 'POST', API, {'Content-Type': content_type,
                                      'Authorization': f"Bearer {served['tokens']['vanthu']}"},
        body, served['folder'], served['needles'])
    assert status == 201, answer[:500]
    assert midway == [[], []]                                        # while it was arriving
    assert served['watching'].seen == [(API, [])]                    # while it was parsed and stored
    assert leaks(served['folder'], served['needles']) == []          # after
    doc = json.loads(answer)
    assert MARKER not in doc['files'][0]['filename'] and doc['files'][0]['encrypted']

    status, got, midway = send_slowly(
        served['port'], 'GET', f"{API}/{doc['id']}/files/1",
        {'Authorization': f"Bearer {served['tokens']['lanhdao']}"}, b'', served['folder'], served['needles'])
    assert status == 200 and got == main                             # decrypted for the reader...
    assert midway == [[], []]                                        # ...while it is being sent
    assert served['watching'].seen[-1] == (f"{API}/{doc['id']}/files/1", [])   # ...in memory only
    assert leaks(served['folder'], served['needles']) == []
    assert scan(str(tmp_path), needles_for(main)) == []              # nor anywhere else of the test
