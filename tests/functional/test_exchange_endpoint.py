"""The exchange endpoint another instance posts to (Art. 7): real signed packages and statuses
POSTed over HTTP (WebTest) to the real app on a FileStorage, real keys; signed receipts checked
as the sender checks them; every refusal with its code and nothing stored."""
import base64
import io
import json
import re

import pytest
from webob import Request

from archive import audit
from archive.exchange import edxml, outgoing, receipts, receive, worker
from archive.services.certificates import sender_org_certs, trust_roots
from archive.signing import ca

from ..conftest import HOST_CODE, client
from .test_exchange_bad_input import package
from .test_exchange_local import BTG, Session, exchange_app, received, rows, send  # noqa: F401

PACKAGES, STATUSES = '/exchange/v1/packages', '/exchange/v1/statuses'
XML = {'Content-Type': 'application/xml; charset=utf-8'}


@pytest.fixture
def app(exchange_app):
    """The exchange app, its test CA (the issuer of the receiving bodies' keys) among the demo
    trust roots, as an operator would list the other instances' CA in ``archive.trust_roots``."""
    authority = exchange_app.registry.archive_keystore.chain(f'org-sign:{BTG}')[-1]
    with Session(exchange_app) as root:
        root.demo_trust_roots = tuple(root.demo_trust_roots) + (ca.to_pem(authority),)
    return exchange_app


@pytest.fixture
def web(app):
    """A client with no login, no cookie, no CSRF token: another instance."""
    return client(app)


@pytest.fixture
def sent(app):
    return send(app, [BTG], abstract='Văn bản gửi qua điểm nhận')


def stored(app):
    """What a refusal must leave unchanged."""
    with Session(app) as root:
        return (len(root['bodies'][BTG].documents), len(root.exchange.received),
                len(root.exchange.taken_in), sum(len(d.statuses) for d in root.exchange.deliveries.values()))


def last_refusal(app):
    with Session(app) as root:
        return audit.entries(root, receive.CHAIN)[-1]


def checked(app, answer, body_code):
    """The receipt, checked as the sender checks it: the trust roots, the body's registered keys."""
    with Session(app) as root:
        roots = trust_roots(root, app.registry.archive_settings)
        allowed = sender_org_certs(root, body_code)
    return receipts.check_receipt(answer, roots, allowed)


def document_id_of(app, doc_id):
    with Session(app) as root:
        doc = root['bodies'][HOST_CODE].documents[doc_id]
        from archive.exchange import mapping
        return doc.document_id or mapping.document_id_of(doc)


def test_a_package_gets_a_signed_receipt_and_arrives_and_again_the_same(app, web, sent):
    data = package(app, sent['id'])
    res = web.post(PACKAGES, data, headers=XML, status=200)
    assert res.content_type == 'application/json' and 'Set-Cookie' not in res.headers
    receipt = checked(app, res.body, BTG)
    assert receipt['kind'] == 'package' and receipt['signed_by'] == BTG
    assert receipt['sha256'] == res.json['receipt']['sha256'] and receipt['sender'] == HOST_CODE
    assert receipt['received_at'].endswith('+07:00') and 'again' not in res.json
    [only] = receipt['receivers']
    with Session(app) as root:
        [doc] = received(root, BTG, receipt['document_id'])
        assert doc.__name__ == only['document'] and only['body'] == BTG
        assert doc.state == 'arrived' and doc.exchange['route'] == 'instance'
        assert doc.origin_verdict['status'] == 'valid'

    again = web.post(PACKAGES, data, headers={'Content-Type': 'text/xml'}, status=200)
    assert checked(app, again.json, BTG) == receipt                  # the same receipt, signed again
    assert again.json['again'] is True
    with Session(app) as root:
        assert len(received(root, BTG, receipt['document_id'])) == 1

    # a receipt is proof only of what was signed, by whom it was signed
    with Session(app) as root:
        roots = trust_roots(root, app.registry.archive_settings)
        host_keys = sender_org_certs(root, HOST_CODE)
    with pytest.raises(receipts.ReceiptInvalid) as info:
        receipts.check_receipt(res.json, roots, host_keys)           # not the host's signature
    assert info.value.code == 'receipt_signer_not_registered'


