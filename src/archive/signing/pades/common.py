"""What signing and verifying share: Vietnam time, times as ISO 8601, and reading certificates."""
from __future__ import annotations

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509

from ... import clock

# Vietnam time (+07:00, a fixed offset) and "now" come from the project's one clock.
VN = clock.VN


def iso(value):
    """ISO 8601, seconds, Vietnam time: ``2026-11-24T09:30:00+07:00``."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError('naive datetime: a time zone is required')
    return value.astimezone(VN).isoformat(timespec='seconds')


def _now(now):
    if now is None:
        return clock.now()
    if now.tzinfo is None:
        raise ValueError('naive datetime: a time zone is required')
    return now.astimezone(VN)


# -- certificates ---------------------------------------------------------------------------

def load_certificate(value) -> asn1_x509.Certificate:
    """An asn1crypto certificate from an asn1crypto or ``cryptography`` certificate, or DER or
    PEM bytes."""
    if isinstance(value, asn1_x509.Certificate):
        return value
    public_bytes = getattr(value, 'public_bytes', None)
    if public_bytes is not None:  # cryptography.x509.Certificate
        from cryptography.hazmat.primitives.serialization import Encoding
        return asn1_x509.Certificate.load(public_bytes(Encoding.DER))
    if isinstance(value, str):
        value = value.encode('ascii')
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
        if pem.detect(data):
            _, _, data = pem.unarmor(data)
        return asn1_x509.Certificate.load(data)
    raise TypeError(f'not a certificate: {type(value).__name__}')


def fingerprint(value) -> str:
    """SHA-256 fingerprint of a certificate, lower-case hex without separators. A string
    that already is a fingerprint (hex, colons and spaces allowed) is normalised."""
    if isinstance(value, str) and not pem.detect(value.encode('ascii', 'replace')):
        text = value.replace(':', '').replace(' ', '').strip().lower()
        if len(text) == 64 and all(c in '0123456789abcdef' for c in text):
            return text
        raise ValueError('not a SHA-256 fingerprint')
    return load_certificate(value).sha256.hex()


def _certs(values):
    return [load_certificate(v) for v in values or ()]


def _common_name(cert):
    try:
        name = cert.subject.native.get('common_name')
    except Exception:  # noqa: BLE001 - an odd subject never breaks a verdict
        name = None
    if isinstance(name, list):
        name = name[-1]
    return name or cert.subject.human_friendly


def _subject(cert):
    try:
        from cryptography import x509 as c_x509
        return c_x509.load_der_x509_certificate(cert.dump()).subject.rfc4514_string()
    except Exception:  # noqa: BLE001
        return cert.subject.human_friendly

