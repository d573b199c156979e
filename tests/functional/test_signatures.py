"""The origin check on intake, through the real app: real keys, a real CA, real PDFs.

A test CA is the trust root (written where ``archive.trust_roots`` points); Ban Tổ chức has
its organisation signing certificate registered; documents come in through the API (one
through the form's later upload) and are registered, or refused, by the clerk."""
import pytest
import transaction
from asn1crypto import keys as asn1_keys
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from archive.services.certificates import register_certificate
from archive.signing import ca
from archive.signing.pades import sign_pdf, to_asn1

from ..conftest import HOST_CODE, base_settings, client, close_app, file_uri, make_app, open_root, trusting_app
from ..helpers import incoming, multipart, pdf

API = f'/api/v1/bodies/{HOST_CODE}/documents'
SENDER = '000.00.02.H01'


def _signer(authority, key, cert):
    return SimpleSigner(
        signing_cert=to_asn1(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs([to_asn1(authority.certificate)]))


class PKI:
    def __init__(self):
        self.authority = ca.make_ca('CA kiểm thử', algorithm='ec-p256')
        self.stranger = ca.make_ca('CA lạ', algorithm='ec-p256')          # not a trust root
        self.signers = {}
        for name, authority in (('sender', self.authority), ('other', self.authority),
                                ('untrusted', self.stranger)):
            key = ca.new_private_key('ec-p256')
            cert = ca.issue(authority, key.public_key(), f'C=VN,O=Thử nghiệm,CN={name}', ca.ORG_SIGN)
            self.signers[name] = (cert, _signer(authority, key, cert))

    def signed(self, who, text='Van ban ky so'):
        return sign_pdf(pdf(text), self.signers[who][1], field_name='ChuKyToChuc')


@pytest.fixture(scope='module')
def pki():
    return PKI()


@pytest.fixture
def sig_app(tmp_path, pki):
    application = trusting_app(tmp_path, pki.authority.pem(), lambda root, _app: register_certificate(
        root, root['bodies'][SENDER], ca.to_pem(pki.signers['sender'][0]), 'org-sign', 'test'))
    yield application
    close_app(application)


@pytest.fixture
def sig_clerk(sig_app):
    return client(sig_app, 'vanthu')


def _take_in(c, content, **over):
    params, files = multipart(incoming(**over), ('van-ban.pdf', content))
    return c.post(API, params, upload_files=files, headers={'X-CSRF-Token': c.csrf}, status=201).json


def _register(c, doc_id, status=200, **data):
    return c.post_json(f'{API}/{doc_id}/transitions/register', data, headers={'X-CSRF-Token': c.csrf},
                       status=status)


def test_validly_signed_document_is_valid_and_registers(sig_clerk, pki):
    doc = _take_in(sig_clerk, pki.signed('sender'))
    assert doc['origin_verdict'] == 'valid' and doc['legal_value'] == 'legally_valid'
    assert doc['signature']['code'] == 'valid' and doc['origin_checked_at'] == doc['signature']['checked_at']
    assert doc['signature']['signatures'][0]['signer_name'] == 'sender'
    page = sig_clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}")
    assert 'Văn bản có chữ ký số hợp lệ.' in page.text and 'chỉ có giá trị tham khảo' not in page.text
    assert 'data-signature="valid"' in sig_clerk.get(f'/bodies/{HOST_CODE}').text
    assert _register(sig_clerk, doc['id']).json['status'] == 'registered'
    history = sig_clerk.get(f"{API}/{doc['id']}/history").json['items']
    assert [e['action'] for e in history] == ['created', 'origin_checked', 'register']


def test_unsigned_document_is_reference_only_and_registers(sig_clerk):
    doc = _take_in(sig_clerk, pdf('Khong ky'))
    assert doc['origin_verdict'] == 'unsigned' and doc['legal_value'] == 'reference_only'
    page = sig_clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}")
    assert 'chỉ có giá trị tham khảo' in page.text and 'data-legal="reference_only"' in page.text
    assert _register(sig_clerk, doc['id']).json['status'] == 'registered'


@pytest.mark.parametrize('case, code', [('tampered', 'modified_after_signing'),
                                        ('untrusted', 'untrusted_chain')])
def test_invalid_document_is_refused_until_overridden_with_a_reason(sig_clerk, pki, case, code):
    if case == 'tampered':
        content = bytearray(pki.signed('sender', 'Noi dung goc'))
        at = content.index(b'Noi dung goc')
        content[at:at + 3] = b'Mai'
        content = bytes(content)
    else:
        content = pki.signed('untrusted')
    doc = _take_in(sig_clerk, content)
    assert doc['origin_verdict'] == 'invalid' and doc['signature']['code'] == code
    reason = doc['signature']['reason']
    assert doc['legal_value'] == 'reference_only'
    page = sig_clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}")
    assert reason in page.text and 'chỉ có giá trị tham khảo' in page.text
    refused = _register(sig_clerk, doc['id'], status=409).json
    assert refused['error'] == 'transition_refused' and 'override_origin' in refused['message']
    assert sig_clerk.get(f"{API}/{doc['id']}").json['status'] == 'arrived'
    done = _register(sig_clerk, doc['id'], override_origin='Đã xác minh bản giấy với cơ quan gửi').json
    assert done['status'] == 'registered' and done['legal_value'] == 'reference_only'
    entry = sig_clerk.get(f"{API}/{doc['id']}/history").json['items'][-1]
    assert entry['action'] == 'register'
    assert entry['details']['override_origin'] == 'Đã xác minh bản giấy với cơ quan gửi'
    assert entry['details']['origin_code'] == code
    assert 'Đã xác minh bản giấy với cơ quan gửi' in sig_clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}").text


