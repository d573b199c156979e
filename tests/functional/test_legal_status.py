"""Legal value decided once (services/legal.py) and obeyed everywhere, through the real app.

Real keys: the demo key store (the leader ``lanhdao``'s personal key, the office's and Ban Tổ
chức's organisation keys, issued by the demo CA, which the demo database trusts) and a test CA of
our own written where ``archive.trust_roots`` points, for an expired leader certificate. A second
leader, ``lanhdao2``, has no personal key. Real PDFs signed here.
"""
import datetime as dt
import re

import pytest
from asn1crypto import keys as asn1_keys
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from archive import clock
from archive.services import directory
from archive.signing import ca
from archive.signing.pades import sign_pdf, to_asn1

from ..conftest import HOST_CODE, PASSWORD, base_settings, client, close_app, file_uri, make_app, trusting_app
from ..helpers import incoming, multipart, pdf

API = f'/api/v1/bodies/{HOST_CODE}/documents'
BTC = '000.00.02.H01'                       # Ban Tổ chức: in the directory, its org-sign key registered
NOT_IN_DIRECTORY = '000.00.77.H77'


def _signer(key, cert, *chain):
    return SimpleSigner(
        signing_cert=to_asn1(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs([to_asn1(c) for c in chain]))


class PKI:
    def __init__(self):
        now = clock.now()
        self.authority = ca.make_ca('CA kiểm thử pháp lý', algorithm='ec-p256',
                                    not_before=now - dt.timedelta(days=800))
        key = ca.new_private_key('ec-p256')
        cert = ca.issue(self.authority, key.public_key(), 'C=VN,CN=Lê Văn Hết Hạn', ca.PERSON_SIGN,
                        not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=30))
        self.lapsed = _signer(key, cert, self.authority.certificate)
        own = ca.make_ca('Tự Ký', algorithm='ec-p256')                # self-signed, under no root
        self.self_signed = _signer(own.key, own.certificate)


@pytest.fixture(scope='module')
def pki():
    return PKI()


@pytest.fixture
def legal_app(tmp_path, pki):
    def second_leader(root, application):
        directory.add_user(root, {'login': 'lanhdao2', 'full_name': 'Võ Văn Lãnh Đạo Hai', 'roles': ['leader'],
                                  'body_code': HOST_CODE, 'password': PASSWORD}, application.registry.archive_settings,
                           'test')
    application = trusting_app(tmp_path, pki.authority.pem(), second_leader)
    yield application
    close_app(application)


@pytest.fixture
def people(legal_app):
    return {login: client(legal_app, login) for login in ('vanthu', 'lanhdao', 'lanhdao2', 'chuyenvien')}


def store_signed(app, key_id, text, field='ChuKyLanhDao', **kw):
    """A PDF signed elsewhere with a key of the demo store (as the owner's own token would)."""
    return sign_pdf(pdf(text), app.registry.archive_keystore.signer(key_id), field_name=field, **kw)


def act(c, doc_id, action, status=200, **data):
    return c.post_json(f'{API}/{doc_id}/transitions/{action}', data, headers={'X-CSRF-Token': c.csrf},
                       status=status)


def draft(c, content, receivers=(BTC,)):
    values = {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'TTr', 'holder_unit': 'TH',
              'abstract': 'Tờ trình đã ký ở nơi khác', 'send_to': list(receivers),
              'signer_name': 'Trần Văn Lãnh Đạo', 'signer_position': 'Chánh Văn phòng'}
    params, files = multipart(values, ('to-trinh.pdf', content))
    return c.post(API, params, upload_files=files, headers={'X-CSRF-Token': c.csrf}, status=201).json


def take_in(c, content=None, **over):
    """An incoming document through the API; without ``content``, one entered by hand (paper)."""
    if content is None:
        return c.post_json(API, incoming(**over), headers={'X-CSRF-Token': c.csrf}, status=201).json
    params, files = multipart(incoming(**over), ('van-ban.pdf', content))
    return c.post(API, params, upload_files=files, headers={'X-CSRF-Token': c.csrf}, status=201).json