def test_a_receipt_altered_or_its_signature_altered_is_invalid(app, web, sent):
    answer = web.post(PACKAGES, package(app, sent['id']), headers=XML, status=200).json
    checked(app, answer, BTG)
    changed = dict(answer, receipt=dict(answer['receipt'], receivers=[]))
    with pytest.raises(receipts.ReceiptInvalid) as info:
        checked(app, changed, BTG)
    assert info.value.code == 'receipt_content_changed' and info.value.message
    der = bytearray(base64.b64decode(answer['signature']))
    der[-10] ^= 0x01                                                  # inside the signature value
    with pytest.raises(receipts.ReceiptInvalid) as info:
        checked(app, dict(answer, signature=base64.b64encode(bytes(der)).decode()), BTG)
    assert info.value.code in ('receipt_signature_invalid', 'receipt_unreadable')
    for broken in ('not json', {'receipt': answer['receipt']}, dict(answer, signature='@@')):
        with pytest.raises(receipts.ReceiptInvalid) as info:
            checked(app, broken, BTG)
        assert info.value.code == 'receipt_malformed'


def test_a_status_for_a_delivered_document_reaches_the_senders_row(app, web, sent):
    worker.run_round(app.registry)                       # delivered on this instance; 01 back
    assert rows(app, sent['id'])[BTG][:2] == ('delivered', ['01'])
    document_id = document_id_of(app, sent['id'])
    status = edxml.Status(response_for=edxml.ResponseFor(HOST_CODE, document_id=document_id),
                          from_organ=edxml.Organ(BTG, 'Ban Tuyên giáo Thành ủy'), status_code='03',
                          staff=edxml.StaffInfo(staff='Văn thư Ban Tuyên giáo'))
    data = outgoing.signed_bytes(app.registry.archive_settings, BTG, edxml.encode_status(status))
    res = web.post(STATUSES, data, headers=XML, status=200)
    receipt = checked(app, res.json, HOST_CODE)           # signed by the body the status is about
    assert receipt['kind'] == 'status' and receipt['signed_by'] == HOST_CODE == receipt['sender']
    assert (receipt['document_id'], receipt['reporter'], receipt['code']) == (document_id, BTG, '03')
    assert rows(app, sent['id'])[BTG][:2] == ('delivered', ['01', '03'])
    web.post(STATUSES, data, headers=XML, status=200)     # the same message twice: recorded once
    assert rows(app, sent['id'])[BTG][:2] == ('delivered', ['01', '03'])


@pytest.mark.parametrize('body, content_type', [
    (b'just some text', 'text/plain'),
    (json.dumps({'document': 'x'}).encode(), 'application/json'),
    (b'a=1&b=2', 'application/x-www-form-urlencoded'),
    (b'<edXML/>', None),
])
def test_not_xml_is_415(app, web, sent, body, content_type):
    before = stored(app)
    headers = {'Content-Type': content_type} if content_type else {}
    res = web.post(PACKAGES, body, headers=headers, status=415)
    assert res.json['error'] == 'unsupported_media_type' and 'application/xml' in res.json['message']
    assert stored(app) == before


def test_text_posted_as_xml_is_refused_by_the_receiving_path(app, web):
    before = stored(app)
    res = web.post(PACKAGES, b'just some text', headers=XML, status=400)
    assert set(res.json) == {'error', 'message', 'refusal', 'signature'} and res.json['error'] == 'malformed_xml'
    assert res.json['message'].startswith('Gói tin không phải XML hợp lệ')
    res = web.post(PACKAGES + '?_LOCALE_=en', b'{"a": 1}', headers=XML, status=400)
    assert res.json['message'].startswith('The package is not well-formed XML')
    assert stored(app) == before and last_refusal(app)['details']['route'] == 'instance'


def test_unsigned_and_forged_packages_are_400_and_leave_nothing(app, web, sent):
    good = package(app, sent['id'])
    cases = {
        'unsigned': re.sub(rb'<ds:Signature.*</ds:Signature>', b'', good, flags=re.S),
        'signature_invalid': good.replace('Văn bản gửi qua điểm nhận'.encode(),
                                          'Văn bản đã bị sửa đổi giữa đường'.encode()),
    }
    for code, data in cases.items():
        before = stored(app)
        res = web.post(PACKAGES, data, headers=XML, status=400)
        assert res.json['error'] == code and res.json['message'] and res.json['message'] != code
        assert stored(app) == before
        entry = last_refusal(app)
        assert entry['details']['code'] == code and entry['details']['route'] == 'instance'
    res = web.post(STATUSES, good, headers=XML, status=400)          # a package is not a status
    assert res.json['error'] == 'not_a_status'


