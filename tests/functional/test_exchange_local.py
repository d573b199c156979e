"""The exchange protocol between bodies hosted on one instance (Art. 6-10), through the real app
on a real FileStorage: signed edXML packages built from the sent document, the receiving path,
statuses back to the sender in order, and the refusals of the receiving path. Real keys in the
app's software key store, issued by a CA made here; real PDFs."""
import pytest
from pyramid.threadlocal import manager

from archive import audit
from archive.exchange import deliveries, edxml, outgoing, receive, worker
from archive.services import directory
from archive.services.certificates import register_certificate
from archive.signing import ca
from archive.workflow.engine import fire

from ..conftest import HOST_CODE, client, open_root
from ..helpers import multipart, pdf

API = f'/api/v1/bodies/{HOST_CODE}/documents'
BTC, BTG, UBKT = '000.00.02.H01', '000.00.03.H01', '000.00.04.H01'
RECEIVERS = [BTC, BTG, UBKT]


class Session:
    """A connection of the test's own, with the app's registry pushed (the workflow needs it)."""

    def __init__(self, app):
        self.app = app

    def __enter__(self):
        self.conn, self.root = open_root(self.app)
        manager.push({'registry': self.app.registry, 'request': None})
        return self.root

    def __exit__(self, kind, *_):
        manager.pop()
        if kind is None:
            self.conn.transaction_manager.commit()
        else:
            self.conn.transaction_manager.abort()
        self.conn.close()


def enrol(root, store, authority, code):
    """An organisation signing key and an encryption key for ``code``, certificates registered."""
    body = root['bodies'][code]
    subject = f'C=VN,O={body.name},CN={body.name} ({code})'
    for purpose, kind, algorithm in (('org-sign', ca.ORG_SIGN, 'ec-p256'), ('org-enc', ca.ENCRYPTION, 'rsa2048')):
        key_id = f'{purpose}:{code}'
        cert = ca.issue(authority, store.generate(key_id, subject, algorithm, replace_pending=True), kind=kind)
        store.import_certificate(key_id, ca.to_pem(cert, authority.certificate))
        register_certificate(root, body, ca.to_pem(cert), purpose, 'test')


@pytest.fixture
def exchange_app(file_app):
    authority = ca.make_ca('CA trao đổi (TEST)', algorithm='ec-p256')
    with Session(file_app) as root:
        for code in RECEIVERS:
            enrol(root, file_app.registry.archive_keystore, authority, code)
        settings = file_app.registry.archive_settings
        for code, suffix in ((BTC, 'btc'), (BTG, 'btg'), (UBKT, 'ubkt')):
            if code != BTC:
                directory.add_user(root, {'login': f'vanthu.{suffix}', 'full_name': f'Văn thư {suffix}',
                                          'body_code': code, 'roles': ['clerk'], 'password': 'demo-mat-khau-2026'},
                                   settings, 'test')
            directory.add_user(root, {'login': f'lanhdao.{suffix}', 'full_name': f'Lãnh đạo {suffix}',
                                      'body_code': code, 'roles': ['leader'], 'password': 'demo-mat-khau-2026'}, settings, 'test')
            directory.add_user(root, {'login': f'chuyenvien.{suffix}', 'full_name': f'Chuyên viên {suffix}',
                                      'body_code': code, 'roles': ['processor'], 'password': 'demo-mat-khau-2026'},
                               settings, 'test')
    return file_app


