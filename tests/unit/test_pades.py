"""PAdES signing and verifying with real keys, real certificates and real PDFs made here.

A test CA issues the leader's and the organisation's certificates and a time-stamp
authority's; a local RFC 3161 server on 127.0.0.1 stamps the signatures that need proven
times. No mocks."""
import datetime as dt
import io

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from archive.signing import pades
from archive.signing.pades import VN, SigningFailed, VisibleStamp, sign_pdf, verify_pdf
from archive.signing.tsa import LocalTSAServer, TimeStampAuthority

NOW = dt.datetime.now(VN).replace(microsecond=0)
MARKER = b'NOI-DUNG-GOC-0001'


# -- a small PKI made with cryptography ------------------------------------------------------

def _name(cn, org='Thành ủy Thử nghiệm'):
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, 'VN'),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def _key(kind='rsa'):
    if kind == 'ec':
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _cert(cn, key, issuer=None, *, usage='sign', not_before=None, not_after=None, org=None):
    """usage: 'ca', 'sign' (digitalSignature + nonRepudiation), 'tsa' or 'encrypt'."""
    not_before = not_before or NOW - dt.timedelta(days=1)
    not_after = not_after or NOW + dt.timedelta(days=365)
    subject = _name(cn, org) if org else _name(cn)
    issuer_cert, issuer_key = issuer if issuer else (None, key)
    b = (x509.CertificateBuilder()
         .subject_name(subject)
         .issuer_name(issuer_cert.subject if issuer_cert else subject)
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(not_before)
         .not_valid_after(not_after)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False))
    if issuer_cert is not None:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), False)
    ku = dict(digital_signature=False, content_commitment=False, key_encipherment=False,
              data_encipherment=False, key_agreement=False, key_cert_sign=False,
              crl_sign=False, encipher_only=False, decipher_only=False)
    if usage == 'ca':
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        ku.update(key_cert_sign=True, crl_sign=True, digital_signature=True)
    else:
        b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        b = b.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier('http://ca.thu-nghiem.invalid/crl.der')],
            relative_name=None, reasons=None, crl_issuer=None)]), False)
        if usage == 'sign':
            ku.update(digital_signature=True, content_commitment=True)
        elif usage == 'tsa':
            ku.update(digital_signature=True)
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True)
        elif usage == 'encrypt':
            ku.update(key_encipherment=True)
    b = b.add_extension(x509.KeyUsage(**ku), True)
    return b.sign(issuer_key, hashes.SHA256())


def _asn1(cert):
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _signer(cert, key, *chain):
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return SimpleSigner(signing_cert=_asn1(cert), signing_key=asn1_keys.PrivateKeyInfo.load(der),
                        cert_registry=SimpleCertificateStore.from_certs(
                            [_asn1(c) for c in chain]))


def _crl(ca_cert, ca_key, revoked, *, this_update, revoked_at):
    b = (x509.CertificateRevocationListBuilder()
         .issuer_name(ca_cert.subject)
         .last_update(this_update)
         .next_update(this_update + dt.timedelta(days=7))
         .add_extension(x509.CRLNumber(1), False))
    for cert in revoked:
        b = b.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
            .revocation_date(revoked_at).build())
    return b.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


class PKI:
    pass


@pytest.fixture(scope='module')
def pki():
    p = PKI()
    p.ca_key = _key()
    p.ca = _cert('CA Thử nghiệm Ban Cơ yếu', p.ca_key, usage='ca',
                 not_after=NOW + dt.timedelta(days=3650 * 2))
    issuer = (p.ca, p.ca_key)
    p.leader_key = _key()
    p.leader = _cert('Nguyễn Văn Lãnh Đạo', p.leader_key, issuer)
    p.org_key = _key('ec')
    p.org = _cert('Văn phòng Thành ủy', p.org_key, issuer)
    p.other_org_key = _key('ec')
    p.other_org = _cert('Ban Tổ chức Thành ủy', p.other_org_key, issuer)
    p.tsa_key = _key()
    p.tsa = _cert('TSA Thử nghiệm', p.tsa_key, issuer, usage='tsa',
                  not_after=NOW + dt.timedelta(days=3650))
    p.revoked_key = _key('ec')
    p.revoked = _cert('Trần Thị Bị Thu Hồi', p.revoked_key, issuer)
    p.enc_key = _key('ec')
    p.enc = _cert('Văn phòng Thành ủy (mã hóa)', p.enc_key, issuer, usage='encrypt')
    p.other_ca_key = _key('ec')
    p.other_ca = _cert('CA Khác', p.other_ca_key, usage='ca')
    p.selfsigned_key = _key('ec')
    p.selfsigned = _cert('Tự Ký', p.selfsigned_key, usage='sign')
    return p


