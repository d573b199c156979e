"""PAdES signatures on PDF files: signing (approval signatures, incremental) and verifying.

Built on pyHanko. Two functions and their results:

``sign_pdf(pdf_bytes, signer, field_name=...)``
    Adds one approval signature (never a certification signature, so later signatures stay
    allowed) as an incremental update: the result begins with exactly the bytes it was given.
    PAdES baseline (``ETSI.CAdES.detached``), SHA-256. With ``visible_stamp`` a stamp on the
    first page shows the signer's name and the signing time in ISO 8601 +07:00 (DejaVu Sans is
    embedded, so Vietnamese renders). With ``timestamper`` (an RFC 3161 client such as
    ``pyhanko.sign.timestamps.HTTPTimeStamper(url)``) the signature carries a time stamp token;
    without one the signing time is only the signer's claim, and ``verify_pdf`` says so.

``verify_pdf(pdf_bytes, trust_roots=..., organisation_certs=...)`` -> :class:`Verdict`
    Checks every signature: the signed byte range is intact, covers its revision, and later
    revisions are only of allowed kinds (more signatures, form filling, validation data); the
    chain reaches one of ``trust_roots``; the certificate was valid at the trusted signing time
    (the time stamp) or, without a trusted one, at the time of the check; revocation against
    the CRLs/OCSP responses given (offline by default); and that one signer (the
    organisation's signature, applied by the clerk) uses one of ``organisation_certs``. Each
    signature is judged, in whatever order it comes, and named by its role: ``organisation``
    (a registered organisation certificate, or the last one when none is), ``leader`` (one of
    ``personal_certs``, or any other). A claimed signing time in the future (beyond
    ``clock_skew``) or before the certificate's validity is a verdict, not a signing time;
    bytes after the last signed revision are reported; a PDF encrypted with an empty user
    password is opened and checked. Never raises on bad input: a file that is not a PDF or is
    damaged is ``invalid`` with the code ``unreadable``.

Verdict codes (``Verdict.code``): ``valid``, ``not_signed``, ``unreadable``,
``modified_after_signing``, ``bad_signature``, ``untrusted_chain``, ``expired``,
``not_yet_valid``, ``revoked``, ``bad_key_usage``, ``not_registered_for_sender``,
``signing_time_in_future``, ``signed_before_certificate_validity``, ``data_after_signature``,
``encrypted``.

The package: ``common`` holds Vietnam time, ``iso`` and the certificate helpers; ``sign`` the
signing; ``verify`` the verifying and its codes; ``issue`` what the clerk's signature writes into
the leader-signed file (the number, the date of issue, the seal) as form filling, the one change
the leader's signature allows. Every public name is importable from
``archive.signing.pades``.
"""
from .. import pdfhex
from .common import VN, fingerprint, iso, to_asn1
from .sign import FONT_PATH, SigningFailed, VisibleStamp, sign_pdf, stamp_font_bytes
from .verify import ALLOWED_MODIFICATIONS, CODES, SignatureReport, Verdict, verify_pdf

pdfhex.install()

__all__ = [
    'VN', 'SigningFailed', 'VisibleStamp', 'SignatureReport', 'Verdict',
    'sign_pdf', 'verify_pdf', 'fingerprint', 'to_asn1', 'iso',
    'CODES', 'ALLOWED_MODIFICATIONS', 'FONT_PATH', 'stamp_font_bytes',
]