def send(app, send_to, abstract='Công văn gửi các ban', **extra):
    """An outgoing document of the host body taken to "sent" over the API; its JSON."""
    clerk, leader = client(app, 'vanthu'), client(app, 'lanhdao')
    values = {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'CV', 'holder_unit': 'TH',
              'abstract': abstract, 'send_to': send_to, 'signer_name': 'Trần Văn Lãnh Đạo', **extra}
    params, files = multipart(values, ('cong-van.pdf', pdf(abstract)), [('phu-luc.pdf', pdf('Phu luc'))])
    doc = clerk.post(API, params, upload_files=files, headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    for who, action in ((clerk, 'submit'), (leader, 'approve'), (clerk, 'number'), (clerk, 'sign'), (clerk, 'send')):
        doc = who.post_json(f"{API}/{doc['id']}/transitions/{action}", {}, headers={'X-CSRF-Token': who.csrf}).json
    return doc


def received(root, code, document_id):
    return [d for d in root['bodies'][code].documents.values()
            if d.exchange and d.exchange['document_id'] == document_id]


def rows(app, doc_id):
    with Session(app) as root:
        return {d.receiver: (d.state, [s['code'] for s in d.statuses], d.attempts, d.route)
                for d in deliveries.of_document(root, HOST_CODE, doc_id)}


def act(app, code, document_id, login, action, **data):
    with Session(app) as root:
        [doc] = received(root, code, document_id)
        fire(root, doc, action, root['users'][login], data=data)


def test_a_document_to_three_receivers_and_their_statuses_back_in_order(exchange_app):
    app = exchange_app
    sent = send(app, RECEIVERS, urgency='khan')
    assert sent['status'] == 'sent'
    assert rows(app, sent['id']) == {c: ('pending', [], 0, 'hosted') for c in RECEIVERS}

    assert worker.run_round(app.registry) == 6             # three deliveries, three statuses 01
    assert rows(app, sent['id']) == {c: ('delivered', ['01'], 1, 'hosted') for c in RECEIVERS}
    with Session(app) as root:
        document_id = root['bodies'][HOST_CODE].documents[sent['id']].document_id
        for code in RECEIVERS:
            [doc] = received(root, code, document_id)
            assert doc.state == 'arrived' and doc.direction == 'incoming' and doc.organ_id == HOST_CODE
            assert doc.number_symbol == sent['number_symbol'] and doc.urgency == 'khan'
            assert doc.origin_verdict['status'] == 'valid'      # two signatures, the host's org certificate
            assert [f.role for f in doc.file_list()] == ['main', 'attachment']
            assert doc.exchange['deviations'] == []
    assert worker.run_round(app.registry) == 0              # nothing twice

    act(app, BTC, document_id, 'vanthu.btc', 'register')
    act(app, BTC, document_id, 'lanhdao.btc', 'assign', main_processor='chuyenvien.btc')
    act(app, BTC, document_id, 'chuyenvien.btc', 'start')
    act(app, BTC, document_id, 'chuyenvien.btc', 'complete', note='Đã xong')
    act(app, BTG, document_id, 'vanthu.btg', 'register')
    act(app, UBKT, document_id, 'vanthu.ubkt', 'refuse', reason='Không thuộc thẩm quyền của Ủy ban Kiểm tra')
    worker.run_round(app.registry)
    state = rows(app, sent['id'])
    assert state[BTC] == ('delivered', ['01', '03', '04', '05', '06'], 1, 'hosted')
    assert state[BTG] == ('delivered', ['01', '03'], 1, 'hosted')
    assert state[UBKT] == ('declined', ['01', '02'], 1, 'hosted')

    clerk = client(app, 'vanthu')
    history = clerk.get(f"{API}/{sent['id']}/history").json['items']
    trail = [(e['details']['receiver'], e['details']['code']) for e in history if e['action'] == 'status_received']
    assert [c for r, c in trail if r == BTC] == ['01', '03', '04', '05', '06']
    assert ('000.00.04.H01', '02') in trail
    ats = [e['details']['at'] for e in history if e['action'] == 'status_received']
    assert all(a.endswith('+07:00') for a in ats)
    refusal = [e for e in history if e['action'] == 'status_received' and e['details']['code'] == '02'][0]
    assert 'thẩm quyền' in refusal['details']['description']
    page = clerk.get(f"/bodies/{HOST_CODE}/documents/{sent['id']}")
    assert 'data-delivery="000.00.02.H01"' in page.text and 'Hoàn thành' in page.text
    from openapi_core import Config, OpenAPI

    from .test_openapi import SPEC_PATH, conforms
    spec = OpenAPI.from_file_path(str(SPEC_PATH), config=Config(additional_properties_default_policy='forbid'))
    rows_json = conforms(spec, clerk.get(f"{API}/{sent['id']}/deliveries")).json['items']
    by_receiver = {r['receiver']: r for r in rows_json}
    assert [s['code'] for s in by_receiver[BTC]['statuses']] == ['01', '03', '04', '05', '06']
    assert by_receiver[UBKT]['state'] == 'declined' and by_receiver[BTC]['delivered_at'].endswith('+07:00')
    client(app, 'vanthu.btc').get(f"{API}/{sent['id']}/deliveries", status=403)   # another body's


def _package(app, doc_id, receiver_code, **change):
    """Signed package bytes for ``receiver_code``, optionally with fields changed before signing."""
    with Session(app) as root:
        doc = root['bodies'][HOST_CODE].documents[doc_id]
        settings = app.registry.archive_settings
        from archive.exchange import mapping
        package = mapping.package_for(root, doc, root['bodies'][receiver_code], settings, 'test')
        for name, value in change.items():
            setattr(package, name, value)
        signer = change.pop('_signer', HOST_CODE) if '_signer' in change else HOST_CODE
        return outgoing.signed_bytes(settings, signer, edxml.encode_package(package))


def _receive(app, data):
    with Session(app) as root:
        return receive.receive_package(root, data, app.registry.archive_settings)


def _refused(app, data, code):
    with pytest.raises(receive.Refused) as info:
        _receive(app, data)
    assert info.value.code == code, info.value.message_vi
    return info.value


def test_the_same_bytes_twice_give_one_document_and_the_same_receipt(exchange_app):
    app = exchange_app
    sent = send(app, [BTG])
    data = _package(app, sent['id'], BTG)
    first = _receive(app, data)
    again = _receive(app, data)
    assert again['again'] is True and {k: v for k, v in again.items() if k != 'again'} == first
    with Session(app) as root:
        assert len(received(root, BTG, first['document_id'])) == 1
    other = _package(app, sent['id'], BTG)                   # new signature (ECDSA), other bytes
    assert other != data
    _refused(app, other, 'document_id_reused')


def test_refusals_of_the_receiving_path(exchange_app):
    app = exchange_app
    sent = send(app, [BTG])
    with Session(app) as root:
        count = len(root['bodies'][BTG].documents)
    _refused(app, _package(app, sent['id'], BTG, to=[edxml.Organ('000.00.00.G22', 'Văn phòng Chính phủ')]),
             'wrong_address')
    _refused(app, _package(app, sent['id'], BTG, classification='toi_mat'), 'classification_refused')
    # signed by another body (Ban Tổ chức's key) while claiming to come from the host
    with Session(app) as root:
        from archive.exchange import mapping
        doc = root['bodies'][HOST_CODE].documents[sent['id']]
        package = mapping.package_for(root, doc, root['bodies'][BTG], app.registry.archive_settings, 'test')
    forged = outgoing.signed_bytes(app.registry.archive_settings, BTC, edxml.encode_package(package))
    _refused(app, forged, 'signer_unknown')
    data = bytearray(_package(app, sent['id'], BTG))
    at = data.index(b'<edXML:Subject>') + len(b'<edXML:Subject>')
    data[at:at + 3] = b'XYZ'
    _refused(app, bytes(data), 'signature_invalid')
    _refused(app, b'<not a package', 'malformed_xml')
    with Session(app) as root:
        assert len(root['bodies'][BTG].documents) == count     # nothing stored by any of them


def test_a_refused_delivery_is_marked_and_journaled_without_content(exchange_app):
    app = exchange_app
    sent = send(app, [BTG], abstract='Không kiểm tra được chữ ký')
    with Session(app) as root:          # the receiving side no longer knows the sender's certificate
        for fp in [fp for fp, r in root['bodies'][HOST_CODE].certificates.items() if r.kind == 'org-sign']:
            del root['bodies'][HOST_CODE].certificates[fp]
    worker.run_round(app.registry)
    assert rows(app, sent['id'])[BTG][:2] == ('declined', ['02'])
    with Session(app) as root:
        entries = [e for e in audit.entries(root, receive.CHAIN) if e['action'] == 'package_refused']
        assert entries[-1]['details']['code'] == 'sender_has_no_certificate'
        assert len(entries[-1]['details']['package_sha256']) == 64
        assert 'Không kiểm tra' not in str(entries[-1])


def test_a_status_for_a_document_never_sent_is_refused(exchange_app):
    app = exchange_app
    status = edxml.Status(response_for=edxml.ResponseFor(HOST_CODE, '9', 'CV/VPTU', None,
                                                         f'{HOST_CODE},2026/11/24,9/CV/VPTU'),
                          from_organ=edxml.Organ(BTC, 'Ban Tổ chức Thành ủy'), status_code='03')
    data = outgoing.signed_bytes(app.registry.archive_settings, BTC, edxml.encode_status(status))
    with pytest.raises(receive.Refused) as info:
        with Session(app) as root:
            receive.receive_status(root, data, app.registry.archive_settings)
    assert info.value.code == 'status_unknown_document'


def test_sending_what_cannot_go_is_said_at_once(exchange_app):
    app = exchange_app
    clerk = client(app, 'vanthu')
    values = {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'CV', 'abstract': 'x',
              'send_to': ['000.00.0X.H01']}
    res = clerk.post_json(API, values, headers={'X-CSRF-Token': clerk.csrf}, status=400).json
    assert res['errors'][0]['field'] == 'send_to'
    with pytest.raises(Exception) as info:
        send(app, ['000.00.00.G22'], classification='mat', named_people=['vanthu', 'lanhdao'])
    assert 'no_route_for_secret' in str(info.value)


def test_a_secret_document_travels_sealed_for_its_receiver(exchange_app):
    app = exchange_app
    marker = 'MARKER-MAT-TRAO-DOI-9d1'
    sent = send(app, [BTC], abstract=f'Công văn mật {marker}', classification='mat',
                named_people=['vanthu', 'lanhdao'])
    with Session(app) as root:
        from archive.exchange import mapping
        doc = root['bodies'][HOST_CODE].documents[sent['id']]
        pkg = mapping.package_for(root, doc, root['bodies'][BTC], app.registry.archive_settings, 'test')
        data = outgoing.signed_bytes(app.registry.archive_settings, HOST_CODE, edxml.encode_package(pkg))
    assert pkg.encryption is not None and pkg.classification == 'mat'
    assert all(marker.encode() not in a.data and not a.data.startswith(b'%PDF') for a in pkg.attachments)
    decoded, _ = edxml.decode_package(data)
    assert all(not a.data.startswith(b'%PDF') for a in decoded.attachments)   # sealed inside the zip too

    worker.run_round(app.registry)
    assert rows(app, sent['id'])[BTC][:2] == ('delivered', ['01'])
    with Session(app) as root:
        document_id = root['bodies'][HOST_CODE].documents[sent['id']].document_id
        [copy] = received(root, BTC, document_id)
        assert copy.classification == 'mat' and copy.named_people == ['vanthu.btc']
        assert all(f.encrypted and f.sha256 is None for f in copy.files.values())
        assert copy.origin_verdict['status'] == 'valid'
        name, main = copy.__name__, copy.main_file
    btc = client(app, 'vanthu.btc')
    body = btc.get(f'/api/v1/bodies/{BTC}/documents/{name}/files/{main}').body
    assert body.startswith(b'%PDF') and marker.encode() in body
    client(app, 'lanhdao.btc').get(f'/api/v1/bodies/{BTC}/documents/{name}', status=403)   # not named


def test_a_secret_document_to_a_body_without_an_encryption_certificate_is_refused_at_once(exchange_app):
    with pytest.raises(Exception) as info:
        send(exchange_app, ['000.00.05.H01'], classification='mat', named_people=['vanthu', 'lanhdao'])
    assert 'receiver_has_no_encryption_certificate' in str(info.value)