def _raw(app, environ_input, **environ):
    """A WSGI call with a body of our own (WebTest always sets Content-Length from the body)."""
    request = Request.blank(PACKAGES, method='POST', content_type='application/xml',
                            environ={'wsgi.input': environ_input, **environ})
    if 'CONTENT_LENGTH' not in environ:
        request.environ.pop('CONTENT_LENGTH', None)
    return request.get_response(app)


class Unreadable(io.RawIOBase):
    def readable(self):
        return True

    def readinto(self, b):
        raise AssertionError('the body was read')


class Counting(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.taken = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def test_too_large_is_413_by_content_length_unread_and_while_reading(app, sent):
    cap = receive.limits_of(app.registry.archive_settings).max_package_bytes
    before = stored(app)
    res = _raw(app, Unreadable(), CONTENT_LENGTH=str(cap + 1))
    assert res.status_int == 413 and res.json['error'] == 'too_large'
    body = Counting(package(app, sent['id']) + b' ' * cap)
    res = _raw(app, body, **{'wsgi.input_terminated': True})        # chunked: no Content-Length
    assert res.status_int == 413 and res.json['error'] == 'too_large'
    assert cap < body.taken <= cap + 1 and len(body.getvalue()) > body.taken
    assert stored(app) == before
    # a body up to the cap is read and goes to the receiving path
    res = _raw(app, Counting(package(app, sent['id'])), **{'wsgi.input_terminated': True})
    assert res.status_int == 200 and res.json['receipt']['receivers'][0]['body'] == BTG


def test_other_methods_are_405(app, web):
    for path in (PACKAGES, STATUSES):
        res = web.get(path, status=405)
        assert res.json['error'] == 'method_not_allowed' and res.headers['Allow'] == 'POST'
        assert web.put(path, b'<x/>', headers=XML, status=405).json['error'] == 'method_not_allowed'


def test_a_receipt_that_cannot_be_signed_is_503_and_the_next_try_gets_it(app, web, sent, monkeypatch):
    from archive.signing.keys import UnknownKey

    def no_key(store, key_id, data):
        raise UnknownKey(f'Không có khóa {key_id}', f'no key {key_id}')
    data = package(app, sent['id'])
    with monkeypatch.context() as m:
        m.setattr(receipts.cms, 'sign_detached', no_key)
        res = web.post(PACKAGES, data, headers=XML, status=503)
    assert res.json['error'] == 'receipt_not_signed' and res.headers['Retry-After']
    with Session(app) as root:
        [taken] = root.exchange.received.values()                    # taken in all the same
    res = web.post(PACKAGES, data, headers=XML, status=200)          # the sender tries again
    assert res.json['again'] is True and checked(app, res.json, BTG)['received_at'] == taken['received_at']


def test_a_package_for_a_body_not_hosted_here_gets_a_refusal_signed_by_the_instance(app, web, sent):
    """No body here is the addressee, so none can sign: the instance's own key does, and the
    sender can take the refusal as final by checking it against that certificate."""
    import hashlib

    from archive.signing.keys import fingerprint
    data = package(app, sent['id'])
    with Session(app) as root:                  # BTG now lives elsewhere: this is the wrong address
        root['bodies'][BTG].route, root['bodies'][BTG].address = 'instance', 'http://127.0.0.1:9'
        roots = trust_roots(root, app.registry.archive_settings)
        office = sender_org_certs(root, HOST_CODE)
    before = stored(app)
    res = web.post(PACKAGES, data, headers=XML, status=400)
    assert res.json['error'] == 'wrong_address' and stored(app) == before
    store = app.registry.archive_keystore
    instance_fp = fingerprint(store.certificate(receipts.INSTANCE_KEY))
    refusal = receipts.check_receipt(res.json, roots, [instance_fp], part='refusal')
    assert refusal['code'] == 'wrong_address' and refusal['signed_by'] == receipts.INSTANCE_KEY
    assert refusal['sha256'] == hashlib.sha256(data).hexdigest()
    with pytest.raises(receipts.ReceiptInvalid):        # a body's key is not the instance's
        receipts.check_receipt(res.json, roots, office, part='refusal')
    forged = dict(res.json, refusal=dict(res.json['refusal'], code='fields_invalid'))
    with pytest.raises(receipts.ReceiptInvalid):
        receipts.check_receipt(forged, roots, [instance_fp], part='refusal')
