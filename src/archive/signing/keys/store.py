"""The interface both key stores offer (``KeyStore``): generation, certificates and their history,
signers and decryption, over the few operations each store implements."""
from __future__ import annotations

import logging
import re
import threading

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from pyhanko.sign.signers import Signer

from ... import clock
from .certificates import (ALGORITHMS, AWAITING, DEFAULT_ALGORITHM, EXPIRED, NOT_YET_VALID, ORG_ENC,
                           SIGNING_PURPOSES, VALID, KeyInfo, _Generation, _utc, build_chain,
                           certificate_status, fingerprint, load_certificates, parse_key_id, parse_subject,
                           spki)
from .errors import (CertificateMismatch, CertificateNotValid, KeyPending, KeyStoreError, NoCertificate,
                     UnknownKey, WrongPurpose)

log = logging.getLogger(__name__)


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