@pytest.fixture(scope='module')
def tsa_url(pki):
    with LocalTSAServer(TimeStampAuthority(pki.tsa, pki.tsa_key, chain=[pki.ca])) as server:
        yield server.url


def make_pdf(title='NGHỊ QUYẾT về công tác văn thư, lưu trữ'):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    if 'DejaVuSans' not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont('DejaVuSans', pades.FONT_PATH))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=0, invariant=1)
    c.setFont('DejaVuSans', 14)
    c.drawString(72, 760, title)
    c.setFont('Helvetica', 10)
    c.drawString(72, 730, MARKER.decode())
    c.showPage()
    c.save()
    return buf.getvalue()


def _verify(data, pki, **kw):
    kw.setdefault('trust_roots', [pki.ca])
    kw.setdefault('organisation_certs', [pki.org])
    # five minutes after the later of NOW (the signatures' claimed times) and the clock: a
    # time-stamp holds the real time, and this module may run long after NOW was read
    kw.setdefault('now', max(NOW, dt.datetime.now(VN)) + dt.timedelta(minutes=5))
    return verify_pdf(data, **kw)


@pytest.fixture(scope='module')
def two_signed(pki, tsa_url):
    """The leader signs with a visible stamp, the clerk adds the organisation's signature;
    both time-stamped by the local TSA."""
    original = make_pdf()
    leader = sign_pdf(original, _signer(pki.leader, pki.leader_key, pki.ca),
                      field_name='ChuKyLanhDao', visible_stamp=VisibleStamp(lines=('TM. BAN THƯỜNG VỤ',)),
                      timestamper=HTTPTimeStamper(tsa_url), reason='Phê duyệt văn bản',
                      location='Hà Nội', now=NOW)
    final = sign_pdf(leader, _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKyToChuc',
                     timestamper=HTTPTimeStamper(tsa_url), now=NOW + dt.timedelta(minutes=1))
    return original, leader, final


@pytest.fixture(scope='module')
def two_signed_claimed(pki):
    """The same without a time-stamp authority: the times are the signers' claims."""
    original = make_pdf()
    leader = sign_pdf(original, _signer(pki.leader, pki.leader_key, pki.ca),
                      field_name='ChuKyLanhDao', visible_stamp=True, now=NOW)
    final = sign_pdf(leader, _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKyToChuc',
                     now=NOW)
    return leader, final


# -- signing ---------------------------------------------------------------------------------

def test_leader_then_organisation_both_valid_with_time_stamps(pki, two_signed):
    original, leader, final = two_signed
    verdict = _verify(final, pki)
    assert verdict.status == 'valid', verdict
    assert verdict.code == 'valid'
    assert verdict.legally_valid
    assert verdict.checked_at.utcoffset() == dt.timedelta(hours=7)
    assert [s.field_name for s in verdict.signatures] == ['ChuKyLanhDao', 'ChuKyToChuc']
    first, second = verdict.signatures
    assert first.signer_name == 'Nguyễn Văn Lãnh Đạo'
    assert 'Nguyễn Văn Lãnh Đạo' in first.subject
    assert first.fingerprint_sha256 == pades.fingerprint(pki.leader)
    assert second.fingerprint_sha256 == pades.fingerprint(pki.org)
    assert first.intact and second.intact and first.trusted and second.trusted
    assert first.coverage == 'entire_revision' and first.modification == 'form_filling'
    assert second.coverage == 'entire_file' and second.modification == 'none'
    assert second.registered is True and first.registered is None
    for s in verdict.signatures:
        assert s.time_source == 'timestamp'
        assert s.signing_time.utcoffset() == dt.timedelta(hours=7)
        assert s.validated_at == s.signing_time
        assert 'TSA Thử nghiệm' in s.timestamp_authority
    assert verdict.time_source == 'timestamp'
    assert 'dấu thời gian' in verdict.reason
    # the leader's document is valid on its own as well (no sender check)
    assert _verify(leader, pki, organisation_certs=None).status == 'valid'
    as_dict = verdict.as_dict()
    assert as_dict['checked_at'].endswith('+07:00')
    assert as_dict['signatures'][0]['signing_time'].endswith('+07:00')


