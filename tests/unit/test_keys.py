"""Keys and certificates with real keys: the software store (encrypted at rest), the PKCS#11 store on
a real SoftHSM2 token initialised here, and the test certificate authority. No mocks."""
import asyncio
import datetime as dt
import hashlib
import io
import json
import logging
import os
import pickle
import stat
import threading
import traceback
from types import SimpleNamespace

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from archive import clock
from archive.signing import ca as test_ca
from archive.signing import keys

from ..helpers import softhsm_tokens

PASSPHRASE = 'mật-khẩu kho khóa 2025 ✓'
ORG = '000.00.01.H01'
SIGN_ID = f'org-sign:{ORG}'
ENC_ID = f'org-enc:{ORG}'
SUBJECT = 'CN=Văn phòng Thành ủy,O=Thành ủy Hà Nội,C=VN'
UTC = dt.timezone.utc


# -- helpers ---------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def authority():
    """A root (RSA 3072, the default) and an issuing CA (EC P-256, quicker) under it."""
    root = test_ca.make_ca('Root CA thử nghiệm')
    issuing = test_ca.make_ca('Issuing CA thử nghiệm', parent=root, algorithm='ec-p256')
    return SimpleNamespace(root=root, issuing=issuing)


@pytest.fixture
def store(tmp_path):
    s = keys.SoftwareKeyStore(tmp_path / 'keystore', PASSPHRASE)
    yield s
    s.close()


def verify_raw(cert, signature, data):
    """Check a raw signature with the certificate's public key (raises if it does not verify)."""
    pk = cert.public_key()
    if isinstance(pk, rsa.RSAPublicKey):
        pk.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    else:
        pk.verify(signature, data, ec.ECDSA(hashes.SHA256()))


def sign_raw(signer, data):
    return asyncio.run(signer.async_sign_raw(data, 'sha256'))


def enrol(store, key_id, authority, kind=None, algorithm=keys.DEFAULT_ALGORITHM, subject=SUBJECT, **issue_kw):
    """generate → CSR → the test CA issues → import (with the chain); the certificate."""
    csr_pem = store.generate(key_id, subject, algorithm)
    csr = x509.load_pem_x509_csr(csr_pem)
    assert csr.is_signature_valid
    kind = kind or keys.CERTIFICATE_KIND[key_id.split(':')[0]]
    cert = test_ca.issue(authority.issuing, csr, kind=kind, **issue_kw)
    store.import_certificate(key_id, test_ca.to_pem(cert) + authority.issuing.chain_pem())
    return cert


def one_page_pdf():
    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, 'Nghị quyết số 01-NQ/TU')
    c.showPage()
    c.save()
    return buf.getvalue()


