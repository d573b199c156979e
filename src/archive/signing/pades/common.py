"""What signing and verifying share: Vietnam time, times as ISO 8601, and certificates in pyhanko's
type (read and fingerprinted in one place: ``keys.certificates``)."""
from __future__ import annotations

from ... import clock
from ..keys.certificates import fingerprint, to_asn1  # noqa: F401 (fingerprint: pades' public name)

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

def _certs(values):
    return [to_asn1(v) for v in values or ()]


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