def history(c, doc_id):
    return {e['action']: e['details'] for e in c.get(f'{API}/{doc_id}/history').json['items']}


LEGAL_ON_PAGE = re.compile(r'<p class="legal (?:valid|reference)" data-legal="(\w+)"')


def page_legal(c, doc_id):
    """What the document's page says of its legal value, and whether it shows a green badge."""
    text = c.get(f'/bodies/{HOST_CODE}/documents/{doc_id}').text
    found = LEGAL_ON_PAGE.findall(text)
    assert len(found) == 1, found
    return found[0], 'sig-valid' in text, text


def through_approval(people, doc_id, leader='lanhdao'):
    act(people['chuyenvien'], doc_id, 'submit')
    return act(people[leader], doc_id, 'approve').json


# -- 11. the approval is the approving leader's own signature ------------------------------------

def test_another_bodys_organisation_certificate_is_no_approval_and_cannot_be_sent(legal_app, people):
    clerk = people['vanthu']
    doc = draft(people['chuyenvien'], store_signed(legal_app, f'org-sign:{BTC}', 'Ky boi co quan khac'))
    assert doc['origin_verdict'] == 'valid'                   # a sound signature, but not an approval
    assert (doc['legal_value'], doc['legal_code']) == ('reference_only', 'approval_not_signed')
    approved = through_approval(people, doc['id'], leader='lanhdao2')          # no personal key
    assert (approved['legal_value'], approved['legal_code']) == ('reference_only', 'approval_not_signed')
    details = history(clerk, doc['id'])['approve']
    assert details['approval_signed'] is False
    assert details['approval_not_signed_because'] == 'not_the_approvers_signature'
    act(clerk, doc['id'], 'number')
    signed = act(clerk, doc['id'], 'sign').json
    assert signed['origin_verdict'] == 'valid'                # both signatures hold ...
    assert (signed['legal_value'], signed['legal_code']) == ('reference_only', 'approval_not_signed')
    refused = act(clerk, doc['id'], 'send', status=409).json  # ... but it is no approved document
    assert refused['error'] == 'not_legally_valid' and 'approval_not_signed' in refused['message']
    assert 'lãnh đạo duyệt bằng chứng thư số cá nhân đã đăng ký' in refused['message']
    assert clerk.get(f"{API}/{doc['id']}").json['status'] == 'signed'
    legal, green, _ = page_legal(clerk, doc['id'])
    assert (legal, green) == ('reference_only', False)


def test_a_leaders_signature_is_no_approval_by_another_leader(legal_app, people):
    doc = draft(people['chuyenvien'], store_signed(legal_app, 'person:lanhdao', 'Ky boi lanh dao khac'))
    through_approval(people, doc['id'], leader='lanhdao2')
    assert history(people['vanthu'], doc['id'])['approve']['approval_signed'] is False
    act(people['vanthu'], doc['id'], 'number')
    act(people['vanthu'], doc['id'], 'sign')
    assert act(people['vanthu'], doc['id'], 'send', status=409).json['error'] == 'not_legally_valid'


def test_signed_elsewhere_with_the_approvers_registered_certificate_counts(legal_app, people):
    clerk = people['vanthu']
    doc = draft(people['chuyenvien'], store_signed(legal_app, 'person:lanhdao', 'Lanh dao da ky'))
    approved = through_approval(people, doc['id'])
    details = history(clerk, doc['id'])['approve']
    assert details['approval_signed'] is True and details['signed_elsewhere'] is True
    assert [f['role'] for f in approved['files']] == ['main']     # kept as uploaded, not signed again
    assert (approved['legal_value'], approved['legal_code']) == ('reference_only', 'not_organisation_signed')
    act(clerk, doc['id'], 'number')
    signed = act(clerk, doc['id'], 'sign').json
    assert (signed['legal_value'], signed['legal_code']) == ('legally_valid', 'valid')
    assert [s['role'] for s in signed['signature']['signatures']] == ['leader', 'organisation']
    sent = act(clerk, doc['id'], 'send').json
    assert sent['status'] == 'sent'
    # Ban Tổ chức receives it (the hosted route, the same receiving path): both signatures judged
    from archive.exchange import worker
    worker.run_round(legal_app.registry)
    btc = client(legal_app, 'vanthu.btc')
    [arrived] = [d for d in btc.get(f'/api/v1/bodies/{BTC}/documents').json['items']
                 if d['abstract'] == sent['abstract'] and d['direction'] == 'incoming']
    assert (arrived['legal_value'], arrived['signature']['code']) == ('legally_valid', 'valid')
    assert [(s['role'], s['code']) for s in arrived['signature']['signatures']] == [
        ('leader', 'valid'), ('organisation', 'valid')]