def sign_and_validate_pdf(signer, root_cert):
    """PAdES through pyhanko with the store's signer; the signature validates up to the root."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    writer = IncrementalPdfFileWriter(io.BytesIO(one_page_pdf()))
    out = signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name='Sig1', md_algorithm='sha256',
                                                                subfilter=fields.SigSeedSubFilter.PADES),
                           signer=signer)
    reader = PdfFileReader(out)
    vc = ValidationContext(trust_roots=[keys.to_asn1(root_cert)])
    status = validate_pdf_signature(reader.embedded_signatures[0], vc)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    return status


# -- the test certificate authority ----------------------------------------------------------

def test_ca_key_usages_by_kind(authority):
    key = ec.generate_private_key(ec.SECP256R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def usage(cert):
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value

    for kind in (test_ca.ORG_SIGN, test_ca.PERSON_SIGN):
        cert = test_ca.issue(authority.issuing, key.public_key(), 'CN=ký', kind)
        ku = usage(cert)
        assert ku.digital_signature and ku.content_commitment and not ku.key_encipherment
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert test_ca.DOCUMENT_SIGNING in eku
    enc_rsa = usage(test_ca.issue(authority.issuing, rsa_key.public_key(), 'CN=mã hóa', test_ca.ENCRYPTION))
    assert enc_rsa.key_encipherment and not enc_rsa.digital_signature and not enc_rsa.content_commitment
    enc_ec = usage(test_ca.issue(authority.issuing, key.public_key(), 'CN=mã hóa', test_ca.ENCRYPTION))
    assert enc_ec.key_agreement and not enc_ec.digital_signature
    inst = test_ca.issue(authority.issuing, rsa_key.public_key(), 'CN=archive.example', test_ca.INSTANCE)
    assert usage(inst).digital_signature and usage(inst).key_encipherment
    assert x509.oid.ExtendedKeyUsageOID.SERVER_AUTH in inst.extensions.get_extension_for_class(
        x509.ExtendedKeyUsage).value
    bare = test_ca.issue(authority.issuing, key.public_key(), 'CN=không có', test_ca.ORG_SIGN,
                         key_usage={'data_encipherment'})
    assert not usage(bare).digital_signature and not usage(bare).content_commitment
    leaf = test_ca.issue(authority.issuing, key.public_key(), 'CN=x', test_ca.ORG_SIGN)
    leaf.verify_directly_issued_by(authority.issuing.certificate)
    authority.issuing.certificate.verify_directly_issued_by(authority.root.certificate)
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False


def test_ca_validity_dates_and_timezones(authority):
    key = ec.generate_private_key(ec.SECP256R1())
    start = dt.datetime(2020, 1, 1, 8, 0, tzinfo=clock.VN)
    cert = test_ca.issue(authority.issuing, key.public_key(), 'CN=cũ', test_ca.ORG_SIGN,
                         not_before=start, not_after=start + dt.timedelta(days=365))
    assert cert.not_valid_before_utc == start.astimezone(UTC)
    assert keys.certificate_status(cert) == keys.EXPIRED
    later = test_ca.issue(authority.issuing, key.public_key(), 'CN=mới', test_ca.ORG_SIGN,
                          not_before=clock.now() + dt.timedelta(days=30))
    assert keys.certificate_status(later) == keys.NOT_YET_VALID
    with pytest.raises(ValueError, match='naive'):
        test_ca.issue(authority.issuing, key.public_key(), 'CN=x', test_ca.ORG_SIGN,
                      not_before=dt.datetime(2020, 1, 1))
    with pytest.raises(ValueError, match='after'):
        test_ca.issue(authority.issuing, key.public_key(), 'CN=x', test_ca.ORG_SIGN,
                      not_before=start, not_after=start)
    with pytest.raises(ValueError, match='kind'):
        test_ca.issue(authority.issuing, key.public_key(), 'CN=x', 'seal')


def test_ca_refuses_a_tampered_request(authority):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name.from_rfc4514_string('CN=x')).sign(key, hashes.SHA256())
    der = bytearray(csr.public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0xFF
    with pytest.raises(ValueError):
        test_ca.issue(authority.issuing, bytes(der), kind=test_ca.ORG_SIGN)
    with pytest.raises(ValueError, match='signing request'):
        test_ca.issue(authority.issuing, b'rubbish', kind=test_ca.ORG_SIGN)


def test_ca_makes_crls(authority):
    key = ec.generate_private_key(ec.SECP256R1())
    good = test_ca.issue(authority.issuing, key.public_key(), 'CN=tốt', test_ca.ORG_SIGN)
    bad = test_ca.issue(authority.issuing, key.public_key(), 'CN=lộ khóa', test_ca.ORG_SIGN)
    when = dt.datetime(2025, 3, 1, 9, 0, tzinfo=clock.VN)
    ca = test_ca.make_ca('CA thu hồi', algorithm='ec-p256')
    crl = test_ca.make_crl(authority.issuing, [(bad, when, 'key_compromise')])
    assert crl.is_signature_valid(authority.issuing.key.public_key())
    assert not crl.is_signature_valid(ca.key.public_key())
    entry = crl.get_revoked_certificate_by_serial_number(bad.serial_number)
    assert entry.revocation_date_utc == when.astimezone(UTC)
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise
    assert crl.get_revoked_certificate_by_serial_number(good.serial_number) is None
    assert crl.next_update_utc > crl.last_update_utc
    ca.revoke(good)
    second = test_ca.make_crl(ca)
    first_number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert second.get_revoked_certificate_by_serial_number(good.serial_number) is not None
    assert second.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1
    assert first_number >= 1
    with pytest.raises(ValueError, match='naive'):
        test_ca.make_crl(ca, this_update=dt.datetime(2025, 1, 1))


# -- key ids ---------------------------------------------------------------------------------

@pytest.mark.parametrize('key_id', ['org-sign', 'org-sign:', 'seal:000.00.01.H01', 'person:Lanh Dao',
                                    'org-sign:../../etc/passwd', 'org-enc:a/b', 'person:x', 42, None])
def test_malformed_key_ids_are_refused(store, key_id):
    with pytest.raises(keys.BadKeyId) as err:
        store.generate(key_id, SUBJECT)
    assert err.value.code == 'bad_key_id'


def test_key_ids_follow_the_configured_body_code_pattern(tmp_path):
    strict = keys.SoftwareKeyStore(tmp_path, PASSPHRASE, organ_id_pattern=r'^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$')
    assert strict.parse('org-sign:000.00.01.H01') == ('org-sign', '000.00.01.H01')
    assert strict.parse('person:vanthu.btc') == ('person', 'vanthu.btc')
    with pytest.raises(keys.BadKeyId):
        strict.parse('org-sign:VPTU')
    assert keys.org_sign_key(ORG) == SIGN_ID and keys.org_enc_key(ORG) == ENC_ID
    assert keys.person_key('lanhdao') == 'person:lanhdao'


# -- software store --------------------------------------------------------------------------

def test_software_round_trip_rsa(store, authority):
    csr_pem = store.generate(SIGN_ID, SUBJECT)
    assert csr_pem.startswith(b'-----BEGIN CERTIFICATE REQUEST-----')
    csr = x509.load_pem_x509_csr(csr_pem)
    assert csr.is_signature_valid
    assert csr.subject.rfc4514_string() == SUBJECT
    assert isinstance(csr.public_key(), rsa.RSAPublicKey) and csr.public_key().key_size == 3072
    assert store.info(SIGN_ID).status == keys.AWAITING
    with pytest.raises(keys.NoCertificate):
        store.signer(SIGN_ID)

    cert = test_ca.issue(authority.issuing, csr, kind=test_ca.ORG_SIGN)
    info = store.import_certificate(SIGN_ID, test_ca.to_pem(cert) + authority.issuing.chain_pem())
    assert info.status == keys.VALID
    assert store.certificate(SIGN_ID) == cert
    assert store.chain(SIGN_ID) == [authority.issuing.certificate, authority.root.certificate]

    signer = store.signer(SIGN_ID)
    data = b'the bytes the leader approved'
    signature = sign_raw(signer, data)
    verify_raw(cert, signature, data)
    with pytest.raises(InvalidSignature):
        verify_raw(cert, signature, data + b'!')
    assert signer.signing_cert.dump() == cert.public_bytes(serialization.Encoding.DER)
    # the chain travels with the signer
    registry = {c.sha256 for c in signer.cert_registry}
    assert keys.to_asn1(authority.issuing.certificate).sha256 in registry

    [listed] = store.list()
    assert listed.key_id == SIGN_ID and listed.kind == 'org-sign' and listed.store == 'software'
    assert listed.algorithm == 'rsa3072' and listed.status == keys.VALID
    assert listed.serial == f'{cert.serial_number:X}'
    assert listed.fingerprint == hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    assert listed.not_before == cert.not_valid_before_utc and listed.not_before.utcoffset() == dt.timedelta(hours=7)
    assert listed.not_after == cert.not_valid_after_utc
    assert listed.subject == SUBJECT
    assert listed.as_dict()['not_after'].endswith('+07:00')


def test_software_ec_key_and_pades(store, authority):
    cert = enrol(store, 'person:lanhdao', authority, algorithm='ec-p256', subject='CN=Nguyễn Văn A,C=VN')
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    signer = store.signer('person:lanhdao')
    verify_raw(cert, sign_raw(signer, b'abc'), b'abc')
    sign_and_validate_pdf(signer, authority.root.certificate)
    assert store.info('person:lanhdao').algorithm == 'ec-p256'


def test_software_signer_signs_a_pdf_that_validates(store, authority):
    enrol(store, SIGN_ID, authority)
    status = sign_and_validate_pdf(store.signer(SIGN_ID), authority.root.certificate)
    assert status.signing_cert.subject.human_friendly.startswith('Common Name: Văn phòng Thành ủy')


def test_keys_are_decrypted_once_per_store(store, authority, tmp_path):
    enrol(store, SIGN_ID, authority)
    fresh = keys.SoftwareKeyStore(store.folder, PASSPHRASE)
    fresh.signer(SIGN_ID)                      # decrypts the key from disk
    key_file = [n for n in os.listdir(store.folder) if n.endswith('.key.pem')][0]
    os.rename(os.path.join(store.folder, key_file), tmp_path / 'moved-away.pem')
    data = b'no second read'
    verify_raw(fresh.certificate(SIGN_ID), sign_raw(fresh.signer(SIGN_ID), data), data)
    another = keys.SoftwareKeyStore(store.folder, PASSPHRASE)
    with pytest.raises(keys.StoreDamaged) as err:
        another.signer(SIGN_ID)
    assert 'missing' in str(err.value)


def test_a_private_key_file_swapped_for_another_of_the_store_is_refused(store, authority):
    """The store skips OpenSSL's full RSA key check on loading (it costs ~40 ms a key); what
    guards a key file instead is that its public half must be the one registered for the key."""
    enrol(store, SIGN_ID, authority)
    enrol(store, 'org-enc:other', authority)
    path = os.path.join(store.folder, 'index.json')
    with open(path) as f:
        index = json.load(f)
    mine, other = (index['keys'][k][0] for k in (SIGN_ID, 'org-enc:other'))
    with open(os.path.join(store.folder, other['key']), 'rb') as src, \
            open(os.path.join(store.folder, mine['key']), 'wb') as dst:
        dst.write(src.read())
    mine['salt'] = other['salt']        # with its salt: it decrypts under the store's passphrase
    with open(path, 'w') as f:
        json.dump(index, f)
    with pytest.raises(keys.StoreDamaged) as err:
        keys.SoftwareKeyStore(store.folder, PASSPHRASE).signer(SIGN_ID)
    assert 'does not match its public key' in str(err.value)


def test_private_key_is_encrypted_on_disk(store, authority):
    enrol(store, SIGN_ID, authority)
    enrol(store, 'person:lanhdao', authority, algorithm='ec-p256')
    key_files = [n for n in os.listdir(store.folder) if n.endswith('.key.pem')]
    assert len(key_files) == 2
    for name in key_files:
        path = os.path.join(store.folder, name)
        with open(path, 'rb') as f:
            pem = f.read()
        assert pem.startswith(b'-----BEGIN ENCRYPTED PRIVATE KEY-----')
        assert b'BEGIN PRIVATE KEY-----' not in pem and b'BEGIN RSA PRIVATE KEY' not in pem
        assert b'BEGIN EC PRIVATE KEY' not in pem
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        with pytest.raises(TypeError):                          # it needs a password
            serialization.load_pem_private_key(pem, password=None)
        with pytest.raises(ValueError):                         # and the bare passphrase is not it
            serialization.load_pem_private_key(pem, password=PASSPHRASE.encode())
    assert stat.S_IMODE(os.stat(store.folder).st_mode) == 0o700
    for name in os.listdir(store.folder):
        with open(os.path.join(store.folder, name), 'rb') as f:
            content = f.read()
        assert PASSPHRASE.encode() not in content, name
        assert b'PRIVATE KEY-----' not in content or b'ENCRYPTED PRIVATE KEY-----' in content, name


def test_passphrase_is_required(tmp_path, monkeypatch):
    for empty in ('', None, '   ', 'short'):
        with pytest.raises(keys.PassphraseRequired) as err:
            keys.SoftwareKeyStore(tmp_path, empty)
        assert err.value.code == 'passphrase_required'
    base = {'archive.keystore': 'software', 'archive.keystore_dir': str(tmp_path / 'ks')}
    with pytest.raises(ValueError, match='archive.keystore_passphrase_env or archive.keystore_passphrase_file'):
        keys.open_keystore(base)
    monkeypatch.delenv('ARCHIVE_TEST_KEYSTORE_PASS', raising=False)
    with pytest.raises(ValueError, match='archive.keystore_passphrase_env.*ARCHIVE_TEST_KEYSTORE_PASS'):
        keys.open_keystore({**base, 'archive.keystore_passphrase_env': 'ARCHIVE_TEST_KEYSTORE_PASS'})
    with pytest.raises(ValueError, match='archive.keystore_passphrase_file'):
        keys.open_keystore({**base, 'archive.keystore_passphrase_file': str(tmp_path / 'nowhere')})


def test_wrong_passphrase_fails_clearly(store, authority):
    enrol(store, SIGN_ID, authority)
    enrol(store, ENC_ID, authority)
    wrong = keys.SoftwareKeyStore(store.folder, 'not the passphrase at all')
    assert [i.key_id for i in wrong.list()] == [ENC_ID, SIGN_ID]     # listing needs no secret
    for attempt in (lambda: wrong.signer(SIGN_ID), wrong.unlock, lambda: wrong.decrypt(ENC_ID, b'x' * 384)):
        with pytest.raises(keys.WrongPassphrase) as err:
            attempt()
        assert err.value.code == 'wrong_passphrase'
        assert 'wrong key store passphrase' in str(err.value) and 'Sai mật khẩu' in str(err.value)
        assert err.value.__cause__ is None and err.value.__suppress_context__
    # the right passphrase still opens them
    keys.SoftwareKeyStore(store.folder, PASSPHRASE).unlock()


def test_passphrase_never_shown(tmp_path, authority, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv('ARCHIVE_TEST_KEYSTORE_PASS', PASSPHRASE)
    settings = {'archive.keystore': 'software', 'archive.keystore_dir': str(tmp_path / 'ks'),
                'archive.keystore_passphrase_env': 'ARCHIVE_TEST_KEYSTORE_PASS'}
    s = keys.open_keystore(settings)
    enrol(s, SIGN_ID, authority)
    sign_raw(s.signer(SIGN_ID), b'x')
    texts = [repr(s), str(s), repr(vars(s)), repr(s._passphrase), str(s._passphrase)]
    wrong = keys.SoftwareKeyStore(s.folder, PASSPHRASE + ' sai')
    try:
        wrong.signer(SIGN_ID)
    except keys.KeyStoreError as exc:
        texts += [str(exc), repr(exc), ''.join(traceback.format_exception(exc))]
    else:
        pytest.fail('the wrong passphrase opened the key')
    for bad in ({**settings, 'archive.keystore_passphrase_file': '/nowhere'},
                {**settings, 'archive.keystore': 'hsm'}):
        with pytest.raises(ValueError) as err:
            keys.open_keystore(bad)
        texts.append(str(err.value))
    texts.append(caplog.text)
    for text in texts:
        assert PASSPHRASE not in text
        assert (PASSPHRASE + ' sai') not in text
    with pytest.raises(TypeError):
        pickle.dumps(s._passphrase)


def test_passphrase_from_a_file(tmp_path, authority):
    secret_file = tmp_path / 'keystore.pass'
    secret_file.write_text(PASSPHRASE + '\n', encoding='utf-8')
    os.chmod(secret_file, 0o600)
    settings = {'archive.keystore': 'software', 'archive.keystore_dir': str(tmp_path / 'ks'),
                'archive.keystore_passphrase_file': str(secret_file)}
    s = keys.open_keystore(settings)
    enrol(s, SIGN_ID, authority)
    # the trailing newline is not part of it: the same passphrase given directly opens the key
    keys.SoftwareKeyStore(tmp_path / 'ks', PASSPHRASE).unlock()
    os.chmod(secret_file, 0o644)
    with pytest.raises(ValueError, match='archive.keystore_passphrase_file.*chmod 600'):
        keys.open_keystore(settings)
    with pytest.raises(ValueError, match='one of them'):
        keys.open_keystore({**settings, 'archive.keystore_passphrase_env': 'X'})


def test_import_refuses_a_mismatched_certificate(store, authority):
    store.generate(SIGN_ID, SUBJECT)
    other_csr = store.generate('org-sign:000.00.02.H01', 'CN=Ban Tổ chức,C=VN', 'ec-p256')
    for_other = test_ca.issue(authority.issuing, other_csr, kind=test_ca.ORG_SIGN)
    stranger = test_ca.issue(authority.issuing, ec.generate_private_key(ec.SECP256R1()).public_key(),
                             'CN=người lạ', test_ca.ORG_SIGN)
    for cert in (for_other, stranger, authority.issuing.certificate):
        with pytest.raises(keys.CertificateMismatch) as err:
            store.import_certificate(SIGN_ID, test_ca.to_pem(cert))
        assert err.value.code == 'certificate_mismatch'
        assert 'does not match key org-sign:000.00.01.H01' in str(err.value)
    assert store.info(SIGN_ID).status == keys.AWAITING
    with pytest.raises(keys.UnknownKey):
        store.import_certificate('org-sign:999.99.99.H99', test_ca.to_pem(for_other))


def test_import_refuses_garbage(store, authority):
    csr = store.generate(SIGN_ID, SUBJECT)
    private_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    junk = [b'', b'garbage', 'chứng thư', csr, private_pem, os.urandom(600),
            b'-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', None, 12]
    for data in junk:
        with pytest.raises(keys.NotACertificate) as err:
            store.import_certificate(SIGN_ID, data)
        assert err.value.code == 'not_a_certificate'
        assert 'not an X.509 certificate' in str(err.value)
        assert 'PRIVATE' not in str(err.value) and 'garbage' not in str(err.value)
    # DER works as well as PEM
    cert = test_ca.issue(authority.issuing, csr, kind=test_ca.ORG_SIGN)
    assert store.import_certificate(SIGN_ID, cert.public_bytes(serialization.Encoding.DER)).status == keys.VALID


def test_expired_and_not_yet_valid_certificates(store, authority):
    start = dt.datetime(2021, 1, 1, tzinfo=clock.VN)
    enrol(store, SIGN_ID, authority, not_before=start, not_after=start + dt.timedelta(days=365))
    assert store.info(SIGN_ID).status == keys.EXPIRED
    with pytest.raises(keys.CertificateNotValid, match='expired at 2022-01-01T00:00:00\\+07:00'):
        store.signer(SIGN_ID)
    store.signer(SIGN_ID, at=start + dt.timedelta(days=10))            # valid then
    assert store.signer(SIGN_ID, check_validity=False).signing_cert is not None   # for verifier tests
    enrol(store, 'person:lanhdao', authority, algorithm='ec-p256',
          not_before=clock.now() + dt.timedelta(days=3))
    assert store.info('person:lanhdao').status == keys.NOT_YET_VALID
    with pytest.raises(keys.CertificateNotValid, match='not valid before'):
        store.signer('person:lanhdao')


def test_history_and_rotation(store, authority):
    start = dt.datetime(2024, 1, 1, tzinfo=clock.VN)
    old = enrol(store, SIGN_ID, authority, not_before=start, not_after=clock.now() + dt.timedelta(days=20))
    renewed = test_ca.issue(authority.issuing, old.public_key(), SUBJECT, test_ca.ORG_SIGN,
                            not_before=clock.now() - dt.timedelta(days=1))
    store.import_certificate(SIGN_ID, test_ca.to_pem(renewed))         # same key, new certificate
    assert store.certificate(SIGN_ID) == renewed
    store.import_certificate(SIGN_ID, test_ca.to_pem(renewed))         # again: no duplicate
    assert store.certificates(SIGN_ID) == [old, renewed]

    new_csr = store.generate(SIGN_ID, SUBJECT)                          # rotation: a new key
    info = store.info(SIGN_ID)
    assert info.pending and info.fingerprint == keys.fingerprint(renewed)  # the old one still signs
    with pytest.raises(keys.KeyPending):
        store.generate(SIGN_ID, SUBJECT)
    new_csr = store.generate(SIGN_ID, SUBJECT, replace_pending=True)
    new_cert = test_ca.issue(authority.issuing, new_csr, kind=test_ca.ORG_SIGN)
    store.import_certificate(SIGN_ID, test_ca.to_pem(new_cert))
    assert store.certificate(SIGN_ID) == new_cert
    assert store.certificates(SIGN_ID) == [old, renewed, new_cert]
    assert not store.info(SIGN_ID).pending and store.info(SIGN_ID).certificates == 3
    verify_raw(new_cert, sign_raw(store.signer(SIGN_ID), b'new'), b'new')
    # the old generation is kept: a signature made under it is still checked with its certificate
    again = keys.SoftwareKeyStore(store.folder, PASSPHRASE)
    assert again.certificates(SIGN_ID) == [old, renewed, new_cert]
    assert len([n for n in os.listdir(store.folder) if n.endswith('.key.pem')]) == 2


def test_encryption_key_decrypts_and_does_not_sign(store, authority):
    cert = enrol(store, ENC_ID, authority)
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.key_encipherment and not ku.digital_signature
    document_key = os.urandom(32)
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    wrapped = cert.public_key().encrypt(document_key, oaep)
    assert store.decrypt(ENC_ID, wrapped) == document_key
    assert store.decrypt(ENC_ID, wrapped, certificate=keys.fingerprint(cert)) == document_key
    with pytest.raises(keys.DecryptionFailed):
        store.decrypt(ENC_ID, wrapped[:-1] + bytes([wrapped[-1] ^ 1]))
    with pytest.raises(keys.WrongPurpose):
        store.signer(ENC_ID)
    enrol(store, SIGN_ID, authority)
    with pytest.raises(keys.WrongPurpose):
        store.decrypt(SIGN_ID, wrapped)
    with pytest.raises(keys.KeyStoreError, match='encryption keys are RSA'):
        store.generate('org-enc:000.00.02.H01', 'CN=x', 'ec-p256')


def test_two_stores_share_a_folder(store, authority):
    other = keys.SoftwareKeyStore(store.folder, PASSPHRASE)
    assert other.list() == []
    cert = enrol(store, SIGN_ID, authority)
    assert other.certificate(SIGN_ID) == cert          # the changed index is read again
    assert [i.key_id for i in other.list()] == [SIGN_ID]


def test_open_keystore_settings(tmp_path, monkeypatch):
    monkeypatch.setenv('ARCHIVE_TEST_KEYSTORE_PASS', PASSPHRASE)
    cases = [
        ({}, 'archive.keystore'),
        ({'archive.keystore': 'hsm'}, 'archive.keystore'),
        ({'archive.keystore': 'software', 'archive.keystore_passphrase_env': 'ARCHIVE_TEST_KEYSTORE_PASS'},
         'archive.keystore_dir'),
        ({'archive.keystore': 'pkcs11'}, 'archive.pkcs11_lib'),
        ({'archive.keystore': 'pkcs11', 'archive.pkcs11_lib': str(tmp_path / 'no.so')}, 'archive.pkcs11_lib'),
        ({'archive.keystore': 'pkcs11', 'archive.pkcs11_lib': __file__}, 'archive.pkcs11_token'),
        ({'archive.keystore': 'pkcs11', 'archive.pkcs11_lib': __file__, 'archive.pkcs11_token': 't'},
         'archive.pkcs11_pin_env'),
        ({'archive.keystore': 'pkcs11', 'archive.pkcs11_lib': __file__, 'archive.pkcs11_token': 't',
          'archive.pkcs11_pin_env': 'ARCHIVE_TEST_NO_SUCH_PIN'}, 'ARCHIVE_TEST_NO_SUCH_PIN'),
        ({'archive.keystore': 'software', 'archive.keystore_dir': str(tmp_path),
          'archive.keystore_passphrase_env': 'ARCHIVE_TEST_KEYSTORE_PASS',
          'archive.organ_id_pattern': '(['}, 'archive.organ_id_pattern'),
    ]
    for settings, named in cases:
        with pytest.raises(ValueError) as err:
            keys.open_keystore(settings)
        assert named in str(err.value), (settings, str(err.value))
    s = keys.open_keystore({'archive.keystore': 'software', 'archive.keystore_dir': str(tmp_path / 'ks'),
                            'archive.keystore_passphrase_env': 'ARCHIVE_TEST_KEYSTORE_PASS'})
    assert isinstance(s, keys.SoftwareKeyStore) and s.folder == str(tmp_path / 'ks')


# -- PKCS#11 store on a real SoftHSM2 token --------------------------------------------------

TOKEN, PIN, SO_PIN = 'archive-test', '246810', '13579135'


@pytest.fixture(scope='module')
def softhsm(tmp_path_factory):
    """A SoftHSM2 token directory of its own, a token initialised in it, the library (re)loaded
    with that configuration."""
    yield from softhsm_tokens(tmp_path_factory, 'softhsm', [TOKEN], PIN, SO_PIN, 'the PKCS#11 key store')


@pytest.fixture
def token_store(softhsm):
    s = keys.Pkcs11KeyStore(softhsm.lib, TOKEN, PIN)
    yield s
    s.close()


def test_pkcs11_round_trip_and_pades(token_store, authority, softhsm):
    key_id = 'org-sign:000.00.09.H01'
    cert = enrol(token_store, key_id, authority)
    assert isinstance(cert.public_key(), rsa.RSAPublicKey) and cert.public_key().key_size == 3072
    signer = token_store.signer(key_id)
    from pyhanko.sign.pkcs11 import PKCS11Signer
    assert isinstance(signer, PKCS11Signer)
    data = b'bytes to sign on the token'
    verify_raw(cert, sign_raw(signer, data), data)
    sign_and_validate_pdf(token_store.signer(key_id), authority.root.certificate)
    info = token_store.info(key_id)
    assert (info.store, info.kind, info.algorithm, info.status) == ('pkcs11', 'org-sign', 'rsa3072', keys.VALID)
    assert info.fingerprint == keys.fingerprint(cert)
    assert token_store.chain(key_id) == [authority.issuing.certificate, authority.root.certificate]
    # the private key lives on the token: sensitive, never extractable
    P = softhsm.pkcs11
    session = token_store._call(lambda s: s)
    [priv] = list(session.get_objects({P.Attribute.CLASS: P.ObjectClass.PRIVATE_KEY, P.Attribute.LABEL: key_id}))
    assert priv[P.Attribute.SENSITIVE] and not priv[P.Attribute.EXTRACTABLE]
    with pytest.raises(P.exceptions.AttributeSensitive):
        priv[P.Attribute.PRIVATE_EXPONENT]
    # a second store (as after a restart) reads the certificate back from the token
    token_store.close()
    again = keys.Pkcs11KeyStore(softhsm.lib, TOKEN, PIN)
    try:
        assert again.certificate(key_id) == cert
        verify_raw(cert, sign_raw(again.signer(key_id), b'again'), b'again')
    finally:
        again.close()


def test_pkcs11_ec_key(token_store, authority):
    key_id = 'person:lanhdao.hsm'
    cert = enrol(token_store, key_id, authority, algorithm='ec-p256', subject='CN=Lãnh đạo,C=VN')
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    verify_raw(cert, sign_raw(token_store.signer(key_id), b'ec'), b'ec')
    sign_and_validate_pdf(token_store.signer(key_id), authority.root.certificate)


def test_pkcs11_import_refuses_mismatch_and_garbage(token_store, authority):
    key_id = 'org-sign:000.00.08.H01'
    token_store.generate(key_id, SUBJECT, 'ec-p256')
    stranger = test_ca.issue(authority.issuing, ec.generate_private_key(ec.SECP256R1()).public_key(),
                             'CN=người lạ', test_ca.ORG_SIGN)
    with pytest.raises(keys.CertificateMismatch):
        token_store.import_certificate(key_id, test_ca.to_pem(stranger))
    with pytest.raises(keys.NotACertificate):
        token_store.import_certificate(key_id, b'garbage')
    assert token_store.info(key_id).status == keys.AWAITING
    with pytest.raises(keys.NoCertificate):
        token_store.signer(key_id)


def test_pkcs11_encryption_key(token_store, authority):
    cert = enrol(token_store, 'org-enc:000.00.09.H01', authority)
    document_key = os.urandom(32)
    # SoftHSM 2.6 offers RSA-OAEP with SHA-1 only; tokens of the cipher authority offer more
    wrapped = cert.public_key().encrypt(document_key, padding.OAEP(
        mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
    assert token_store.decrypt('org-enc:000.00.09.H01', wrapped, oaep_hash='sha1') == document_key
    with pytest.raises(keys.DecryptionFailed):
        token_store.decrypt('org-enc:000.00.09.H01', bytes(len(wrapped)), oaep_hash='sha1')
    with pytest.raises(keys.WrongPurpose):
        token_store.signer('org-enc:000.00.09.H01')


def test_pkcs11_signs_from_several_threads(token_store, authority):
    key_id = 'org-sign:000.00.07.H01'
    cert = enrol(token_store, key_id, authority, algorithm='ec-p256')
    failures = []

    def work(n):
        try:
            signer = token_store.signer(key_id)
            for i in range(5):
                data = f'{n}-{i}'.encode()
                verify_raw(cert, sign_raw(signer, data), data)
        except Exception as exc:          # reported below
            failures.append(exc)
    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_pkcs11_wrong_pin(softhsm):
    wrong = keys.Pkcs11KeyStore(softhsm.lib, TOKEN, '999999')
    with pytest.raises(keys.WrongPin) as err:
        wrong.unlock()
    assert err.value.code == 'wrong_pin' and 'wrong PIN' in str(err.value)
    assert '999999' not in str(err.value) + repr(wrong) + ''.join(traceback.format_exception(err.value))
    with pytest.raises(keys.WrongPin):
        wrong.list()
    # the right PIN opens it; a wrong one is still refused while the right one is logged in
    right = keys.Pkcs11KeyStore(softhsm.lib, TOKEN, PIN)
    try:
        right.unlock()
        with pytest.raises(keys.WrongPin):
            keys.Pkcs11KeyStore(softhsm.lib, TOKEN, '999999').unlock()
        assert PIN not in repr(right) + repr(vars(right))
    finally:
        right.close()
    with pytest.raises(keys.WrongPin):
        keys.Pkcs11KeyStore(softhsm.lib, TOKEN, '')


def test_pkcs11_unknown_token_and_settings(softhsm, monkeypatch):
    with pytest.raises(keys.TokenUnavailable, match='no PKCS#11 token labelled "no-such-token"'):
        keys.Pkcs11KeyStore(softhsm.lib, 'no-such-token', PIN).unlock()
    monkeypatch.setenv('ARCHIVE_TEST_PIN', PIN)
    s = keys.open_keystore({'archive.keystore': 'pkcs11', 'archive.pkcs11_lib': softhsm.lib,
                            'archive.pkcs11_token': TOKEN, 'archive.pkcs11_pin_env': 'ARCHIVE_TEST_PIN'})
    try:
        assert isinstance(s, keys.Pkcs11KeyStore)
        s.unlock()
        assert all(i.store == 'pkcs11' for i in s.list())
    finally:
        s.close()


def test_scrypt_cost_is_kept_with_each_key(authority, tmp_path):
    """``archive.keystore_scrypt_n`` applies to keys made from now on: each key's n is in the
    index, so a store opened with another n (or the default) still decrypts it; a key without
    one (made before the setting) is read with 2^15."""
    cheap = keys.SoftwareKeyStore(tmp_path / 'keystore', PASSPHRASE, scrypt_n=16)
    enrol(cheap, SIGN_ID, authority, algorithm='ec-p256')
    index_path = tmp_path / 'keystore' / 'index.json'
    [entry] = json.loads(index_path.read_text())['keys'][SIGN_ID]
    assert entry['scrypt_n'] == 16
    default = keys.SoftwareKeyStore(tmp_path / 'keystore', PASSPHRASE)
    assert default.scrypt_n == 2 ** 15
    data = b'read with the n it was made with'
    verify_raw(default.certificate(SIGN_ID), sign_raw(default.signer(SIGN_ID), data), data)
    index = json.loads(index_path.read_text())
    del index['keys'][SIGN_ID][0]['scrypt_n']          # an index written before the setting
    index_path.write_text(json.dumps(index))
    with pytest.raises(keys.WrongPassphrase):           # read with 2^15: not the password it had
        keys.SoftwareKeyStore(tmp_path / 'keystore', PASSPHRASE).signer(SIGN_ID)
