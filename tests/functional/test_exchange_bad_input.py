"""Bad and hostile packages through the receiving path every channel calls (``receive.accept``):
each refused with its code and a clear reason, journaled (code, reason, package hash; no content)
and nothing of it stored. Real signed packages made by the app, then broken here."""
import base64
import hashlib
import io
import re
import zipfile

import pytest

from archive import audit
from archive.exchange import edxml, outgoing, receive, recall, worker

from ..conftest import HOST_CODE
from .test_exchange_local import BTC, BTG, Session, exchange_app, received, send  # noqa: F401

NS = b'http://www.mic.gov.vn/TBT/QCVN_102_2016'


@pytest.fixture
def sent(exchange_app):
    return send(exchange_app, [BTG], abstract='Văn bản thử đầu vào xấu')


def package(app, doc_id, receiver=BTG, signer=HOST_CODE, **change):
    with Session(app) as root:
        from archive.exchange import mapping
        doc = root['bodies'][HOST_CODE].documents[doc_id]
        pkg = mapping.package_for(root, doc, root['bodies'][receiver], app.registry.archive_settings, 'test')
    for name, value in change.items():
        setattr(pkg, name, value)
    return outgoing.signed_bytes(app.registry.archive_settings, signer, edxml.encode_package(pkg))


def zipped(name, content):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, content)
    return base64.b64encode(buf.getvalue())


def with_first_attachment(data, encoded):
    return re.sub(rb'(<edXML:ContentTransferEncoded>)[^<]*', lambda m: m.group(1) + encoded, data, count=1)


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                  b'<edXML:edXML xmlns:edXML="' + NS + b'">&lol2;</edXML:edXML>')
XXE = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
       b'<edXML:edXML xmlns:edXML="' + NS + b'">&e;</edXML:edXML>')

CASES = {
    'malformed XML': (lambda app, d: b'<edXML:edXML xmlns:edXML="' + NS + b'"><unclosed>', 'malformed_xml'),
    'wrong namespace': (lambda app, d: package(app, d).replace(NS, b'urn:not-edxml'), 'wrong_namespace'),
    'missing edXML: prefixes': (lambda app, d: re.sub(rb'(</?)edXML:edXMLEnvelope', rb'\1edXMLEnvelope',
                                                      package(app, d)).replace(
        b'<edXMLEnvelope>', b'<edXMLEnvelope xmlns="urn:other">'), 'wrong_namespace'),
    'no receiver': (lambda app, d: re.sub(rb'<edXML:To>.*?</edXML:To>', b'', package(app, d), flags=re.S),
                    'no_receiver'),
    'no document': (lambda app, d: re.sub(rb'<edXML:Attachment>.*?</edXML:Attachment>', b'', package(app, d),
                                          flags=re.S), 'no_document'),
    'DOCTYPE with entity expansion': (lambda app, d: BILLION_LAUGHS, 'doctype_forbidden'),
    'external entity': (lambda app, d: XXE, 'doctype_forbidden'),
    'over the size limit': (lambda app, d: package(app, d) + b' ' * (receive.limits_of(
        app.registry.archive_settings).max_package_bytes), 'too_large'),
    'base64 that does not decode': (lambda app, d: with_first_attachment(package(app, d), b'@@@not-base64@@@'),
                                    'bad_base64'),
    'a zip that expands beyond its limit': (lambda app, d: with_first_attachment(
        package(app, d), zipped('bomb.pdf', b'\0' * (8 << 20))), 'zip_too_large'),
    'a zip holding ../ paths': (lambda app, d: with_first_attachment(
        package(app, d), zipped('../../etc/evil.pdf', b'%PDF-1.4 evil')), 'zip_path_unsafe'),
    'a body this instance does not host': (lambda app, d: package(
        app, d, to=[edxml.Organ('000.00.00.G22', 'Văn phòng Chính phủ')]), 'wrong_address'),
    'a signature that fails': (lambda app, d: package(app, d).replace(
        'Văn bản thử đầu vào xấu'.encode(), 'Văn bản đã bị sửa đổi'.encode()), 'signature_invalid'),
    'a signer that is not the sender': (lambda app, d: package(app, d, signer=BTC), 'signer_unknown'),
    'Tối mật': (lambda app, d: package(app, d, classification='toi_mat'), 'classification_refused'),
    'unsigned': (lambda app, d: re.sub(rb'<ds:Signature.*</ds:Signature>', b'', package(app, d), flags=re.S),
                 'unsigned'),
}


