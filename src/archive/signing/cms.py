"""Signing and verifying bytes with a body's organisation key: the interface the exchange uses
(XML-DSig over a package, a detached CMS over a receipt), on top of the key store.

* ``sign_bytes`` / ``verify_bytes``: a raw signature (RSA PKCS#1 v1.5 or ECDSA, SHA-256) with the
  key in use for ``key_id`` — the primitive XML-DSig needs; works for the software store and a
  PKCS#11 token alike (the private key never leaves either).
* ``sign_detached`` / ``verify_detached``: a CMS SignedData (RFC 5652) over the bytes, not holding
  them, with the signer's certificate and chain; verified against the trust roots, and, when
  ``allowed`` is given, only a signer whose certificate is one of those fingerprints passes
  (the sending body's registered certificates).
"""
from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

from asn1crypto import cms
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .. import clock
from .keys import load_certificates, to_asn1


def sign_bytes(keystore, key_id, data) -> bytes:
    """A raw SHA-256 signature of ``data`` by ``key_id``'s key in use (its certificate must be
    valid now, as for any signature)."""
    signer = keystore.signer(key_id)
    return asyncio.run(signer.async_sign_raw(bytes(data), 'sha256'))


def verify_bytes(certificate, data, signature) -> bool:
    """Whether ``signature`` is ``certificate``'s key's SHA-256 signature of ``data``.
    ``certificate``: a cryptography certificate, or PEM/DER bytes."""
    if not hasattr(certificate, 'public_key'):
        certificate = load_certificates(certificate)[0]
    public = certificate.public_key()
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(bytes(signature), bytes(data), padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(bytes(signature), bytes(data), ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def sign_detached(keystore, key_id, data) -> bytes:
    """A detached CMS SignedData (DER) over ``data`` by ``key_id``, with its certificates."""
    signer = keystore.signer(key_id)
    content_info = asyncio.run(signer.async_sign_general_data(bytes(data), 'sha256', detached=True))
    return content_info.dump()


@dataclass(frozen=True)
class CmsVerdict:
    status: str                    # 'valid' | 'invalid'
    code: str                      # 'ok' or why not
    signer_fingerprint: str | None
    checked_at: object

    @property
    def valid(self):
        return self.status == 'valid'


def _key_usage():
    """A signing key usage: non-repudiation (a body's seal) or digital signature (an instance's
    certificate, which signs receipts and refusals, not documents)."""
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    return KeyUsageConstraints(key_usage={'non_repudiation', 'digital_signature'}, match_all_key_usages=False)


KEY_USAGE = _key_usage()


def verify_detached(data, signature, *, trust_roots, allowed=None, now=None) -> CmsVerdict:
    """Check a detached CMS ``signature`` (DER) over ``data``: intact, chain to one of
    ``trust_roots`` (PEM/DER or certificates) valid at ``now``, and the signer among ``allowed``
    fingerprints when given. Never raises on bad input: the verdict says what is wrong."""
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
    from pyhanko_certvalidator import ValidationContext

    moment = now or clock.now()

    def verdict(code, fp=None):
        return CmsVerdict('valid' if code == 'ok' else 'invalid', code, fp, moment)
    try:
        info = cms.ContentInfo.load(bytes(signature))
        if info['content_type'].native != 'signed_data':
            return verdict('not_signed_data')
        signed = info['content']
    except Exception:
        return verdict('unreadable')
    context = ValidationContext(trust_roots=[to_asn1(r) for r in trust_roots],
                                moment=moment, allow_fetching=False)
    try:
        status = asyncio.run(async_validate_detached_cms(bytes(data), signed,
                                                         signer_validation_context=context,
                                                         key_usage_settings=KEY_USAGE))
    except Exception:
        return verdict('unreadable')
    fp = hashlib.sha256(status.signing_cert.dump()).hexdigest() if status.signing_cert is not None else None
    if not status.intact:
        return verdict('content_changed', fp)
    if not status.valid:
        return verdict('signature_invalid', fp)
    if not status.trusted:
        return verdict('untrusted', fp)
    if allowed is not None and fp not in set(allowed):
        return verdict('signer_not_registered', fp)
    return verdict('ok', fp)
