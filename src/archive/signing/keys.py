"""Keys and certificates (Art. 14.3): one interface, two stores.

A key id says what the key is for: ``org-sign:<body code>`` (the organisation's signature, applied
by its records clerk), ``org-enc:<body code>`` (the body's encryption key, for Mật documents) and
``person:<login>`` (a leader's personal signature).

* ``SoftwareKeyStore(folder, passphrase)``: private keys encrypted at rest in a folder (PKCS#8 PEM,
  ``BestAvailableEncryption``), certificates as PEM beside them, an ``index.json``. Each key is
  decrypted once per process and kept in memory.
* ``Pkcs11KeyStore(lib_path, token_label, pin)``: keys generated on a PKCS#11 token (HSM or USB
  token) that never leave it; signing goes through pyhanko's ``PKCS11Signer``.

Both offer ``generate`` (a key pair and its certificate request for the authority),
``import_certificate``, ``certificate``, ``chain``, ``certificates`` (the history), ``signer`` (a
pyhanko ``Signer`` ready for PAdES), ``decrypt`` (RSA-OAEP, encryption keys only) and ``list``.
``open_keystore(settings)`` builds the one the .ini names.

Key algorithm: RSA 3072 by default. The cipher authority's certificates and the tokens it hands
out are RSA, every PDF reader verifies RSA signatures, an RSA encryption certificate wraps a
document key with plain RSA-OAEP on any token, and 3072 bits is the size NIST SP 800-57 asks for
use beyond 2030. EC P-256 (``algorithm='ec-p256'``) is offered for signing keys: smaller and
faster, but tokens often sign only raw ECDSA and encryption by ECDH is not offered here, so
encryption keys are always RSA.

A key id can hold several generations: ``generate`` on a key id that has a certificate makes a
new key beside the old one (rotation); the old key and its certificates stay, so the history is
kept and the old certificate can still be shown and checked. The certificate in use is the one
valid now with the latest start (or, if none is valid, the latest); ``signer`` refuses an expired
or not-yet-valid certificate unless told otherwise.

Secrets (the passphrase, the PIN) are held in ``Secret`` objects: never in ``repr()``, in logs or
in exception messages.
"""
from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import hashlib
import json
import logging
import os
import re
import secrets
import threading
from dataclasses import dataclass

from asn1crypto import algos as a_algos
from asn1crypto import core as a_core
from asn1crypto import csr as a_csr
from asn1crypto import keys as a_keys
from asn1crypto import x509 as a_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pyhanko.sign.signers import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash, process_pss_params

from .. import clock

log = logging.getLogger(__name__)

ORG_SIGN, ORG_ENC, PERSON = 'org-sign', 'org-enc', 'person'
PURPOSES = {ORG_SIGN: 'organisation signing', ORG_ENC: 'organisation encryption',
            PERSON: 'personal signing'}
SIGNING_PURPOSES = frozenset({ORG_SIGN, PERSON})
# the ``kind`` argument of ``ca.issue`` (and of the authority's request form) for each purpose
CERTIFICATE_KIND = {ORG_SIGN: 'org-sign', ORG_ENC: 'encryption', PERSON: 'person-sign'}

ALGORITHMS = ('rsa3072', 'ec-p256')
DEFAULT_ALGORITHM = 'rsa3072'

BODY_CODE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9.\-]{0,63}$')
LOGIN = re.compile(r'^[a-z0-9][a-z0-9._-]{1,63}$')          # as schemas/directory.py
MIN_PASSPHRASE = 8

# certificate status words
VALID, EXPIRED, NOT_YET_VALID, AWAITING = 'valid', 'expired', 'not-yet-valid', 'awaiting-certificate'


# -- errors ----------------------------------------------------------------------------------

class KeyStoreError(Exception):
    """A key store refused or failed. ``code`` for programs, the message (Vietnamese / English)
    for people; it never carries a passphrase, a PIN or key material."""
    code = 'keystore_error'

    def __init__(self, vi, en, code=None):
        if code:
            self.code = code
        self.vi, self.en = vi, en
        super().__init__(f'{vi} / {en}')


class BadKeyId(KeyStoreError, ValueError):
    code = 'bad_key_id'


class UnknownKey(KeyStoreError, KeyError):
    code = 'unknown_key'

    def __str__(self):                  # KeyError would quote the message
        return f'{self.vi} / {self.en}'


class NoCertificate(KeyStoreError):
    code = 'no_certificate'


class PassphraseRequired(KeyStoreError):
    code = 'passphrase_required'


class WrongPassphrase(KeyStoreError):
    code = 'wrong_passphrase'


class WrongPin(KeyStoreError):
    code = 'wrong_pin'


class TokenUnavailable(KeyStoreError):
    code = 'token_unavailable'


class NotACertificate(KeyStoreError):
    code = 'not_a_certificate'


class CertificateMismatch(KeyStoreError):
    code = 'certificate_mismatch'


class CertificateNotValid(KeyStoreError):
    code = 'certificate_not_valid'


class WrongPurpose(KeyStoreError):
    code = 'wrong_purpose'


class KeyPending(KeyStoreError):
    code = 'key_pending'


class DecryptionFailed(KeyStoreError):
    code = 'decryption_failed'


class StoreDamaged(KeyStoreError):
    code = 'store_damaged'


class Secret:
    """A passphrase or PIN: ``reveal()`` gives it; ``repr``/``str`` never do; it is not pickled."""
    __slots__ = ('_value',)

    def __init__(self, value):
        if isinstance(value, Secret):
            value = value.reveal()
        if value is None:
            value = b''
        self._value = value.encode('utf-8') if isinstance(value, str) else bytes(value)

    def reveal(self) -> bytes:
        return self._value

    def __len__(self):
        return len(self._value)

    def __repr__(self):
        return '<secret>'

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError('a secret is not pickled')


