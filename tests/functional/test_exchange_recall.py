"""Recall between bodies on one instance (Art. 9.2, 10.2): the sender recalls; two receivers
destroy their copies (15), one refuses (16) and keeps working where it was; after a pack the
destroyed copies' content is gone from Data.fs and the blobs, and ``archive-storage
verify-destroyed`` says so. Real app, real FileStorage, real keys."""
import os
import subprocess
import sys
import time

import pytest

from archive.exchange import deliveries, edxml, outgoing, receive, recall, worker

from ..conftest import HERE, HOST_CODE, client, close_app
from .test_exchange_local import (API, BTC, BTG, RECEIVERS, UBKT, Session, act, exchange_app,  # noqa: F401
                                  received, rows, send)

MARKER = 'MARKER-THU-HOI-51c2'


def blob_files_with(folder, needle):
    found = set()
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, 'rb') as f:
                if needle in f.read():
                    found.add(os.path.realpath(path))
    return found


def test_recall_confirmed_by_two_refused_by_one_and_the_content_gone_after_a_pack(exchange_app, tmp_path):
    app = exchange_app
    sent = send(app, RECEIVERS, abstract=f'Công văn sẽ thu hồi {MARKER}'[:60])
    worker.run_round(app.registry)
    with Session(app) as root:
        document_id = root['bodies'][HOST_CODE].documents[sent['id']].document_id
    act(app, BTG, document_id, 'vanthu.btg', 'register')
    act(app, UBKT, document_id, 'vanthu.ubkt', 'register')
    act(app, UBKT, document_id, 'lanhdao.ubkt', 'assign', main_processor='chuyenvien.ubkt')
    worker.run_round(app.registry)

    clerk = client(app, 'vanthu')
    recalled = clerk.post_json(f"{API}/{sent['id']}/transitions/recall", {'reason': 'Ban hành nhầm nơi nhận'},
                               headers={'X-CSRF-Token': clerk.csrf}).json
    assert recalled['status'] == 'recalled'
    assert clerk.get(f"{API}/{sent['id']}/transitions").json['items'] == []     # the sender's copy is frozen
    worker.run_round(app.registry)
    with Session(app) as root:
        states = {code: received(root, code, document_id)[0].state for code in RECEIVERS}
    assert states == {BTC: 'recalled', BTG: 'recalled', UBKT: 'recalled'}

    with Session(app) as root:
        destroyed_blobs = {os.path.realpath(f.blob.committed()) for code in (BTC, BTG)
                           for f in received(root, code, document_id)[0].files.values()}
        kept_blobs = {os.path.realpath(f.blob.committed()) for f in received(root, UBKT, document_id)[0].files.values()}
    act(app, BTC, document_id, 'vanthu.btc', 'delete', reason='Hủy theo yêu cầu thu hồi')
    act(app, BTG, document_id, 'vanthu.btg', 'delete', reason='Hủy theo yêu cầu thu hồi')
    act(app, UBKT, document_id, 'vanthu.ubkt', 'keep', reason='Đã giao xử lý, đề nghị giữ lại')
    worker.run_round(app.registry)
    state = rows(app, sent['id'])
    assert state[BTC][1] == ['01', '15']
    assert state[BTG][1] == ['01', '03', '15']
    assert state[UBKT][1] == ['01', '03', '04', '16']
    history = clerk.get(f"{API}/{sent['id']}/history").json['items']
    kept = [e for e in history if e['action'] == 'status_received' and e['details']['code'] == '16'][0]
    assert 'giữ lại' in kept['details']['description']

    with Session(app) as root:
        ubkt = received(root, UBKT, document_id)[0]
        assert ubkt.state == 'assigned' and ubkt.main_processor == 'chuyenvien.ubkt' and len(ubkt.files) == 2
        btc = received(root, BTC, document_id)[0]
        assert btc.state == 'destroyed' and len(btc.files) == 0 and btc.main_file is None
        assert btc.abstract == recalled['abstract']                     # the metadata stays
        assert btc.recall['reason'] == 'Ban hành nhầm nơi nhận'
        sender_blobs = {os.path.realpath(f.blob.committed())
                        for f in root['bodies'][HOST_CODE].documents[sent['id']].files.values()}
        storage = app.registry._zodb_databases[''].storage
        assert len(recall.verify_destroyed(root, storage)) == 8          # 2 copies x 2 files x (file, blob)
    actions = [e['action'] for e in client(app, 'vanthu.btc').get(
        f"/api/v1/bodies/{BTC}/documents/{btc.__name__}/history").json['items']]
    assert {'received', 'recall_received', 'recall', 'delete'} <= set(actions)

    blobs = str(tmp_path / 'blobs')
    before = blob_files_with(blobs, MARKER.encode())
    assert len(destroyed_blobs & before) == 2                          # destroyed main files, still in the history
    app.registry._zodb_databases[''].pack(t=time.time() + 1)
    after = blob_files_with(blobs, MARKER.encode())
    assert after and after <= sender_blobs | kept_blobs               # the sender's frozen copy, UBKT's kept one
    assert not any(os.path.exists(p) for p in destroyed_blobs)
    with open(tmp_path / 'Data.fs', 'rb') as f:
        data = f.read()
    with Session(app) as root:
        assert recall.verify_destroyed(root, app.registry._zodb_databases[''].storage) == []
    assert data.count(b'%PDF') == 0                                   # files live in blobs, not in Data.fs

    # the command line says the same, on the closed database
    root_key = app.registry.settings['archive.root_key']
    close_app(app)
    ini = tmp_path / 'storage.ini'
    ini.write_text(f"""[app:main]
use = egg:party-archive
zodbconn.uri = file://{tmp_path}/Data.fs?blobstorage_dir={tmp_path}/blobs
archive.secret = storage-test-secret-{'x' * 40}
archive.root_key = {root_key}
archive.workflows_dir = {HERE}/workflows
archive.schemas_dir = {HERE}/schemas
""")
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'archive-storage'), str(ini),
                           'verify-destroyed'], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert '2 destroyed documents: no content left' in done.stdout