# -- 12. no sending with a verdict that is not valid ----------------------------------------------

def _tampered(app):
    signed = bytearray(store_signed(app, 'person:lanhdao', 'Noi dung goc'))
    at = signed.index(b'Noi dung goc')
    signed[at:at + 3] = b'Moi'
    return bytes(signed)


@pytest.mark.parametrize('case, code', [('tampered', 'modified_after_signing'), ('expired', 'expired'),
                                        ('self_signed', 'untrusted_chain')])
def test_send_is_refused_with_the_reason_when_the_verdict_is_not_valid(legal_app, people, pki, case, code):
    clerk = people['vanthu']
    # the tampered draft carries its signature in the leader's field: the approval takes the next one
    content = {'tampered': lambda: _tampered(legal_app),
               'expired': lambda: sign_pdf(pdf('Het han'), pki.lapsed, field_name='ChuKyDuThao',
                                           now=clock.now() - dt.timedelta(days=60)),
               'self_signed': lambda: sign_pdf(pdf('Tu ky'), pki.self_signed, field_name='ChuKyDuThao')}[case]()
    doc = draft(people['chuyenvien'], content)
    approved = through_approval(people, doc['id'])            # the leader signs it with the store's key
    assert history(clerk, doc['id'])['approve']['approval_signed'] is True
    assert len(approved['files']) == 2
    act(clerk, doc['id'], 'number')
    signed = act(clerk, doc['id'], 'sign').json
    assert signed['status'] == 'signed' and signed['origin_verdict'] == 'invalid'
    assert signed['signature']['code'] == code
    refused = act(clerk, doc['id'], 'send', status=409).json
    assert refused['error'] == 'not_legally_valid'
    assert code in refused['message'] and signed['signature']['reason'] in refused['message']
    assert clerk.get(f"{API}/{doc['id']}").json['status'] == 'signed'
    assert 'send' not in history(clerk, doc['id'])


# -- 13. the receiving check ------------------------------------------------------------------------

def test_first_signature_bad_is_named_with_its_role_at_intake(legal_app, people, pki):
    leader = sign_pdf(pdf('Hai chu ky'), pki.lapsed, field_name='ChuKyLanhDao', now=clock.now() - dt.timedelta(days=60))
    both = sign_pdf(leader, legal_app.registry.archive_keystore.signer(f'org-sign:{BTC}'), field_name='ChuKyToChuc')
    doc = take_in(people['vanthu'], both)
    assert doc['origin_verdict'] == 'invalid' and doc['signature']['code'] == 'expired'
    assert [s['role'] for s in doc['signature']['signatures']] == ['leader', 'organisation']
    assert [s['code'] for s in doc['signature']['signatures']] == ['expired', 'valid']
    assert 'lãnh đạo Lê Văn Hết Hạn' in doc['signature']['reason']
    assert doc['legal_value'] == 'reference_only'


def test_sender_not_in_the_directory_is_never_legally_valid(legal_app, people):
    content = store_signed(legal_app, f'org-sign:{BTC}', 'Co quan la', field='ChuKyToChuc')
    known = take_in(people['vanthu'], content)                 # the same file from the body it is
    assert known['legal_value'] == 'legally_valid'
    doc = take_in(people['vanthu'], content, organ_id=NOT_IN_DIRECTORY, sender='Cơ quan lạ')
    assert doc['origin_verdict'] == 'invalid' and doc['signature']['code'] == 'not_registered_for_sender'
    assert (doc['legal_value'], doc['legal_code']) == ('reference_only', 'not_registered_for_sender')
    legal, green, _ = page_legal(people['vanthu'], doc['id'])
    assert (legal, green) == ('reference_only', False)