# -- key ids, names, certificates ------------------------------------------------------------

def parse_key_id(key_id, organ_id_pattern=None) -> tuple[str, str]:
    """``(purpose, body code or login)`` of a key id; ``BadKeyId`` if it is not one."""
    if not isinstance(key_id, str):
        raise BadKeyId('Mã khóa không hợp lệ', 'a key id is a string')
    purpose, sep, name = key_id.partition(':')
    if not sep or purpose not in PURPOSES:
        raise BadKeyId(f'Mã khóa "{key_id[:80]}" không hợp lệ: cần org-sign:<mã cơ quan>, '
                       'org-enc:<mã cơ quan> hoặc person:<tên đăng nhập>',
                       'a key id is org-sign:<body code>, org-enc:<body code> or person:<login>')
    if purpose == PERSON:
        pattern = LOGIN
    elif organ_id_pattern is None:
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


def fingerprint(certificate) -> str:
    """SHA-256 of the certificate's DER, lowercase hex."""
    return certificate.fingerprint(hashes.SHA256()).hex()


def to_asn1(certificate) -> a_x509.Certificate:
    return a_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


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


# -- the interface ---------------------------------------------------------------------------

class KeyStore:
    """What both stores offer. Subclasses provide the storage primitives (``_``-prefixed)."""
    store_kind = ''

    def __init__(self, organ_id_pattern=None):
        self._organ_pattern = (re.compile(organ_id_pattern) if isinstance(organ_id_pattern, str)
                               else organ_id_pattern)
        self._lock = threading.RLock()

    # ---- public
    def parse(self, key_id):
        return parse_key_id(key_id, self._organ_pattern)

    def generate(self, key_id, subject, algorithm=DEFAULT_ALGORITHM, *, replace_pending=False) -> bytes:
        """Make a key pair for ``key_id`` and return its certificate request (PEM) for the
        authority. A key id that already has a key awaiting its certificate is refused unless
        ``replace_pending`` (that key, which never had a certificate, is then deleted)."""
        purpose, _name = self.parse(key_id)
        name = parse_subject(subject)
        if algorithm not in ALGORITHMS:
            raise KeyStoreError(f'Thuật toán khóa không hỗ trợ: {algorithm}',
                                f'unsupported key algorithm {algorithm!r} ({", ".join(ALGORITHMS)})',
                                'bad_algorithm')
        if purpose == ORG_ENC and not algorithm.startswith('rsa'):
            raise KeyStoreError('Khóa mã hóa phải là RSA (RSA-OAEP)',
                                'encryption keys are RSA (RSA-OAEP)', 'bad_algorithm')
        with self._lock:
            pending = [g for g in self._generations(key_id) if not g.certificates]
            if pending and not replace_pending:
                raise KeyPending(f'Khóa {key_id} đang chờ chứng thư; nhập chứng thư hoặc tạo lại khóa',
                                 f'key {key_id} already awaits its certificate: import it, '
                                 'or replace the pending key')
            for gen in pending:
                self._delete_generation(key_id, gen)
            csr_pem = self._generate(key_id, purpose, name, algorithm)
        log.info('key store %s: generated a %s key for %s', self.store_kind, algorithm, key_id)
        return csr_pem

    def import_certificate(self, key_id, cert_pem, chain=()) -> KeyInfo:
        """Install the certificate the authority issued for one of ``key_id``'s keys. ``cert_pem``
        may carry the chain after the certificate; ``chain`` adds more. Refused: anything that is
        not a certificate, and a certificate whose public key is not one of the key id's keys."""
        self.parse(key_id)
        certs = load_certificates(cert_pem)
        extra = load_certificates(list(chain)) if chain else []
        with self._lock:
            gens = self._generations(key_id)
            if not gens:
                raise self._unknown(key_id)
            by_key = {spki(g.public_key): g for g in gens}
            leaf = gen = None
            for cert in certs:
                gen = by_key.get(spki(cert.public_key()))
                if gen is not None:
                    leaf = cert
                    break
            if leaf is None:
                raise CertificateMismatch(
                    f'Khóa công khai trong chứng thư không khớp với khóa {key_id}',
                    f'the certificate\'s public key does not match key {key_id}')
            others = []
            for cert in certs + extra:
                if cert is not leaf and cert != leaf and cert not in others:
                    others.append(cert)
            self._store_certificate(key_id, gen, leaf, others)
        log.info('key store %s: certificate %s (serial %X) installed for %s', self.store_kind,
                 fingerprint(leaf)[:16], leaf.serial_number, key_id)
        return self.info(key_id)

    def certificate(self, key_id, at=None) -> x509.Certificate:
        """The certificate in use for ``key_id`` (a ``cryptography`` certificate)."""
        return self._current(key_id, at)[1]

    def certificates(self, key_id) -> list[x509.Certificate]:
        """Every certificate ever installed for ``key_id``, oldest first (the history)."""
        self.parse(key_id)
        gens = self._generations(key_id)
        if not gens:
            raise self._unknown(key_id)
        return sorted((c for g in gens for c in g.certificates), key=_utc)

    def chain(self, key_id, at=None) -> list[x509.Certificate]:
        """The issuers of the certificate in use that the store knows, nearest first."""
        return build_chain(self.certificate(key_id, at), self._ca_certificates())

    def signer(self, key_id, *, at=None, check_validity=True, prefer_pss=False,
               embed_roots=True) -> Signer:
        """A pyhanko ``Signer`` for ``key_id``'s key in use, with its certificate and the chain
        the store knows. Refused for an encryption key, and (unless ``check_validity=False``) when
        the certificate is not valid at ``at`` (now by default)."""
        purpose, _name = self.parse(key_id)
        if purpose not in SIGNING_PURPOSES:
            raise WrongPurpose(f'Khóa {key_id} chỉ dùng để mã hóa, không dùng để ký',
                               f'key {key_id} is an encryption key and does not sign')
        with self._lock:
            gen, cert = self._current(key_id, at)
            if check_validity:
                self._check_valid(key_id, cert, at)
            chain = build_chain(cert, self._ca_certificates())
            return self._signer(key_id, gen, cert, chain, prefer_pss=prefer_pss,
                                embed_roots=embed_roots)

    def decrypt(self, key_id, ciphertext, *, certificate=None, oaep_hash='sha256') -> bytes:
        """Undo RSA-OAEP (MGF1 with the same hash) done with ``key_id``'s encryption certificate.
        ``certificate`` (object or SHA-256 fingerprint) names the one the data was encrypted for,
        so data encrypted under an older certificate still opens; default: the one in use."""
        purpose, _name = self.parse(key_id)
        if purpose != ORG_ENC:
            raise WrongPurpose(f'Khóa {key_id} là khóa ký, không dùng để giải mã',
                               f'key {key_id} is a signing key and does not decrypt')
        if oaep_hash not in ('sha1', 'sha256', 'sha384', 'sha512'):
            raise ValueError('oaep_hash: sha1, sha256, sha384 or sha512')
        with self._lock:
            gen = self._generation_for(key_id, certificate)
            if not isinstance(gen.public_key, rsa.RSAPublicKey):
                raise WrongPurpose(f'Khóa {key_id} không phải RSA', f'key {key_id} is not RSA')
            return self._decrypt(key_id, gen, bytes(ciphertext), oaep_hash)

    def info(self, key_id) -> KeyInfo:
        purpose, _name = self.parse(key_id)
        gens = self._generations(key_id)
        if not gens:
            raise self._unknown(key_id)
        history = [c for g in gens for c in g.certificates]
        pending = any(not g.certificates for g in gens)
        if not history:
            return KeyInfo(key_id=key_id, kind=purpose, store=self.store_kind,
                           algorithm=gens[-1].algorithm, status=AWAITING, pending=True)
        gen, cert = self._pick(gens)
        nb, na = _utc(cert)
        return KeyInfo(
            key_id=key_id, kind=purpose, store=self.store_kind, algorithm=gen.algorithm,
            status=certificate_status(cert), subject=cert.subject.rfc4514_string(),
            issuer=cert.issuer.rfc4514_string(), serial=f'{cert.serial_number:X}',
            not_before=clock.to_vn(nb), not_after=clock.to_vn(na), fingerprint=fingerprint(cert),
            certificates=len(history), pending=pending)

    def list(self) -> list[KeyInfo]:
        """Every key id in the store, with its certificate in use."""
        return [self.info(k) for k in sorted(self._key_ids())]

    def unlock(self):
        """Check the secret now (and load what can be loaded), rather than at the first signature."""

    def close(self):
        """Release what the store holds (sessions, cached keys)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- shared helpers
    def _unknown(self, key_id):
        return UnknownKey(f'Không có khóa {key_id} trong kho khóa', f'no key {key_id} in the key store')

    def _pick(self, gens, at=None):
        at = at or clock.now()
        pairs = [(g, c) for g in gens for c in g.certificates]
        valid = [p for p in pairs if certificate_status(p[1], at) == VALID]
        return max(valid or pairs, key=lambda p: _utc(p[1]))

    def _current(self, key_id, at=None):
        self.parse(key_id)
        gens = self._generations(key_id)
        if not gens:
            raise self._unknown(key_id)
        if not any(g.certificates for g in gens):
            raise NoCertificate(f'Khóa {key_id} chưa có chứng thư: hãy nhập chứng thư do tổ chức cấp',
                                f'key {key_id} has no certificate yet: import the one the authority issued')
        return self._pick(gens, at)

    def _generation_for(self, key_id, certificate):
        if certificate is None:
            return self._current(key_id)[0]
        wanted = certificate if isinstance(certificate, str) else fingerprint(load_certificates(certificate)[0])
        wanted = wanted.lower().replace(':', '')
        for gen in self._generations(key_id):
            if any(fingerprint(c) == wanted for c in gen.certificates):
                return gen
        raise NoCertificate(f'Khóa {key_id} không có chứng thư này', f'key {key_id} has no such certificate')

    def _check_valid(self, key_id, cert, at):
        at = at or clock.now()
        status = certificate_status(cert, at)
        nb, na = _utc(cert)
        if status == EXPIRED:
            raise CertificateNotValid(f'Chứng thư của khóa {key_id} đã hết hạn lúc {clock.iso(na)}',
                                      f'the certificate of key {key_id} expired at {clock.iso(na)}')
        if status == NOT_YET_VALID:
            raise CertificateNotValid(f'Chứng thư của khóa {key_id} chỉ có hiệu lực từ {clock.iso(nb)}',
                                      f'the certificate of key {key_id} is not valid before {clock.iso(nb)}')

    # ---- storage primitives (subclasses)
    def _key_ids(self):
        raise NotImplementedError

    def _generations(self, key_id) -> list[_Generation]:
        raise NotImplementedError

    def _ca_certificates(self) -> list[x509.Certificate]:
        raise NotImplementedError

    def _generate(self, key_id, purpose, name, algorithm) -> bytes:
        raise NotImplementedError

    def _store_certificate(self, key_id, gen, cert, others):
        raise NotImplementedError

    def _delete_generation(self, key_id, gen):
        raise NotImplementedError

    def _signer(self, key_id, gen, cert, chain, **kw) -> Signer:
        raise NotImplementedError

    def _decrypt(self, key_id, gen, ciphertext, oaep_hash) -> bytes:
        raise NotImplementedError


def _decryption_failed(key_id):
    return DecryptionFailed(f'Không giải mã được bằng khóa {key_id} (dữ liệu hỏng hoặc mã hóa cho khóa khác)',
                            f'cannot decrypt with key {key_id} (damaged, or encrypted for another key)')


def _oaep(name):
    h = get_pyca_cryptography_hash(name)
    return padding.OAEP(mgf=padding.MGF1(algorithm=h), algorithm=h, label=None)


def _registry(cert, chain):
    return SimpleCertificateStore.from_certs([to_asn1(c) for c in [cert, *chain]])


# -- software store --------------------------------------------------------------------------

class LoadedKeySigner(Signer):
    """A pyhanko signer over a private key parsed once (pyhanko's ``SimpleSigner`` re-parses its
    key for every signature, which costs tens of milliseconds for RSA with OpenSSL 3)."""

    def __init__(self, private_key, signing_cert, cert_registry, *, prefer_pss=False,
                 embed_roots=True, signature_mechanism=None):
        self._private_key = private_key
        super().__init__(prefer_pss=prefer_pss, embed_roots=embed_roots,
                         signing_cert=signing_cert, cert_registry=cert_registry,
                         signature_mechanism=signature_mechanism)

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
        return self.sign_raw(data, digest_algorithm)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mech = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            algo = mech.signature_algo
        except ValueError:
            algo = mech['algorithm'].native
        key = self._private_key
        if algo == 'rsassa_pkcs1v15':
            return key.sign(data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        if algo == 'rsassa_pss':
            pad, hash_algo = process_pss_params(mech['parameters'])
            return key.sign(data, pad, hash_algo)
        if algo == 'ecdsa':
            return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
        raise KeyStoreError('Cơ chế ký không hỗ trợ', f'unsupported signature mechanism {algo}',
                            'bad_algorithm')

    def __repr__(self):
        return f'<LoadedKeySigner {self.subject_name}>'


def _new_private_key(algorithm):
    if algorithm == 'rsa3072':
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if algorithm == 'ec-p256':
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(algorithm)


class SoftwareKeyStore(KeyStore):
    """Private keys encrypted at rest in ``folder``.

    Each private key is a PKCS#8 PEM (``ENCRYPTED PRIVATE KEY``: PBES2, AES-256-CBC) whose password
    is the store passphrase stretched with scrypt (n=2^15, r=8, p=1) and a salt of its own (kept in
    the index), because OpenSSL's PKCS#8 encryption runs PBKDF2 only 2048 times. Public keys,
    requests and certificates are PEM files beside them; ``index.json`` ties them to key ids. Files
    are written 0600 in a 0700 folder; the index is replaced atomically under a file lock, so a
    console command and the server can share the folder (the server re-reads a changed index).
    """
    store_kind = 'software'
    INDEX = 'index.json'
    SCRYPT_N = 2 ** 15

    def __init__(self, folder, passphrase, organ_id_pattern=None):
        super().__init__(organ_id_pattern)
        secret = Secret(passphrase)
        if len(secret.reveal().strip()) < MIN_PASSPHRASE:
            raise PassphraseRequired(
                f'Kho khóa cần mật khẩu (ít nhất {MIN_PASSPHRASE} ký tự)',
                f'the key store needs a passphrase of at least {MIN_PASSPHRASE} characters')
        self._passphrase = secret
        self.folder = os.path.abspath(os.fspath(folder))
        os.makedirs(self.folder, mode=0o700, exist_ok=True)
        self._keys = {}             # generation id -> private key: the once-per-process cache
        self._parsed = {}           # file name -> parsed public key / certificate
        self._index = None          # (stat signature, data)

    def __repr__(self):
        return f'<SoftwareKeyStore {self.folder}>'

    # ---- index and files
    def _path(self, name):
        if os.sep in name or name.startswith('.'):
            raise StoreDamaged('Chỉ mục kho khóa hỏng', f'the key store index names a bad file {name!r}')
        return os.path.join(self.folder, name)

    def _read_index(self, fresh=False):
        path = os.path.join(self.folder, self.INDEX)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return {'format': 1, 'keys': {}}
        sig = (st.st_ino, st.st_mtime_ns, st.st_size)
        if not fresh and self._index is not None and self._index[0] == sig:
            return self._index[1]
        try:
            with open(path, encoding='utf-8') as f:
                data = json.load(f)
        except (OSError, ValueError):
            raise StoreDamaged('Chỉ mục kho khóa không đọc được',
                               f'cannot read the key store index {path}') from None
        if not isinstance(data, dict) or data.get('format') != 1 or not isinstance(data.get('keys'), dict):
            raise StoreDamaged('Chỉ mục kho khóa hỏng', f'the key store index {path} is damaged')
        self._index = (sig, data)
        return data

    @contextlib.contextmanager
    def _writing(self):
        """Lock the folder (threads and processes), yield a fresh index, write it back atomically."""
        import fcntl
        with self._lock:
            fd = os.open(os.path.join(self.folder, '.lock'), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                data = self._read_index(fresh=True)
                yield data
                tmp = os.path.join(self.folder, f'.{self.INDEX}.{secrets.token_hex(4)}')
                with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'w',
                          encoding='utf-8') as f:
                    json.dump(data, f, ensure_ascii=False, indent=1, sort_keys=True)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, os.path.join(self.folder, self.INDEX))
                self._fsync_dir()
                self._index = None
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def _fsync_dir(self):
        try:
            fd = os.open(self.folder, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)

    def _write_new(self, name, data: bytes):
        path = self._path(name)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    def _read_pem(self, name, loader):
        obj = self._parsed.get(name)
        if obj is None:
            try:
                with open(self._path(name), 'rb') as f:
                    obj = loader(f.read())
            except (OSError, ValueError):
                raise StoreDamaged('Kho khóa thiếu hoặc hỏng tệp',
                                   f'missing or damaged file {name} in the key store') from None
            self._parsed[name] = obj
        return obj

    # ---- primitives
    def _key_ids(self):
        return list(self._read_index()['keys'])

    def _generations(self, key_id):
        entries = self._read_index()['keys'].get(key_id) or []
        out = []
        for e in entries:
            created = e.get('created_at')
            out.append(_Generation(
                id=e['id'],
                public_key=self._read_pem(e['public_key'], serialization.load_pem_public_key),
                certificates=[self._read_pem(n, x509.load_pem_x509_certificate) for n in e.get('certificates', [])],
                created_at=clock.parse_iso(created) if created else None))
        return out

    def _ca_certificates(self):
        return [self._read_pem(n, x509.load_pem_x509_certificate)
                for n in self._read_index().get('ca_certificates', [])]

    def _password(self, salt: bytes) -> bytes:
        kdf = Scrypt(salt=salt, length=32, n=self.SCRYPT_N, r=8, p=1)
        return base64.b64encode(kdf.derive(self._passphrase.reveal()))

    def _generate(self, key_id, purpose, name, algorithm):
        key = _new_private_key(algorithm)
        gid = secrets.token_hex(8)
        salt = os.urandom(16)
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.BestAvailableEncryption(self._password(salt)))
        pub_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
        csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
        csr_pem = csr.public_bytes(serialization.Encoding.PEM)
        with self._writing() as index:
            self._write_new(f'{gid}.key.pem', key_pem)
            self._write_new(f'{gid}.pub.pem', pub_pem)
            self._write_new(f'{gid}.csr.pem', csr_pem)
            index['keys'].setdefault(key_id, []).append({
                'id': gid, 'algorithm': algorithm, 'created_at': clock.iso(clock.now()),
                'subject': name.rfc4514_string(), 'salt': base64.b64encode(salt).decode('ascii'),
                'key': f'{gid}.key.pem', 'public_key': f'{gid}.pub.pem', 'request': f'{gid}.csr.pem',
                'certificates': [],
            })
        self._keys[gid] = key
        return csr_pem

    def _store_certificate(self, key_id, gen, cert, others):
        with self._writing() as index:
            entry = next(e for e in index['keys'][key_id] if e['id'] == gen.id)
            name = f'{gen.id}.{fingerprint(cert)[:24]}.crt.pem'
            if name not in entry['certificates']:
                if not os.path.exists(self._path(name)):
                    self._write_new(name, cert.public_bytes(serialization.Encoding.PEM))
                entry['certificates'].append(name)
            cas = index.setdefault('ca_certificates', [])
            for other in others:
                ca_name = f'ca-{fingerprint(other)[:24]}.crt.pem'
                if ca_name not in cas:
                    if not os.path.exists(self._path(ca_name)):
                        self._write_new(ca_name, other.public_bytes(serialization.Encoding.PEM))
                    cas.append(ca_name)

    def _delete_generation(self, key_id, gen):
        with self._writing() as index:
            entries = index['keys'].get(key_id, [])
            entry = next((e for e in entries if e['id'] == gen.id), None)
            if entry is None:
                return
            entries.remove(entry)
            if not entries:
                del index['keys'][key_id]
        for name in (entry['key'], entry['public_key'], entry.get('request'), *entry['certificates']):
            if name:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self._path(name))
        self._keys.pop(gen.id, None)

    def _private_key(self, key_id, gen):
        key = self._keys.get(gen.id)
        if key is not None:
            return key
        entry = next((e for e in self._read_index()['keys'].get(key_id, []) if e['id'] == gen.id), None)
        if entry is None:
            raise self._unknown(key_id)
        try:
            with open(self._path(entry['key']), 'rb') as f:
                pem = f.read()
        except OSError:
            raise StoreDamaged(f'Thiếu tệp khóa bí mật của {key_id}',
                               f'the private key file of {key_id} is missing') from None
        try:
            key = serialization.load_pem_private_key(pem, password=self._password(base64.b64decode(entry['salt'])))
        except (ValueError, TypeError):
            raise WrongPassphrase(
                f'Sai mật khẩu kho khóa: không giải mã được khóa {key_id}',
                f'wrong key store passphrase: cannot decrypt the key of {key_id}') from None
        if spki(key.public_key()) != spki(gen.public_key):
            raise StoreDamaged(f'Khóa bí mật của {key_id} không khớp khóa công khai',
                               f'the private key of {key_id} does not match its public key')
        self._keys[gen.id] = key
        return key

    def unlock(self):
        """Decrypt every key that has a certificate now (checks the passphrase at start-up)."""
        with self._lock:
            for key_id in self._key_ids():
                for gen in self._generations(key_id):
                    if gen.certificates:
                        self._private_key(key_id, gen)

    def close(self):
        with self._lock:
            self._keys.clear()

    def _signer(self, key_id, gen, cert, chain, **kw):
        key = self._private_key(key_id, gen)
        return LoadedKeySigner(key, to_asn1(cert), _registry(cert, chain), **kw)

    def _decrypt(self, key_id, gen, ciphertext, oaep_hash):
        key = self._private_key(key_id, gen)
        try:
            return key.decrypt(ciphertext, _oaep(oaep_hash))
        except ValueError:
            raise _decryption_failed(key_id) from None


# -- PKCS#11 store ---------------------------------------------------------------------------

class _LockedKey:
    """A token key handle whose ``sign`` holds the store's lock: one PKCS#11 session does one
    operation at a time, and the server signs from several threads."""

    def __init__(self, handle, lock):
        self._handle, self._lock = handle, lock

    def sign(self, data, **kwargs):
        with self._lock:
            return self._handle.sign(data, **kwargs)

    def __getitem__(self, item):
        with self._lock:
            return self._handle[item]

    def __getattr__(self, name):
        return getattr(self._handle, name)


def _token_signer_class():
    from pyhanko.sign.pkcs11 import PKCS11Signer

    class TokenSigner(PKCS11Signer):
        """pyhanko's PKCS#11 signer sharing the store's session under its lock."""

        def __init__(self, *args, lock, **kwargs):
            self._store_lock = lock
            super().__init__(*args, **kwargs)

        def _load_objects(self):
            with self._store_lock:
                super()._load_objects()
                if self._key_handle is not None and not isinstance(self._key_handle, _LockedKey):
                    self._key_handle = _LockedKey(self._key_handle, self._store_lock)

    return TokenSigner


_LOGINS = {}     # (library, token label) -> the PIN this process logged in with


class Pkcs11KeyStore(KeyStore):
    """Keys on a PKCS#11 token (HSM or USB token), generated there and never extractable.

    Objects on the token: the private and public key of each generation carry the key id as
    CKA_LABEL and a random CKA_ID; its certificates carry the same label and id; chain
    certificates are labelled ``ca:<fingerprint>``. ``certificates`` given to the constructor
    (CA certificates, e.g. for a read-only token) are used for chains beside the token's.
    One session is opened on first use and kept (logged in) for the life of the store.
    """
    store_kind = 'pkcs11'

    def __init__(self, lib_path, token_label, pin, organ_id_pattern=None, *, certificates=()):
        super().__init__(organ_id_pattern)
        secret = Secret(pin)
        if not len(secret):
            raise WrongPin('Thiếu mã PIN của thiết bị ký', 'the token PIN is required')
        self._pin = secret
        self.lib_path = os.fspath(lib_path)
        self.token_label = token_label
        self._given = load_certificates(list(certificates)) if certificates else []
        self._session = None

    def __repr__(self):
        return f'<Pkcs11KeyStore token={self.token_label!r} lib={self.lib_path}>'

    # ---- session
    def _open(self):
        import pkcs11
        from pkcs11 import exceptions as p11e
        if self._session is not None:
            return self._session
        try:
            lib = pkcs11.lib(self.lib_path)
        except (p11e.PKCS11Error, OSError):
            raise TokenUnavailable(f'Không nạp được thư viện PKCS#11 {self.lib_path}',
                                   f'cannot load the PKCS#11 library {self.lib_path}') from None
        try:
            token = lib.get_token(token_label=self.token_label)
        except p11e.NoSuchToken:
            raise TokenUnavailable(f'Không thấy thiết bị ký "{self.token_label}"',
                                   f'no PKCS#11 token labelled "{self.token_label}"') from None
        except p11e.MultipleTokensReturned:
            raise TokenUnavailable(f'Có nhiều thiết bị ký cùng nhãn "{self.token_label}"',
                                   f'several tokens are labelled "{self.token_label}"') from None
        pin = self._pin.reveal().decode('utf-8')
        login_key = (os.path.realpath(self.lib_path), self.token_label)
        try:
            try:
                try:
                    session = token.open(user_pin=pin, rw=True)
                except p11e.TokenWriteProtected:
                    session = token.open(user_pin=pin)
            except p11e.UserAlreadyLoggedIn:
                # PKCS#11 logs in per process, not per session: another store of this process
                # holds a session. Join it, but only with the same PIN.
                known = _LOGINS.get(login_key)
                if known is not None and not secrets.compare_digest(known.reveal(), self._pin.reveal()):
                    raise p11e.PinIncorrect() from None
                session = token.open(rw=True)
        except (p11e.PinIncorrect, p11e.PinInvalid, p11e.PinLenRange):
            raise WrongPin(f'Sai mã PIN của thiết bị ký "{self.token_label}"',
                           f'wrong PIN for token "{self.token_label}"') from None
        except p11e.PinLocked:
            raise WrongPin(f'Mã PIN của thiết bị ký "{self.token_label}" đã bị khóa',
                           f'the PIN of token "{self.token_label}" is locked') from None
        except p11e.PinExpired:
            raise WrongPin(f'Mã PIN của thiết bị ký "{self.token_label}" đã hết hạn',
                           f'the PIN of token "{self.token_label}" has expired') from None
        except p11e.PKCS11Error as exc:
            raise TokenUnavailable(f'Không mở được thiết bị ký "{self.token_label}"',
                                   f'cannot open token "{self.token_label}" ({type(exc).__name__})') from None
        _LOGINS[login_key] = self._pin
        self._session = session
        return session

    def _call(self, fn):
        """Run ``fn(session)`` under the lock; reopen the session once if the token dropped it."""
        from pkcs11 import exceptions as p11e
        stale = (p11e.SessionHandleInvalid, p11e.SessionClosed, p11e.DeviceRemoved,
                 p11e.TokenNotPresent, p11e.UserNotLoggedIn)
        with self._lock:
            try:
                return fn(self._open())
            except stale:
                self._session = None
                return fn(self._open())

    def unlock(self):
        """Open the session now: a wrong PIN fails here."""
        self._call(lambda s: None)

    def close(self):
        with self._lock:
            if self._session is not None:
                with contextlib.suppress(Exception):
                    self._session.close()
                self._session = None

    # ---- token objects
    @staticmethod
    def _public_key(pub):
        from pkcs11 import Attribute, KeyType
        if pub.key_type == KeyType.RSA:
            return rsa.RSAPublicNumbers(int.from_bytes(pub[Attribute.PUBLIC_EXPONENT], 'big'),
                                        int.from_bytes(pub[Attribute.MODULUS], 'big')).public_key()
        if pub.key_type == KeyType.EC:
            params = a_keys.ECDomainParameters.load(pub[Attribute.EC_PARAMS])
            if params.name != 'named' or params.chosen.native not in ('secp256r1',):
                raise StoreDamaged('Đường cong EC không hỗ trợ', 'unsupported EC curve on the token')
            point = a_core.OctetString.load(pub[Attribute.EC_POINT]).native
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        raise StoreDamaged('Loại khóa trên thiết bị không hỗ trợ', 'unsupported key type on the token')

    def _key_ids(self):
        from pkcs11 import Attribute, ObjectClass

        def run(s):
            labels = {o[Attribute.LABEL] for o in list(s.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}))}
            out = []
            for label in labels:
                try:
                    self.parse(label)
                except BadKeyId:
                    continue        # not ours
                out.append(label)
            return out
        return self._call(run)

    def _generations(self, key_id):
        from pkcs11 import Attribute, ObjectClass

        def run(s):
            out = []
            # one search at a time per session: finish each before the next
            for priv in list(s.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: key_id})):
                gid = priv[Attribute.ID]
                pubs = list(s.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.ID: gid}))
                if len(pubs) != 1:
                    raise StoreDamaged(f'Thiếu khóa công khai của {key_id} trên thiết bị',
                                       f'the public key of {key_id} is missing on the token')
                certs = [x509.load_der_x509_certificate(o[Attribute.VALUE]) for o in list(s.get_objects(
                    {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.ID: gid}))]
                out.append(_Generation(id=gid.hex(), public_key=self._public_key(pubs[0]),
                                       certificates=certs))
            return out
        return self._call(run)

    def _ca_certificates(self):
        from pkcs11 import Attribute, ObjectClass

        def run(s):
            return [x509.load_der_x509_certificate(o[Attribute.VALUE])
                    for o in list(s.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}))
                    if str(o[Attribute.LABEL]).startswith('ca:')]
        return self._call(run) + self._given

    def _generate(self, key_id, purpose, name, algorithm):
        from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag
        from pkcs11.util.ec import encode_named_curve_parameters
        gid = os.urandom(16)
        caps = MechanismFlag.SIGN | MechanismFlag.VERIFY      # the request is signed by its key
        if purpose == ORG_ENC:
            caps |= MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT | MechanismFlag.WRAP | MechanismFlag.UNWRAP
        private_template = {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False,
                            Attribute.PRIVATE: True, Attribute.TOKEN: True,
                            Attribute.SUBJECT: name.public_bytes()}
        public_template = {Attribute.TOKEN: True, Attribute.PRIVATE: False}

        def run(s):
            if algorithm == 'rsa3072':
                pub, priv = s.generate_keypair(KeyType.RSA, 3072, id=gid, label=key_id, store=True,
                                               capabilities=caps, public_template=public_template,
                                               private_template=private_template)
            else:
                params = s.create_domain_parameters(
                    KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters('secp256r1')}, local=True)
                pub, priv = params.generate_keypair(id=gid, label=key_id, store=True, capabilities=caps,
                                                    public_template=public_template,
                                                    private_template=private_template)
            public_key = self._public_key(pub)
            if algorithm == 'rsa3072':
                def sign(tbs):
                    return priv.sign(tbs, mechanism=Mechanism.SHA256_RSA_PKCS)
                sig_algo = 'sha256_rsa'
            else:
                def sign(tbs):
                    raw = priv.sign(hashlib.sha256(tbs).digest(), mechanism=Mechanism.ECDSA)
                    return a_algos.DSASignature.from_p1363(raw).dump()
                sig_algo = 'sha256_ecdsa'
            return _build_csr(name, public_key, sign, sig_algo)
        return self._call(run)

    def _store_certificate(self, key_id, gen, cert, others):
        from pkcs11 import Attribute, ObjectClass
        from pkcs11.util.x509 import decode_x509_certificate

        def put(s, c, label, cid):
            der = c.public_bytes(serialization.Encoding.DER)
            existing = [o for o in list(s.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.ID: cid}))
                        if o[Attribute.VALUE] == der]
            if existing:
                return
            template = decode_x509_certificate(der)
            template.update({Attribute.TOKEN: True, Attribute.PRIVATE: False,
                             Attribute.LABEL: label, Attribute.ID: cid})
            s.create_object(template)

        def run(s):
            put(s, cert, key_id, bytes.fromhex(gen.id))
            for other in others:
                fp = fingerprint(other)
                put(s, other, f'ca:{fp[:24]}', bytes.fromhex(fp[:24]))
        self._call(run)

    def _delete_generation(self, key_id, gen):
        from pkcs11 import Attribute

        def run(s):
            for obj in list(s.get_objects({Attribute.ID: bytes.fromhex(gen.id), Attribute.LABEL: key_id})):
                obj.destroy()
        self._call(run)

    def _signer(self, key_id, gen, cert, chain, prefer_pss=False, embed_roots=True):
        session = self._call(lambda s: s)
        cls = _token_signer_class()
        return cls(session, key_id=bytes.fromhex(gen.id), signing_cert=to_asn1(cert),
                   ca_chain=[to_asn1(c) for c in chain], other_certs_to_pull=(),
                   use_raw_mechanism=isinstance(gen.public_key, ec.EllipticCurvePublicKey),
                   prefer_pss=prefer_pss, embed_roots=embed_roots, lock=self._lock)

    def _decrypt(self, key_id, gen, ciphertext, oaep_hash):
        from pkcs11 import MGF, Mechanism, ObjectClass
        from pkcs11 import exceptions as p11e
        mech = {'sha1': (Mechanism.SHA_1, MGF.SHA1), 'sha256': (Mechanism.SHA256, MGF.SHA256),
                'sha384': (Mechanism.SHA384, MGF.SHA384), 'sha512': (Mechanism.SHA512, MGF.SHA512)}[oaep_hash]

        def run(s):
            priv = s.get_key(object_class=ObjectClass.PRIVATE_KEY, id=bytes.fromhex(gen.id))
            return priv.decrypt(ciphertext, mechanism=Mechanism.RSA_PKCS_OAEP,
                                mechanism_param=(mech[0], mech[1], None))
        try:
            return self._call(run)
        except (p11e.EncryptedDataInvalid, p11e.EncryptedDataLenRange, p11e.DataInvalid, p11e.DataLenRange,
                p11e.FunctionFailed, p11e.GeneralError):      # SoftHSM answers a bad padding so
            raise _decryption_failed(key_id) from None
        except (p11e.MechanismInvalid, p11e.MechanismParamInvalid, p11e.ArgumentsBad):
            raise DecryptionFailed(f'Thiết bị ký không hỗ trợ RSA-OAEP với {oaep_hash}',
                                   f'the token does not offer RSA-OAEP with {oaep_hash}') from None


def _build_csr(name, public_key, sign, sig_algo) -> bytes:
    """A PKCS#10 request signed by ``sign(tbs) -> signature`` (the key stays on the token)."""
    info = a_csr.CertificationRequestInfo({
        'version': 'v1',
        'subject': a_x509.Name.load(name.public_bytes()),
        'subject_pk_info': a_keys.PublicKeyInfo.load(spki(public_key)),
        'attributes': [],
    })
    req = a_csr.CertificationRequest({
        'certification_request_info': info,
        'signature_algorithm': {'algorithm': sig_algo},
        'signature': sign(info.dump()),
    })
    csr = x509.load_der_x509_csr(req.dump())
    if not csr.is_signature_valid:
        raise KeyStoreError('Thiết bị ký tạo chữ ký yêu cầu không hợp lệ',
                            'the token made an invalid signature on the request', 'token_error')
    return csr.public_bytes(serialization.Encoding.PEM)