def test_a_recall_from_a_body_that_did_not_send_is_refused(exchange_app):
    app = exchange_app
    sent = send(app, [BTG])
    worker.run_round(app.registry)
    with Session(app) as root:
        doc = root['bodies'][HOST_CODE].documents[sent['id']]
        package = recall.recall_package(root, doc, root['bodies'][BTG], 'Giả mạo', app.registry.archive_settings)
    package.from_organ = edxml.Organ(BTC, 'Ban Tổ chức Thành ủy')       # signed by BTC, its own key
    data = outgoing.signed_bytes(app.registry.archive_settings, BTC, edxml.encode_package(package))
    with pytest.raises(receive.Refused) as info:
        with Session(app) as root:
            receive.receive_package(root, data, app.registry.archive_settings)
    assert info.value.code == 'recall_not_from_sender'
    with Session(app) as root:
        assert received(root, BTG, package.document_id)[0].state == 'arrived'


def test_a_recall_of_a_completed_copy_is_answered_16(exchange_app):
    app = exchange_app
    sent = send(app, [BTC])
    worker.run_round(app.registry)
    with Session(app) as root:
        document_id = root['bodies'][HOST_CODE].documents[sent['id']].document_id
    for login, action, data in (('vanthu.btc', 'register', {}),
                                ('lanhdao.btc', 'assign', {'main_processor': 'chuyenvien.btc'}),
                                ('chuyenvien.btc', 'start', {}), ('chuyenvien.btc', 'complete', {})):
        act(app, BTC, document_id, login, action, **data)
    clerk = client(app, 'vanthu')
    clerk.post_json(f"{API}/{sent['id']}/transitions/recall", {'reason': 'Thu hồi'},
                    headers={'X-CSRF-Token': clerk.csrf})
    worker.run_round(app.registry)
    assert rows(app, sent['id'])[BTC][1] == ['01', '03', '04', '05', '06', '16']
    with Session(app) as root:
        assert received(root, BTC, document_id)[0].state == 'completed'
        assert [d.state for d in deliveries.exchange_of(root).deliveries.values() if d.kind == 'recall'] == ['delivered']
