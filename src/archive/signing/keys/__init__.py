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
use beyond 2030 (``rsa2048``, what many tokens of the authority still hold, is accepted too). EC P-256 (``algorithm='ec-p256'``) is offered for signing keys: smaller and
faster, but tokens often sign only raw ECDSA and encryption by ECDH is not offered here, so
encryption keys are always RSA.

A key id can hold several generations: ``generate`` on a key id that has a certificate makes a
new key beside the old one (rotation); the old key and its certificates stay, so the history is
kept and the old certificate can still be shown and checked. The certificate in use is the one
valid now with the latest start (or, if none is valid, the latest); ``signer`` refuses an expired
or not-yet-valid certificate unless told otherwise.

Secrets (the passphrase, the PIN) are held in ``Secret`` objects: never in ``repr()``, in logs or
in exception messages.

The package: this module holds the interface (key ids, certificates, ``KeyInfo``, the errors,
the ``KeyStore`` base and ``open_keystore``); ``software.py`` the encrypted software store,
``pkcs11.py`` the token store. Every name is importable from ``archive.signing.keys``.
"""
from __future__ import annotations

import datetime as _dt
import logging
import os
import re
import threading
from dataclasses import dataclass

from asn1crypto import x509 as a_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pyhanko.sign.signers import Signer

from ... import clock

log = logging.getLogger(__name__)

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


# -- settings --------------------------------------------------------------------------------

def _setting(settings, key):
    value = settings.get(key)
    return value.strip() if isinstance(value, str) else value


def open_keystore(settings, scrypt_n=None) -> KeyStore:
    """The key store the .ini names: ``archive.keystore = software`` (with ``archive.keystore_dir``
    and ``archive.keystore_passphrase_env`` or ``archive.keystore_passphrase_file``) or
    ``pkcs11`` (with ``archive.pkcs11_lib``, ``archive.pkcs11_token``, ``archive.pkcs11_pin_env``).
    Bad settings raise ``ValueError`` naming the setting. Build it once and keep it (the keys are
    decrypted once per store). ``scrypt_n``: the software store's cost for new keys
    (``ArchiveSettings.keystore_scrypt_n``; its default when ``None``)."""
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
        if scrypt_n is None:
            return SoftwareKeyStore(folder, passphrase, organ)
        return SoftwareKeyStore(folder, passphrase, organ, scrypt_n=scrypt_n)
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


# -- the stores (imported last: they build on the interface above) ------------------------------

from ._common import _decryption_failed  # noqa: E402,F401
from .pkcs11 import (  # noqa: E402,F401
    _LOGINS, Pkcs11KeyStore, _build_csr, _LockedKey, _token_signer_class)
from .software import (  # noqa: E402,F401
    LoadedKeySigner, SoftwareKeyStore, _new_private_key, _oaep, _registry, passphrase_from_settings)