def test_a_signing_time_in_the_future_is_refused_at_intake(legal_app, people):
    ahead = clock.now() + dt.timedelta(hours=2)
    doc = take_in(people['vanthu'], store_signed(legal_app, f'org-sign:{BTC}', 'Tuong lai', field='ChuKyToChuc',
                                                 now=ahead))
    assert doc['signature']['code'] == 'signing_time_in_future'
    sig = doc['signature']['signatures'][0]
    assert sig['signing_time'] is None and sig['claimed_time'] == clock.iso(ahead)
    _, _, text = page_legal(people['vanthu'], doc['id'])
    assert 'thời điểm ký</span> —' in text                   # the page shows no signing time for it


# -- 14. page and API agree, in every state --------------------------------------------------------

def test_page_and_api_agree_in_every_state(legal_app, people):
    clerk = people['vanthu']

    def check(doc_id, expected):
        api = clerk.get(f'{API}/{doc_id}').json['legal_value']
        legal, green, text = page_legal(clerk, doc_id)
        assert (api, legal, green) == (expected, expected, expected == 'legally_valid'), doc_id
        if expected == 'reference_only':
            assert 'chỉ có giá trị tham khảo' in text
        return text

    paper = take_in(clerk, channel='paper')
    check(paper['id'], 'reference_only')
    check(take_in(clerk, pdf('Khong ky'), number_symbol='918-TTr/BTCTU')['id'], 'reference_only')
    check(take_in(clerk, store_signed(legal_app, f'org-sign:{BTC}', 'Den hop le', field='ChuKyToChuc'),
                  number_symbol='919-TTr/BTCTU')['id'],
          'legally_valid')

    unsigned = draft(people['chuyenvien'], pdf('Du thao'))
    check(unsigned['id'], 'reference_only')
    doc = draft(people['chuyenvien'], store_signed(legal_app, 'person:lanhdao', 'Du thao da ky'))
    text = check(doc['id'], 'reference_only')                # a signed draft is not shown green
    assert 'data-signature="valid"' in text
    act(people['chuyenvien'], doc['id'], 'submit')
    check(doc['id'], 'reference_only')
    act(people['lanhdao'], doc['id'], 'approve')
    check(doc['id'], 'reference_only')
    act(clerk, doc['id'], 'number')
    check(doc['id'], 'reference_only')
    act(clerk, doc['id'], 'sign')
    check(doc['id'], 'legally_valid')
    act(clerk, doc['id'], 'send')
    check(doc['id'], 'legally_valid')


def test_the_clock_skew_is_a_setting(tmp_path):
    from archive import settings as archive_settings
    loaded = archive_settings.load(base_settings(tmp_path, file_uri(tmp_path)))
    assert loaded.signature_clock_skew_seconds == 300
    loaded = archive_settings.load(base_settings(tmp_path, file_uri(tmp_path),
                                                 **{'archive.signature_clock_skew_seconds': '10800'}))
    assert loaded.signature_clock_skew_seconds == 10800
    for bad in ('-1', 'five minutes'):
        with pytest.raises(ValueError, match='archive.signature_clock_skew_seconds'):
            archive_settings.load(base_settings(tmp_path, file_uri(tmp_path),
                                                **{'archive.signature_clock_skew_seconds': bad}))


def test_a_wider_clock_skew_setting_accepts_the_same_claim(tmp_path):
    application = make_app(base_settings(tmp_path, file_uri(tmp_path),
                                         **{'archive.signature_clock_skew_seconds': '10800'}))
    try:
        clerk = client(application, 'vanthu')
        ahead = clock.now() + dt.timedelta(hours=2)
        doc = take_in(clerk, store_signed(application, f'org-sign:{BTC}', 'Tuong lai', field='ChuKyToChuc',
                                          now=ahead))
        assert doc['signature']['code'] == 'valid' and doc['legal_value'] == 'legally_valid'
    finally:
        close_app(application)
