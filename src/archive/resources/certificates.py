"""A certificate registered for a body (Art. 14.3): kept for good, never removed.

A body's organisation signing certificate changes every year or two, and a document signed
under last year's certificate must still verify as coming from that body: so a record is
only ever added, and the verification takes every ``org-sign`` record of the sender, past
ones included (their validity at the signing time is pyHanko's check, not this list's).
"""
from cryptography import x509
from persistent import Persistent

from .. import clock
from ..i18n import _

ORG_SIGN = 'org-sign'
ORG_ENC = 'org-enc'
INSTANCE = 'instance'       # the system hosting the body elsewhere: signs what no body there can
KINDS = (ORG_SIGN, ORG_ENC, INSTANCE)
KIND_TITLES = {
    ORG_SIGN: _('certificate_kind_org_sign', default='Ký số của cơ quan, tổ chức'),
    ORG_ENC: _('certificate_kind_org_enc', default='Mã hóa'),
    INSTANCE: _('certificate_kind_instance', default='Hệ thống trao đổi đặt cơ quan (ký trả lời thay)'),
}

# Where a certificate stands at a given time (its own dates; revocation is the verifier's).
VALID = 'valid'
EXPIRED = 'expired'
NOT_YET_VALID = 'not_yet_valid'
STATUS_TITLES = {
    VALID: _('certificate_valid', default='còn hiệu lực'),
    EXPIRED: _('certificate_expired', default='đã hết hạn'),
    NOT_YET_VALID: _('certificate_not_yet_valid', default='chưa có hiệu lực'),
}


def newest_first(records):
    """A body's certificates as its history is read: the last registered on top."""
    return sorted(records, key=lambda r: (r.added_at, r.not_before), reverse=True)


class CertificateRecord(Persistent):
    """One certificate of a body: its kind, the PEM, what the clerk is shown of it, who added it."""

    def __init__(self, fingerprint, kind, pem, subject, issuer, not_before, not_after,
                 added_at, added_by):
        self.fingerprint = fingerprint      # SHA-256 of the DER, lowercase hex (the key in Body.certificates)
        self.kind = kind
        self.pem = pem                      # str, one certificate
        self.subject = subject
        self.issuer = issuer
        self.not_before = not_before        # aware datetimes
        self.not_after = not_after
        self.added_at = added_at
        self.added_by = added_by

    def status(self, at=None):
        """``valid``, ``expired`` or ``not_yet_valid`` at ``at`` (now by default)."""
        at = at or clock.now()
        if at < self.not_before:
            return NOT_YET_VALID
        if at > self.not_after:
            return EXPIRED
        return VALID

    @property
    def serial(self):
        """The serial number in hex, as the issuing authority prints it: read from the PEM
        (the record does not keep it); ``None`` if the PEM cannot be read."""
        try:
            number = x509.load_pem_x509_certificate(self.pem.encode('ascii')).serial_number
        except ValueError:
            return None
        text = f'{number:X}'
        return text.zfill(len(text) + len(text) % 2)