# -- settings --------------------------------------------------------------------------------

def _setting(settings, key):
    value = settings.get(key)
    return value.strip() if isinstance(value, str) else value


def passphrase_from_settings(settings) -> Secret:
    """The software store's passphrase: from the environment variable named by
    ``archive.keystore_passphrase_env`` or the file named by ``archive.keystore_passphrase_file``
    (exactly one). ``ValueError`` naming the setting otherwise; never the value."""
    env_name = _setting(settings, 'archive.keystore_passphrase_env')
    file_name = _setting(settings, 'archive.keystore_passphrase_file')
    if env_name and file_name:
        raise ValueError('archive.keystore_passphrase_env and archive.keystore_passphrase_file: '
                         'set one of them, not both')
    if env_name:
        value = os.environ.get(env_name)
        if not value:
            raise ValueError(f'archive.keystore_passphrase_env: the environment variable {env_name} '
                             'is not set (or empty)')
        return Secret(value)
    if file_name:
        try:
            st = os.stat(file_name)
            with open(file_name, 'rb') as f:
                value = f.read()
        except OSError:
            raise ValueError(f'archive.keystore_passphrase_file: cannot read {file_name}') from None
        if st.st_mode & 0o007:
            raise ValueError(f'archive.keystore_passphrase_file: {file_name} is readable by everyone; '
                             f'chmod 600 {file_name}')
        value = value.rstrip(b'\r\n')
        if not value:
            raise ValueError(f'archive.keystore_passphrase_file: {file_name} is empty')
        return Secret(value)
    raise ValueError('archive.keystore_passphrase_env or archive.keystore_passphrase_file: the software '
                     'key store needs a passphrase from the environment or from a file')