@pytest.mark.parametrize('case', list(CASES))
def test_bad_packages_are_refused_journaled_and_leave_nothing(exchange_app, sent, case):
    app = exchange_app
    make, code = CASES[case]
    data = make(app, sent['id'])
    with Session(app) as root:
        before = len(root['bodies'][BTG].documents), len(root.exchange.received), len(root.exchange.taken_in)
    with pytest.raises(receive.Refused) as info:
        receive.accept(app.registry, data, 'test')
    assert info.value.code == code, f'{info.value.code}: {info.value.message_vi}'
    assert info.value.message_vi and info.value.message_vi != code
    with Session(app) as root:
        after = len(root['bodies'][BTG].documents), len(root.exchange.received), len(root.exchange.taken_in)
        assert after == before                                   # nothing half-stored
        entry = audit.entries(root, receive.CHAIN)[-1]
    assert entry['action'] == 'package_refused' and entry['details']['code'] == code
    assert entry['details']['package_sha256'] == hashlib.sha256(data).hexdigest()
    assert 'Văn bản thử' not in str(entry)                         # the reason and the hash, no content


def test_a_status_for_an_unknown_document_and_a_recall_by_another_body(exchange_app, sent):
    app = exchange_app
    status = edxml.Status(response_for=edxml.ResponseFor(HOST_CODE, '1', 'CV/VPTU', None, 'khong-co'),
                          from_organ=edxml.Organ(BTG, 'Ban Tuyên giáo Thành ủy'), status_code='03')
    data = outgoing.signed_bytes(app.registry.archive_settings, BTG, edxml.encode_status(status))
    with pytest.raises(receive.Refused) as info:
        receive.accept(app.registry, data, 'test', kind='status')
    assert info.value.code == 'status_unknown_document'
    worker.run_round(app.registry)
    with Session(app) as root:
        doc = root['bodies'][HOST_CODE].documents[sent['id']]
        pkg = recall.recall_package(root, doc, root['bodies'][BTG], 'Giả danh', app.registry.archive_settings)
    pkg.from_organ = edxml.Organ(BTC, 'Ban Tổ chức Thành ủy')
    forged = outgoing.signed_bytes(app.registry.archive_settings, BTC, edxml.encode_package(pkg))
    with pytest.raises(receive.Refused) as info:
        receive.accept(app.registry, forged, 'test')
    assert info.value.code == 'recall_not_from_sender'
    with Session(app) as root:
        codes = [e['details']['code'] for e in audit.entries(root, receive.CHAIN)]
        assert codes[-2:] == ['status_unknown_document', 'recall_not_from_sender']
        assert received(root, BTG, pkg.document_id)[0].state == 'arrived'


def test_a_document_the_worker_could_not_package_is_refused_at_submission_naming_the_field(exchange_app):
    """No signer named: the edXML header would not validate. *Trình duyệt* says so (409, the
    field named in Vietnamese), before the leader approves and the clerk numbers and signs it
    (issue 17: *Gửi* said it only at the last step, with the raw field key); nothing is queued."""
    from archive.exchange import deliveries

    from ..conftest import client
    from ..helpers import multipart, pdf
    from .test_exchange_local import API
    clerk = client(exchange_app, 'vanthu')
    values = {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'CV', 'holder_unit': 'TH',
              'abstract': 'Chưa ghi người ký', 'send_to': [BTG]}
    params, files = multipart(values, ('cong-van.pdf', pdf('Chua ghi nguoi ky')))
    doc = clerk.post(API, params, upload_files=files, headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    res = clerk.post_json(f"{API}/{doc['id']}/transitions/submit", {}, headers={'X-CSRF-Token': clerk.csrf},
                          status=409)
    assert [(e['field'], e['code']) for e in res.json['errors']] == [('signer_name', 'signer_required')]
    assert 'Người ký' in res.json['errors'][0]['message'] and 'signer_name' not in res.json['errors'][0]['message']
    with Session(exchange_app) as root:
        assert deliveries.of_document(root, HOST_CODE, doc['id']) == []
        assert root['bodies'][HOST_CODE].documents[doc['id']].state == 'draft'