def test_certificate_not_registered_for_the_sender_is_invalid(sig_clerk, pki):
    doc = _take_in(sig_clerk, pki.signed('other'))
    assert doc['signature']['code'] == 'not_registered_for_sender'
    _register(sig_clerk, doc['id'], status=409)


def test_main_file_added_later_is_checked(sig_clerk, pki):
    doc = sig_clerk.post_json(API, incoming(), headers={'X-CSRF-Token': sig_clerk.csrf}, status=201).json
    assert doc['origin_verdict'] == 'not_verified' and doc['signature'] is None
    res = sig_clerk.post(f"{API}/{doc['id']}/files", upload_files=[('main_file', 'a.pdf', pki.signed('sender'))],
                         headers={'X-CSRF-Token': sig_clerk.csrf})
    assert sig_clerk.get(f"{API}/{doc['id']}").json['origin_verdict'] == 'valid', res.text


def test_certificates_are_registered_once_and_garbage_refused(sig_app, pki):
    import colander
    conn, root = open_root(sig_app)
    try:
        body = root['bodies'][SENDER]
        with pytest.raises(colander.Invalid):
            register_certificate(root, body, b'not a certificate', 'org-sign', 'test')
        with pytest.raises(colander.Invalid):
            register_certificate(root, body, ca.to_pem(pki.signers['sender'][0]), 'org-sign', 'test')
        with pytest.raises(colander.Invalid):
            register_certificate(root, body, ca.to_pem(pki.signers['other'][0]), 'person', 'test')
        assert [r.kind for r in body.certificates.values()] == ['org-sign'] * 3   # the demo's two, ours
    finally:
        transaction.abort()
        conn.transaction_manager.abort()
        conn.close()


@pytest.mark.storage
def test_demo_shows_a_valid_signature(clerk):
    items = clerk.get(API).json['items']
    first = next(d for d in items if d['number_symbol'] == '245-HD/BTCTU')
    assert first['origin_verdict'] == 'valid' and first['legal_value'] == 'legally_valid'
    second = next(d for d in items if d['number_symbol'] == '7816/VPCP-TTĐT')
    assert second['origin_verdict'] == 'unsigned'


@pytest.fixture
def keyless_sig_app(tmp_path, pki):
    """Trust roots but no key store: the leader signs on a token of their own, elsewhere."""
    trust = tmp_path / 'trust'
    trust.mkdir()
    (trust / 'ca.pem').write_bytes(pki.authority.pem())
    application = make_app(base_settings(tmp_path, file_uri(tmp_path), **{
        'archive.trust_roots': f'{trust}/*.pem', 'archive.keystore': None}))
    yield application
    close_app(application)


def _draft(c, content):
    values = {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'TTr', 'holder_unit': 'TH',
              'abstract': 'Tờ trình đã ký ở nơi khác', 'signer_name': 'Trần Văn Lãnh Đạo'}
    params, files = multipart(values, ('to-trinh.pdf', content))
    return c.post(API, params, upload_files=files, headers={'X-CSRF-Token': c.csrf}, status=201).json


def test_outgoing_pdf_signed_elsewhere_is_verified_but_another_certificate_is_no_approval(keyless_sig_app, pki):
    """Signed elsewhere with a certificate that is not the approving leader's registered personal
    one (here an organisation's): verified, kept, but no approval (issue 11, item 11; the leader's
    own certificate counts: tests/functional/test_legal_status.py)."""
    processor, leader = client(keyless_sig_app, 'chuyenvien'), client(keyless_sig_app, 'lanhdao')
    unsigned = _draft(processor, pdf('Du thao chua ky'))
    assert unsigned['origin_verdict'] is None                 # an unsigned draft: nothing to say yet
    doc = _draft(processor, pki.signed('sender', 'To trinh da ky'))
    assert doc['origin_verdict'] == 'valid' and doc['signature']['signatures'][0]['signer_name'] == 'sender'
    processor.post_json(f"{API}/{doc['id']}/transitions/submit", {}, headers={'X-CSRF-Token': processor.csrf})
    approved = leader.post_json(f"{API}/{doc['id']}/transitions/approve", {},
                                headers={'X-CSRF-Token': leader.csrf}).json
    assert (approved['legal_value'], approved['legal_code']) == ('reference_only', 'approval_not_signed')
    details = {e['action']: e['details'] for e in leader.get(f"{API}/{doc['id']}/history").json['items']}
    assert details['approve']['approval_signed'] is False
    assert details['approve']['approval_not_signed_because'] == 'not_the_approvers_signature'
    assert [f['role'] for f in approved['files']] == ['main']   # nothing re-signed: the file is as uploaded


def test_outgoing_pdf_signed_elsewhere_but_changed_is_invalid_and_approval_unsigned(keyless_sig_app, pki):
    processor, leader = client(keyless_sig_app, 'chuyenvien'), client(keyless_sig_app, 'lanhdao')
    signed = bytearray(pki.signed('sender', 'To trinh da ky'))
    at = signed.index(b'To trinh da ky')
    signed[at] = ord('X')                                      # one byte inside the signed range
    doc = _draft(processor, bytes(signed))
    assert doc['origin_verdict'] == 'invalid' and doc['legal_value'] == 'reference_only'
    processor.post_json(f"{API}/{doc['id']}/transitions/submit", {}, headers={'X-CSRF-Token': processor.csrf})
    approved = leader.post_json(f"{API}/{doc['id']}/transitions/approve", {},
                                headers={'X-CSRF-Token': leader.csrf}).json
    assert approved['legal_value'] == 'reference_only'
    page = leader.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}")
    assert 'data-signature="invalid"' in page.text