def open_keystore(settings) -> KeyStore:
    """The key store the .ini names: ``archive.keystore = software`` (with ``archive.keystore_dir``
    and ``archive.keystore_passphrase_env`` or ``archive.keystore_passphrase_file``) or
    ``pkcs11`` (with ``archive.pkcs11_lib``, ``archive.pkcs11_token``, ``archive.pkcs11_pin_env``).
    Bad settings raise ``ValueError`` naming the setting. Build it once and keep it (the keys are
    decrypted once per store)."""
    kind = (_setting(settings, 'archive.keystore') or '').lower()
    organ = _setting(settings, 'archive.organ_id_pattern') or None
    if organ:
        try:
            organ = re.compile(organ)
        except re.error:
            raise ValueError('archive.organ_id_pattern: not a regular expression') from None
    if kind == 'software':
        folder = _setting(settings, 'archive.keystore_dir')
        if not folder:
            raise ValueError('archive.keystore_dir: the software key store needs a folder')
        passphrase = passphrase_from_settings(settings)
        if len(passphrase.reveal().strip()) < MIN_PASSPHRASE:
            raise ValueError(f'archive.keystore_passphrase_env/_file: the passphrase needs at least '
                             f'{MIN_PASSPHRASE} characters')
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise ValueError(f'archive.keystore_dir: {folder} is not a folder')
        return SoftwareKeyStore(folder, passphrase, organ)
    if kind == 'pkcs11':
        lib = _setting(settings, 'archive.pkcs11_lib')
        if not lib:
            raise ValueError('archive.pkcs11_lib: the path of the PKCS#11 library is required')
        if not os.path.isfile(lib):
            raise ValueError(f'archive.pkcs11_lib: no such file {lib}')
        label = _setting(settings, 'archive.pkcs11_token')
        if not label:
            raise ValueError('archive.pkcs11_token: the token label is required')
        pin_env = _setting(settings, 'archive.pkcs11_pin_env')
        if not pin_env:
            raise ValueError('archive.pkcs11_pin_env: the name of the environment variable holding '
                             'the PIN is required')
        pin = os.environ.get(pin_env)
        if not pin:
            raise ValueError(f'archive.pkcs11_pin_env: the environment variable {pin_env} is not set (or empty)')
        return Pkcs11KeyStore(lib, label, pin, organ)
    raise ValueError("archive.keystore: 'software' or 'pkcs11'"
                     + (f', not {kind!r}' if kind else ' is required'))
