"""Key ids and what each key is for, subject names, and certificates: loading, fingerprints,
chains and status; ``KeyInfo``, what ``KeyStore.list()`` shows of a key id."""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from asn1crypto import x509 as a_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ... import clock
from .errors import BadKeyId, KeyStoreError, NotACertificate


ORG_SIGN, ORG_ENC, PERSON, INSTANCE = 'org-sign', 'org-enc', 'person', 'instance'
PURPOSES = {ORG_SIGN: 'organisation signing', ORG_ENC: 'organisation encryption',
            PERSON: 'personal signing', INSTANCE: 'this installation (answers no hosted body can sign)'}
SIGNING_PURPOSES = frozenset({ORG_SIGN, PERSON, INSTANCE})
# the ``kind`` argument of ``ca.issue`` (and of the authority's request form) for each purpose
CERTIFICATE_KIND = {ORG_SIGN: 'org-sign', ORG_ENC: 'encryption', PERSON: 'person-sign', INSTANCE: 'instance'}

ALGORITHMS = ('rsa3072', 'rsa2048', 'ec-p256')
DEFAULT_ALGORITHM = 'rsa3072'

BODY_CODE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9.\-]{0,63}$')
LOGIN = re.compile(r'^[a-z0-9][a-z0-9._-]{1,63}$')          # as schemas/directory.py
MIN_PASSPHRASE = 8

# certificate status words
VALID, EXPIRED, NOT_YET_VALID, AWAITING = 'valid', 'expired', 'not-yet-valid', 'awaiting-certificate'



def parse_key_id(key_id, organ_id_pattern=None) -> tuple[str, str]:
    """``(purpose, body code or login)`` of a key id; ``BadKeyId`` if it is not one."""
    if not isinstance(key_id, str):
        raise BadKeyId('Mã khóa không hợp lệ', 'a key id is a string')
    purpose, sep, name = key_id.partition(':')
    if not sep or purpose not in PURPOSES:
        raise BadKeyId(f'Mã khóa "{key_id[:80]}" không hợp lệ: cần org-sign:<mã cơ quan>, '
                       'org-enc:<mã cơ quan>, person:<tên đăng nhập> hoặc instance:<tên hệ thống>',
                       'a key id is org-sign:<body code>, org-enc:<body code>, person:<login> or '
                       'instance:<name>')
    if purpose == PERSON:
        pattern = LOGIN
    elif organ_id_pattern is None or purpose == INSTANCE:
        pattern = BODY_CODE
    else:
        pattern = re.compile(organ_id_pattern) if isinstance(organ_id_pattern, str) else organ_id_pattern
    if not pattern.match(name):
        what = ('tên đăng nhập', 'login') if purpose == PERSON else ('mã định danh cơ quan', 'body code')
        raise BadKeyId(f'Mã khóa "{key_id[:80]}": {what[0]} không hợp lệ',
                       f'key id "{key_id[:80]}": malformed {what[1]}')
    return purpose, name


def org_sign_key(body_code):
    return f'{ORG_SIGN}:{body_code}'


def org_enc_key(body_code):
    return f'{ORG_ENC}:{body_code}'


def person_key(login):
    return f'{PERSON}:{login}'


def parse_subject(subject) -> x509.Name:
    """An ``x509.Name`` from itself or an RFC 4514 string (``CN=...,O=...,C=VN``)."""
    if isinstance(subject, x509.Name):
        name = subject
    elif isinstance(subject, str) and subject.strip():
        try:
            name = x509.Name.from_rfc4514_string(subject.strip())
        except ValueError:
            raise KeyStoreError('Tên chủ thể không hợp lệ (dạng RFC 4514, ví dụ "CN=...,O=...,C=VN")',
                                'malformed subject (RFC 4514, e.g. "CN=...,O=...,C=VN")',
                                'bad_subject') from None
    else:
        raise KeyStoreError('Thiếu tên chủ thể của chứng thư', 'a subject is required', 'bad_subject')
    if not name.get_attributes_for_oid(x509.NameOID.COMMON_NAME):
        raise KeyStoreError('Tên chủ thể cần có CN', 'the subject needs a CN', 'bad_subject')
    return name


def load_certificates(data) -> list[x509.Certificate]:
    """Certificates from PEM (one or several, e.g. the certificate then its chain) or DER, or
    certificate objects (cryptography or asn1crypto). ``NotACertificate`` otherwise; the message
    never quotes the input."""
    if isinstance(data, x509.Certificate):
        return [data]
    if isinstance(data, a_x509.Certificate):
        return [x509.load_der_x509_certificate(data.dump())]
    if isinstance(data, (list, tuple)):
        return [c for item in data for c in load_certificates(item)]
    if isinstance(data, str):
        try:
            data = data.encode('ascii')
        except UnicodeEncodeError:
            data = b''
    if not isinstance(data, (bytes, bytearray)) or not data.strip():
        raise _not_a_certificate()
    data = bytes(data)
    try:
        if b'-----BEGIN' in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise _not_a_certificate() from None
    if not certs:
        raise _not_a_certificate()
    return certs