def test_final_file_begins_with_the_leader_signed_bytes(two_signed):
    original, leader, final = two_signed
    assert leader.startswith(original)
    assert final.startswith(leader)
    assert len(final) > len(leader)


def test_approval_signatures_not_certification(two_signed):
    _, _, final = two_signed
    reader = PdfReader(io.BytesIO(final))
    assert '/Perms' not in reader.trailer['/Root']
    for field in reader.get_fields().values():
        sig = field.get('/V').get_object()
        assert sig['/SubFilter'] == '/ETSI.CAdES.detached'
        assert '/Reference' not in sig


def _stamp_text(pdf, field_name):
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    for annot in page.get('/Annots', []):
        annot = annot.get_object()
        if annot.get('/T') == field_name:
            return page.extract_xform_text(annot['/AP']['/N'].get_object())
    raise AssertionError(f'no widget {field_name}')


def test_visible_stamp_shows_name_and_iso_time(two_signed):
    _, leader, final = two_signed
    text = _stamp_text(final, 'ChuKyLanhDao')
    assert NOW.isoformat(timespec='seconds') in text
    assert NOW.isoformat(timespec='seconds').endswith('+07:00')
    assert 'Nguyễn Văn Lãnh Đạo' in text
    assert 'TM. BAN THƯỜNG VỤ' in text
    assert 'Thời gian ký' in text
    # the font that draws it is embedded
    reader = PdfReader(io.BytesIO(final))
    fonts = [f for f in (reader.pages[0]['/Annots'][0].get_object()['/AP']['/N']
                         .get_object()['/Resources']['/Font'].values())]
    assert fonts
    descendant = fonts[0].get_object()['/DescendantFonts'][0].get_object()
    assert '/FontFile2' in descendant['/FontDescriptor'] or \
        '/FontFile3' in descendant['/FontDescriptor']
    # glyph widths in 1/1000 em, as PDF wants them (not DejaVu's 2048 units per em, which
    # spreads the letters apart)
    widths = [float(w) for entry in descendant['/W'] if isinstance(entry, list) for w in entry]
    assert widths and max(widths) <= 1100 and min(widths) > 200


def test_organisation_signature_has_no_image(two_signed):
    _, _, final = two_signed
    reader = PdfReader(io.BytesIO(final))
    for annot in reader.pages[0]['/Annots']:
        annot = annot.get_object()
        if annot.get('/T') == 'ChuKyToChuc':
            assert [float(x) for x in annot['/Rect']] == [0, 0, 0, 0]
            break
    else:
        raise AssertionError('organisation widget not found')


def test_attachment_gets_organisation_signature_alone(pki):
    attachment = make_pdf('Phụ lục kèm theo')
    signed = sign_pdf(attachment, _signer(pki.org, pki.org_key, pki.ca),
                      field_name='ChuKyToChuc', now=NOW)
    verdict = _verify(signed, pki, organisation_certs=[pades.fingerprint(pki.org).upper()])
    assert verdict.status == 'valid'
    assert verdict.signatures[0].registered is True


def test_without_time_stamp_the_time_is_claimed(pki, two_signed_claimed):
    leader, final = two_signed_claimed
    check = NOW + dt.timedelta(hours=2)
    verdict = _verify(final, pki, now=check)
    assert verdict.status == 'valid', verdict
    assert verdict.time_source == 'claimed'
    assert all(s.time_source == 'claimed' for s in verdict.signatures)
    assert all(s.validated_at == check for s in verdict.signatures)
    assert verdict.signatures[0].signing_time == NOW
    assert 'tự khai' in verdict.reason
    assert NOW.isoformat(timespec='seconds') in _stamp_text(leader, 'ChuKyLanhDao')


