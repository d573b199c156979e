"""A certificate registered for a body (Art. 14.3): kept for good, never removed.

A body's organisation signing certificate changes every year or two, and a document signed
under last year's certificate must still verify as coming from that body: so a record is
only ever added, and the verification takes every ``org-sign`` record of the sender, past
ones included (their validity at the signing time is pyHanko's check, not this list's).
"""
from persistent import Persistent

ORG_SIGN = 'org-sign'
ORG_ENC = 'org-enc'
KINDS = (ORG_SIGN, ORG_ENC)


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