def _not_a_certificate():
    return NotACertificate('Tệp không phải chứng thư số X.509 (PEM hoặc DER)',
                           'this is not an X.509 certificate (PEM or DER)')


def spki(public_key) -> bytes:
    """The DER SubjectPublicKeyInfo of a public key (what a certificate must carry)."""
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def load_certificate(value) -> x509.Certificate:
    """The one place a certificate is read: PEM or DER bytes or text, or a certificate object
    (cryptography or asn1crypto); of several (a chain), the first. ``NotACertificate`` otherwise."""
    return load_certificates(value)[0]


def to_asn1(value) -> a_x509.Certificate:
    """The same certificate in asn1crypto's type, the one pyhanko works with."""
    if isinstance(value, a_x509.Certificate):
        return value
    return a_x509.Certificate.load(load_certificate(value).public_bytes(serialization.Encoding.DER))


def fingerprint(value) -> str:
    """The one fingerprint: SHA-256 of the certificate's DER, lowercase hex, of anything
    ``load_certificate`` reads; a string that already is one (hex, colons and spaces allowed)
    comes back normalised, anything else is a ``ValueError``."""
    if isinstance(value, a_x509.Certificate):
        return value.sha256.hex()
    if isinstance(value, str) and '-----BEGIN' not in value:
        text = value.replace(':', '').replace(' ', '').strip().lower()
        if len(text) == 64 and all(c in '0123456789abcdef' for c in text):
            return text
        raise ValueError('not a SHA-256 fingerprint')
    return load_certificate(value).fingerprint(hashes.SHA256()).hex()


def algorithm_of(public_key) -> str:
    if isinstance(public_key, rsa.RSAPublicKey):
        return f'rsa{public_key.key_size}'
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return 'ec-p256' if public_key.curve.name == 'secp256r1' else f'ec-{public_key.curve.name}'
    return type(public_key).__name__


def build_chain(leaf, candidates) -> list[x509.Certificate]:
    """The issuers of ``leaf`` found among ``candidates``, nearest first (each checked to have
    signed the one below it); stops at a self-signed certificate or a missing issuer."""
    chain, current, seen = [], leaf, {fingerprint(leaf)}
    while current.issuer != current.subject:
        found = None
        for cand in candidates:
            if cand.subject != current.issuer or fingerprint(cand) in seen:
                continue
            try:
                current.verify_directly_issued_by(cand)
            except (ValueError, TypeError, InvalidSignature):
                continue
            found = cand
            break
        if found is None:
            break
        chain.append(found)
        seen.add(fingerprint(found))
        current = found
    return chain


def _utc(cert):
    return cert.not_valid_before_utc, cert.not_valid_after_utc


def certificate_status(cert, at=None) -> str:
    at = at or clock.now()
    nb, na = _utc(cert)
    if at < nb:
        return NOT_YET_VALID
    if at > na:
        return EXPIRED
    return VALID


@dataclass(frozen=True)
class KeyInfo:
    """What ``list()`` shows of a key id: its certificate in use (if any) and its state."""
    key_id: str
    kind: str               # the purpose: org-sign, org-enc, person
    store: str              # software, pkcs11
    algorithm: str          # rsa3072, ec-p256, ...
    status: str             # valid, expired, not-yet-valid, awaiting-certificate
    subject: str | None = None
    issuer: str | None = None
    serial: str | None = None            # hex, uppercase
    not_before: _dt.datetime | None = None    # Vietnam time
    not_after: _dt.datetime | None = None
    fingerprint: str | None = None       # SHA-256 of the certificate, hex
    certificates: int = 0                # how many certificates the history holds
    pending: bool = False                # a newer key awaits its certificate

    def as_dict(self):
        return {
            'key_id': self.key_id, 'kind': self.kind, 'store': self.store,
            'algorithm': self.algorithm, 'status': self.status, 'subject': self.subject,
            'issuer': self.issuer, 'serial': self.serial,
            'not_before': clock.iso(self.not_before), 'not_after': clock.iso(self.not_after),
            'fingerprint_sha256': self.fingerprint, 'certificates': self.certificates,
            'pending': self.pending,
        }


@dataclass
class _Generation:
    """One key pair of a key id and the certificates issued for it."""
    id: str                         # hex: a file stem (software) or the CKA_ID (pkcs11)
    public_key: object
    certificates: list
    created_at: _dt.datetime | None = None

    @property
    def algorithm(self):
        return algorithm_of(self.public_key)