def test_second_signature_on_the_same_field_is_refused(pki, two_signed_claimed):
    leader, _ = two_signed_claimed
    with pytest.raises(SigningFailed):
        sign_pdf(leader, _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKyLanhDao')
    with pytest.raises(SigningFailed):
        sign_pdf(b'not a pdf', _signer(pki.org, pki.org_key, pki.ca), field_name='X')


# -- verdicts on bad input --------------------------------------------------------------------

def test_byte_changed_inside_signed_range(pki, two_signed):
    _, _, final = two_signed
    at = final.index(MARKER)
    tampered = final[:at] + b'X' + final[at + 1:]
    verdict = _verify(tampered, pki)
    assert verdict.status == 'invalid'
    assert verdict.code == 'modified_after_signing'
    assert not verdict.signatures[0].intact
    assert 'thay đổi' in verdict.reason and 'Nguyễn Văn Lãnh Đạo' in verdict.reason


def test_page_changed_in_a_later_revision(pki, two_signed):
    _, _, final = two_signed
    w = IncrementalPdfFileWriter(io.BytesIO(final))
    page = w.root['/Pages']['/Kids'][0].get_object()
    forged = w.add_object(generic.StreamObject(
        stream_data=b'BT /F1 24 Tf 72 700 Td (SO TIEN: 999.000.000) Tj ET'))
    page['/Contents'] = generic.ArrayObject([page.raw_get('/Contents'), forged])
    w.update_container(page)
    out = io.BytesIO()
    w.write(out)
    changed = out.getvalue()
    assert changed.startswith(final)
    verdict = _verify(changed, pki)
    assert verdict.status == 'invalid'
    assert verdict.code == 'modified_after_signing'
    assert all(s.intact for s in verdict.signatures)
    assert verdict.signatures[-1].modification == 'other'


def test_untrusted_root(pki, two_signed):
    _, _, final = two_signed
    verdict = _verify(final, pki, trust_roots=[pki.other_ca])
    assert verdict.status == 'invalid'
    assert verdict.code == 'untrusted_chain'
    assert verdict.signatures[0].code == 'untrusted_chain'
    # no trust roots configured trusts nothing (never the operating system's list)
    assert _verify(final, pki, trust_roots=[]).code == 'untrusted_chain'


def test_self_signed_certificate_not_under_a_root(pki):
    signed = sign_pdf(make_pdf(), _signer(pki.selfsigned, pki.selfsigned_key),
                      field_name='ChuKy', now=NOW)
    verdict = _verify(signed, pki, organisation_certs=None)
    assert (verdict.status, verdict.code) == ('invalid', 'untrusted_chain')
    assert 'Tự Ký' in verdict.reason


def test_expired_at_check_time_without_time_stamp(pki, two_signed_claimed):
    _, final = two_signed_claimed
    later = NOW + dt.timedelta(days=2 * 365)   # the leader's certificate ran out after a year
    verdict = _verify(final, pki, now=later)
    assert verdict.status == 'invalid'
    assert verdict.code == 'expired'
    assert verdict.signatures[0].time_source == 'claimed'
    assert verdict.signatures[0].validated_at == later
    assert 'hết hạn' in verdict.reason


def test_expired_now_but_time_stamp_proves_it_was_valid(pki, two_signed):
    _, _, final = two_signed
    later = NOW + dt.timedelta(days=2 * 365)
    verdict = _verify(final, pki, now=later)
    assert verdict.status == 'valid', verdict
    assert verdict.checked_at == later
    assert all(s.time_source == 'timestamp' for s in verdict.signatures)
    assert all(s.validated_at < NOW + dt.timedelta(hours=1) for s in verdict.signatures)


def test_revoked_certificate_with_crl(pki):
    signed = sign_pdf(make_pdf(), _signer(pki.revoked, pki.revoked_key, pki.ca),
                      field_name='ChuKy', now=NOW)
    check = NOW + dt.timedelta(hours=1)
    crl = _crl(pki.ca, pki.ca_key, [pki.revoked], this_update=NOW + dt.timedelta(minutes=30),
               revoked_at=NOW + dt.timedelta(minutes=20))
    verdict = _verify(signed, pki, organisation_certs=None, now=check, crls=[crl])
    assert (verdict.status, verdict.code) == ('invalid', 'revoked')
    assert verdict.signatures[0].revoked_at == NOW + dt.timedelta(minutes=20)
    assert 'thu hồi' in verdict.reason
    # the same CRL lists nobody else: the leader's and the organisation's stay valid
    clean = _crl(pki.ca, pki.ca_key, [], this_update=NOW, revoked_at=NOW)
    other = sign_pdf(make_pdf(), _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKy', now=NOW)
    assert _verify(other, pki, now=check, crls=[clean, crl]).status == 'valid'
    # offline by default: without the CRL nothing is known, and the signature stands
    assert _verify(signed, pki, organisation_certs=None, now=check).status == 'valid'


def test_revoked_after_time_stamped_signature_stays_valid(pki, tsa_url):
    signed = sign_pdf(make_pdf(), _signer(pki.revoked, pki.revoked_key, pki.ca),
                      field_name='ChuKy', timestamper=HTTPTimeStamper(tsa_url))
    stamped_at = dt.datetime.now(VN)
    revoked_at = stamped_at + dt.timedelta(hours=1)
    crl = _crl(pki.ca, pki.ca_key, [pki.revoked], this_update=revoked_at + dt.timedelta(minutes=5),
               revoked_at=revoked_at)
    verdict = _verify(signed, pki, organisation_certs=None, now=revoked_at + dt.timedelta(hours=1),
                      crls=[crl])
    assert verdict.status == 'valid', verdict
    assert verdict.signatures[0].time_source == 'timestamp'


def test_certificate_without_signing_key_usage(pki):
    signed = sign_pdf(make_pdf(), _signer(pki.enc, pki.enc_key, pki.ca), field_name='ChuKy',
                      now=NOW)
    verdict = _verify(signed, pki, organisation_certs=None)
    assert (verdict.status, verdict.code) == ('invalid', 'bad_key_usage')


def test_organisation_certificate_not_registered_for_sender(pki, two_signed):
    _, _, final = two_signed
    verdict = _verify(final, pki, organisation_certs=[pki.other_org])
    assert (verdict.status, verdict.code) == ('invalid', 'not_registered_for_sender')
    assert verdict.signatures[-1].registered is False
    assert verdict.signatures[-1].trusted
    assert 'Văn phòng Thành ủy' in verdict.reason
    # nothing registered for the sender: nothing passes
    assert _verify(final, pki, organisation_certs=[]).code == 'not_registered_for_sender'
    # the leader's signature alone is not an organisation signature
    _, leader, _ = two_signed
    assert _verify(leader, pki).code == 'not_registered_for_sender'


def test_signature_by_another_bodys_certificate(pki):
    signed = sign_pdf(make_pdf(), _signer(pki.other_org, pki.other_org_key, pki.ca),
                      field_name='ChuKyToChuc', now=NOW)
    verdict = _verify(signed, pki)
    assert verdict.code == 'not_registered_for_sender'
    assert 'Ban Tổ chức Thành ủy' in verdict.reason


def test_unsigned_pdf(pki):
    verdict = _verify(make_pdf(), pki)
    assert (verdict.status, verdict.code) == ('unsigned', 'not_signed')
    assert not verdict.legally_valid
    assert 'chỉ có giá trị tham khảo' in verdict.reason
    assert verdict.signatures == ()


@pytest.mark.parametrize('data', [b'', b'garbage \x00\xff' * 100, b'%PDF-1.7\n%%EOF\n'])
def test_garbage_is_unreadable(pki, data):
    verdict = _verify(data, pki)
    assert (verdict.status, verdict.code) == ('invalid', 'unreadable')
    assert verdict.reason


def test_truncated_and_damaged_signed_pdf(pki, two_signed):
    _, _, final = two_signed
    for damaged in (final[: len(final) // 2], final[:-40],
                    final.replace(b'/ByteRange', b'/ByteRangX')):
        verdict = _verify(damaged, pki)
        assert verdict.status == 'invalid', verdict
        assert verdict.code in ('unreadable', 'modified_after_signing', 'bad_signature')


def test_fingerprint_forms(pki):
    fp = pades.fingerprint(pki.leader)
    assert len(fp) == 64
    der = pki.leader.public_bytes(serialization.Encoding.DER)
    pem = pki.leader.public_bytes(serialization.Encoding.PEM)
    assert pades.fingerprint(der) == pades.fingerprint(pem) == pades.fingerprint(_asn1(pki.leader)) == fp
    colons = ':'.join(fp[i:i + 2] for i in range(0, 64, 2)).upper()
    assert pades.fingerprint(colons) == fp
    # one fingerprint and one certificate reader for the whole project (issue 12, item 2)
    from archive.signing import keys, secrecy
    assert pades.fingerprint is keys.fingerprint and not hasattr(secrecy, 'load_certificate')
    assert keys.fingerprint(keys.load_certificate(pem)) == keys.fingerprint(pades.to_asn1(der)) == fp
    with pytest.raises(ValueError):
        keys.fingerprint('not a fingerprint')
    with pytest.raises(keys.NotACertificate):
        keys.load_certificate(b'no certificate here')


# -- the local time-stamp authority ----------------------------------------------------------

def test_tsa_rejects_bad_requests_and_signs_with_ec_keys(pki):
    import urllib.error
    import urllib.request

    from asn1crypto import core, tsp
    ec_key = _key('ec')
    ec_tsa = _cert('TSA EC', ec_key, (pki.ca, pki.ca_key), usage='tsa')
    with LocalTSAServer(TimeStampAuthority(ec_tsa, ec_key, chain=[pki.ca])) as server:
        assert server.url.startswith('http://127.0.0.1:')
        req = urllib.request.Request(server.url, data=b'not a request', method='POST',
                                     headers={'Content-Type': 'application/timestamp-query'})
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert resp.headers['Content-Type'] == 'application/timestamp-reply'
            answer = core.Sequence.load(resp.read())   # TimeStampResp without a token
        assert tsp.PKIStatusInfo.load(answer[0].dump())['status'].native == 'rejection'
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(urllib.request.Request(server.url, data=b'x', method='POST',
                                                          headers={'Content-Type': 'text/plain'}),
                                   timeout=5)
        assert err.value.code == 415
        signed = sign_pdf(make_pdf(), _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKy',
                          timestamper=HTTPTimeStamper(server.url))
    verdict = _verify(signed, pki)
    assert verdict.status == 'valid', verdict
    assert verdict.signatures[0].time_source == 'timestamp'
    assert 'TSA EC' in verdict.signatures[0].timestamp_authority


def test_time_stamp_from_an_untrusted_authority_counts_as_claimed(pki):
    rogue_key = _key()
    rogue = _cert('TSA lạ', rogue_key, usage='tsa')  # self-signed, under no trust root
    with LocalTSAServer(TimeStampAuthority(rogue, rogue_key)) as server:
        signed = sign_pdf(make_pdf(), _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKy',
                          timestamper=HTTPTimeStamper(server.url), now=NOW)
    check = NOW + dt.timedelta(hours=1)
    verdict = _verify(signed, pki, now=check)
    assert verdict.status == 'valid'
    assert verdict.signatures[0].time_source == 'claimed'
    assert verdict.signatures[0].validated_at == check
    # and it cannot rescue an expired certificate
    assert _verify(signed, pki, now=NOW + dt.timedelta(days=2 * 365)).code == 'expired'


def test_mixed_time_sources_are_named(pki, tsa_url):
    leader = sign_pdf(make_pdf(), _signer(pki.leader, pki.leader_key, pki.ca),
                      field_name='ChuKyLanhDao', visible_stamp=True,
                      timestamper=HTTPTimeStamper(tsa_url))
    final = sign_pdf(leader, _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKyToChuc')
    verdict = _verify(final, pki, now=dt.datetime.now(VN) + dt.timedelta(minutes=1))
    assert verdict.status == 'valid'
    assert [s.time_source for s in verdict.signatures] == ['timestamp', 'claimed']
    assert verdict.time_source == 'claimed'
    assert 'Văn phòng Thành ủy không có dấu thời gian' in verdict.reason


# -- every signature judged, by its role; times that cannot be; what no signature covers -------

@pytest.fixture(scope='module')
def lapsed_leader(pki):
    """A leader whose certificate ran out a month ago (it signed while it was valid)."""
    key = _key('ec')
    cert = _cert('Lê Văn Hết Hạn', key, (pki.ca, pki.ca_key),
                 not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=30))
    return cert, key


def test_first_signature_bad_last_good_names_the_leader(pki, lapsed_leader):
    cert, key = lapsed_leader
    leader = sign_pdf(make_pdf(), _signer(cert, key, pki.ca), field_name='ChuKyLanhDao',
                      visible_stamp=True, now=NOW - dt.timedelta(days=60))
    final = sign_pdf(leader, _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKyToChuc', now=NOW)
    verdict = _verify(final, pki, personal_certs=[cert])
    assert (verdict.status, verdict.code) == ('invalid', 'expired')
    assert [s.role for s in verdict.signatures] == ['leader', 'organisation']
    assert [s.code for s in verdict.signatures] == ['expired', 'valid']
    assert 'lãnh đạo Lê Văn Hết Hạn' in verdict.reason
    # without knowing the leader's certificate the role still follows the organisation's
    assert 'lãnh đạo Lê Văn Hết Hạn' in _verify(final, pki).reason


def test_signatures_in_any_order(pki, lapsed_leader):
    """The organisation's signature first and the leader's after: each judged by its certificate."""
    org_first = sign_pdf(make_pdf(), _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKyToChuc', now=NOW)
    both = sign_pdf(org_first, _signer(pki.leader, pki.leader_key, pki.ca), field_name='ChuKyLanhDao', now=NOW)
    verdict = _verify(both, pki)
    assert verdict.code == 'valid', verdict.reason
    assert [s.role for s in verdict.signatures] == ['organisation', 'leader']
    assert verdict.signatures[0].registered is True
    cert, key = lapsed_leader
    bad_last = sign_pdf(org_first, _signer(cert, key, pki.ca), field_name='ChuKyLanhDao',
                        now=NOW - dt.timedelta(days=60))
    verdict = _verify(bad_last, pki)
    assert verdict.code == 'expired' and 'lãnh đạo Lê Văn Hết Hạn' in verdict.reason
    assert 'tổ chức' not in verdict.reason


def test_signing_time_in_the_future_is_a_verdict(pki):
    ahead = NOW + dt.timedelta(hours=3)
    signed = sign_pdf(make_pdf(), _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKyToChuc', now=ahead)
    verdict = _verify(signed, pki, now=NOW)
    assert (verdict.status, verdict.code) == ('invalid', 'signing_time_in_future')
    sig = verdict.signatures[0]
    assert sig.signing_time is None and sig.claimed_time == ahead      # never shown as the signing time
    assert sig.as_dict()['signing_time'] is None
    assert ahead.isoformat(timespec='seconds') in verdict.reason and 'tổ chức' in verdict.reason
    # within the clock skew (5 minutes by default, or as configured) it is a signing time
    near = sign_pdf(make_pdf(), _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKyToChuc',
                    now=NOW + dt.timedelta(minutes=4))
    assert _verify(near, pki, now=NOW).code == 'valid'
    assert _verify(near, pki, now=NOW, clock_skew=dt.timedelta(minutes=1)).code == 'signing_time_in_future'
    assert _verify(signed, pki, now=NOW, clock_skew=dt.timedelta(hours=4)).code == 'valid'


def test_signing_time_before_the_certificate_is_a_verdict(pki):
    before = NOW - dt.timedelta(days=3)             # pki.org is valid from NOW - 1 day
    signed = sign_pdf(make_pdf(), _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKyToChuc', now=before)
    verdict = _verify(signed, pki)
    assert (verdict.status, verdict.code) == ('invalid', 'signed_before_certificate_validity')
    assert verdict.signatures[0].signing_time is None and verdict.signatures[0].claimed_time == before


def test_bytes_appended_after_the_last_signature_are_reported(pki, two_signed_claimed):
    _, final = two_signed_claimed
    assert _verify(final + b'\r\n \n', pki).code == 'valid'          # trailing white space is no data
    verdict = _verify(final + b'<script>hidden</script>\n', pki)
    assert (verdict.status, verdict.code) == ('invalid', 'data_after_signature')
    assert '23 byte' in verdict.reason
    assert all(s.code == 'valid' for s in verdict.signatures)       # the signatures themselves hold


def _encrypted(user_password):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(make_pdf())))
    writer.encrypt(b'owner-secret', user_password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_encrypted_with_an_empty_user_password_is_validated(pki):
    from pyhanko.sign import signers
    incremental = IncrementalPdfFileWriter(io.BytesIO(_encrypted(b'')))
    incremental.encrypt(b'')
    signed = signers.sign_pdf(incremental, signers.PdfSignatureMetadata(field_name='ChuKyToChuc'),
                              signer=_signer(pki.org, pki.org_key, pki.ca)).getvalue()
    verdict = _verify(signed, pki)
    assert verdict.code == 'valid', verdict.reason
    assert verdict.signatures[0].signer_name == 'Văn phòng Thành ủy'
    at = signed.index(b'/Type /Page') if b'/Type /Page' in signed else len(signed) // 3
    assert _verify(signed[:at] + b'X' + signed[at + 1:], pki).status == 'invalid'
    # a password we do not have: said so, not called damaged
    assert _verify(_encrypted(b'mat-khau'), pki).code == 'encrypted'
